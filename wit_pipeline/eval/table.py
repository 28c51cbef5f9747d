"""The table ``wit eval`` prints, and the flat scalars the trainer logs, from per-task reports."""

from __future__ import annotations

ROWS: dict[str, tuple[tuple[str, str], ...]] = {
    "zeroshot": (
        ("acc1", "acc@1"),
        ("acc5", "acc@5"),
        ("mean_per_class_recall", "mean per-class recall"),
        ("samples", "images"),
        ("classes", "classes"),
        ("templates", "templates"),
    ),
    "linear-probe": (
        ("test_acc1", "test acc@1"),
        ("test_acc5", "test acc@5"),
        ("test_mean_per_class_recall", "test mean per-class recall"),
        ("weight_decay", "weight decay (best on val)"),
        ("train_size", "train / val / test images"),
    ),
    "retrieval": (
        ("image_to_text_recall@1", "image->text R@1 / R@5 / R@10"),
        ("text_to_image_recall@1", "text->image R@1 / R@5 / R@10"),
        ("mean_recall@1", "mean R@1"),
        ("images", "images / captions"),
    ),
}
PERCENT = ("acc", "recall")


def format_value(key: str, report: dict) -> str:
    """One cell: percentages for accuracies and recalls, grouped cells for recall@k and split sizes."""
    if key.endswith("recall@1") and not key.startswith("mean"):
        direction = key[: -len("1")]
        return " / ".join(_percent(report[f"{direction}{k}"]) for k in (1, 5, 10))
    if key == "train_size":
        return f"{report['train_size']} / {report['val_size']} / {report['test_size']}"
    if key == "images" and "texts" in report:
        return f"{report['images']} / {report['texts']}"
    value = report[key]
    if any(word in key for word in PERCENT):
        return _percent(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def format_table(results: dict[str, dict]) -> str:
    """A plain-text table of the headline numbers of every task in ``results``."""
    rows = [("task", "metric", "value")]
    for task, report in results.items():
        for key, label in ROWS.get(task.rsplit("/", 1)[-1], ()):  # "DATASET/TASK" when there are several
            if key in report:
                rows.append((task, label, format_value(key, report)))
        skipped = report.get("skipped")
        if skipped:
            rows.append((task, "skipped samples", ", ".join(f"{r}: {n}" for r, n in skipped.items())))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}".rstrip() for a, b, c in rows)


def flat_scalars(results: dict[str, dict], prefix: str = "eval") -> dict[str, float | int]:
    """``{"eval/TASK/METRIC": number}`` for every top-level number of every report (the trainer logs these)."""
    flat: dict[str, float | int] = {}
    for task, report in results.items():
        for key, value in report.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                flat[f"{prefix}/{task}/{key}"] = value
    return flat


def _percent(value: float) -> str:
    return f"{100 * value:.2f}%"
