"""HTML of the model sections: training curves and summary, and the evaluation tables."""

from __future__ import annotations

from wit_pipeline.eval.table import ROWS, format_value
from wit_pipeline.report.blocks import note, table
from wit_pipeline.report.charts import REJECTED, hbar_chart, line_chart
from wit_pipeline.report.run_data import CURVES, Training
from wit_pipeline.report.svg import esc, fmt_number

COLORS = {"loss": "#3b6fb6", "logit_scale": REJECTED, "lr": "#2e8b57"}
MAX_CONFUSION_CLASSES = 30


def model_line(model: dict) -> str:
    """One line describing a ``model_config.json``: towers, widths, depths, embedding size."""
    vision, text = model.get("vision", {}), model.get("text", {})
    return (
        f"{vision.get('kind', '?')} image tower at {vision.get('image_size', '?')} px, width {vision.get('width')}, "
        f"{vision.get('layers')} layers; text tower width {text.get('width')}, {text.get('layers')} layers, "
        f"context {text.get('context_length')}, vocabulary {text.get('vocab_size')}; "
        f"embedding {model.get('embed_dim')}"
    )


def training_body(training: Training) -> str:
    """A summary line, the model, and line charts of loss, logit scale and learning rate against the step."""
    parts = []
    s = training.summary
    if s:
        parts.append(
            note(
                f"{s.get('steps', '?'):,} steps, {s.get('samples', 0):,} samples in {s.get('seconds', 0):.0f} s on "
                f"{s.get('device', '?')} ({s.get('precision', '?')}), global batch {s.get('global_batch', '?')}, "
                f"{s.get('world_size', 1)} process(es); final loss {s.get('final_loss', float('nan')):.4f}."
            )
        )
    else:
        state = "finished" if training.finished else "unfinished (no summary.json yet)"
        parts.append(note(f"Run {state}; {training.logged:,} metric records logged."))
    if training.model:
        parts.append(note("Model: " + model_line(training.model) + "."))
    charts = [
        line_chart(*training.curves[key], title=label, y_label=label, color=COLORS.get(key, "#3b6fb6"))
        for key, label in CURVES
        if key in training.curves
    ]
    parts.append(f'<div class="chart-row">{"".join(f"<div>{c}</div>" for c in charts)}</div>')
    missing = [label for key, label in CURVES if key not in training.curves]
    if missing:
        parts.append(note("Not logged by this run: " + ", ".join(missing) + "."))
    if training.evals:
        keys = sorted({k for r in training.evals for k in r if k.startswith("eval/") and _headline(k)})
        rows = [[r.get("step", "")] + [_cell(r.get(k)) for k in keys] for r in training.evals]
        parts.append("<h3>Evaluation during training</h3>")
        parts.append(table(["step"] + [k.removeprefix("eval/") for k in keys], rows, numeric=range(len(keys) + 1)))
    return "".join(parts)


def _headline(key: str) -> bool:
    return key.endswith(("acc1", "acc5", "mean_per_class_recall", "recall@1", "recall@5"))


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{100 * value:.2f}%"
    return "" if value is None else str(value)


def evaluation_body(record: dict) -> str:
    """The headline table of every task (as ``wit eval`` prints it), per-class recall and confusion matrix."""
    results = record["results"]
    meta = (
        f"Model {record.get('model', '?')} on {record.get('data', '?')} ({record.get('layout', '?')}), "
        f"templates {record.get('templates', '?')}, device {record.get('device', '?')}, "
        f"{record.get('seconds', 0):.1f} s."
    )
    rows = []
    for task, report in results.items():
        for key, label in ROWS.get(task.rsplit("/", 1)[-1], ()):  # "DATASET/TASK" for a suite
            if key in report:
                try:
                    rows.append((task, label, format_value(key, report)))
                except (KeyError, TypeError, ValueError):
                    rows.append((task, label, str(report.get(key))))
        if report.get("skipped"):
            rows.append((task, "skipped samples", ", ".join(f"{r}: {n}" for r, n in report["skipped"].items())))
    parts = [note(meta), table(["task", "metric", "value"], rows, numeric=(2,), cls="eval")]
    zeroshot = results.get("zeroshot")
    if isinstance(zeroshot, dict) and zeroshot.get("per_class_recall"):
        recalls = sorted(zeroshot["per_class_recall"].items(), key=lambda kv: (kv[1], kv[0]))
        chance = 1 / zeroshot["classes"] if zeroshot.get("classes") else None
        lead = f"Zero-shot recall per class (chance {chance:.1%})." if chance else "Zero-shot recall per class."
        parts.append(f"<h3>{esc(lead)}</h3>")
        chart = hbar_chart([(k, float(v)) for k, v in recalls], "zero-shot recall per class", "recall", percent=True)
        parts.append(f'<div class="chart-wrap">{chart}</div>')
    matrix = (zeroshot or {}).get("confusion_matrix") if isinstance(zeroshot, dict) else None
    if matrix and len(matrix.get("labels", ())) <= MAX_CONFUSION_CLASSES:
        parts.append("<h3>Zero-shot confusion matrix (rows: true class, columns: predicted)</h3>")
        parts.append(confusion_table(matrix["labels"], matrix["rows_true_columns_predicted"]))
    return "".join(parts)


def confusion_table(labels: list[str], counts: list[list[int]]) -> str:
    """The confusion matrix as a table whose cells are shaded by their share of the row."""
    head = "".join(f'<th class="rot"><span>{esc(label)}</span></th>' for label in labels)
    body = []
    for label, row in zip(labels, counts):
        total = sum(row) or 1
        cells = "".join(
            f'<td class="num" style="background: rgba(59,111,182,{n / total:.2f}); '
            f'color: {"#fff" if n / total > 0.5 else "#222"}">{fmt_number(n) if n else ""}</td>'
            for n in row
        )
        body.append(f"<tr><th>{esc(label)}</th>{cells}</tr>")
    return f'<table class="confusion"><thead><tr><th></th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
