"""wit's eval reports as CLIP_benchmark's result JSON, so tables built from CLIP_benchmark runs ingest them.

One file per (dataset, task), as ``clip_benchmark eval`` writes it::

    {"dataset": "wds/cifar10", "model": RUN, "pretrained": WEIGHTS, "task": "zeroshot_classification",
     "metrics": {"acc1": ..., "acc5": ..., "mean_per_class_recall": ...}, "language": "en"}

Tasks and metrics: ``zeroshot_classification`` (``acc1``, ``acc5`` when there are more than 5 classes,
``mean_per_class_recall``), ``zeroshot_retrieval`` (``image_retrieval_recall@k``: a caption finds its image in
the top k; ``text_retrieval_recall@k``: an image finds one of its captions in the top k; k = 1, 5, 10) and
``linear_probe`` (``lp_acc1``, ``lp_acc5``, ``lp_mean_per_class_recall`` on wit's held-out test split).
"""

from __future__ import annotations

from pathlib import Path

from wit_pipeline.atomic_files import write_json
from wit_pipeline.eval.retrieval import RECALL_KS

TASK_NAMES = {"zeroshot": "zeroshot_classification", "retrieval": "zeroshot_retrieval", "linear-probe": "linear_probe"}


def benchmark_metrics(task: str, report: dict) -> dict[str, float]:
    """CLIP_benchmark's metrics of one wit task report."""
    if task == "zeroshot":
        keys = {"acc1": "acc1", "acc5": "acc5", "mean_per_class_recall": "mean_per_class_recall"}
    elif task == "linear-probe":
        keys = {
            "lp_acc1": "test_acc1",
            "lp_acc5": "test_acc5",
            "lp_mean_per_class_recall": "test_mean_per_class_recall",
        }
    else:
        keys = {}
        for k in RECALL_KS:
            keys[f"image_retrieval_recall@{k}"] = f"text_to_image_recall@{k}"
            keys[f"text_retrieval_recall@{k}"] = f"image_to_text_recall@{k}"
    return {name: float(report[key]) for name, key in keys.items() if key in report}


def benchmark_dir(record_path: Path) -> Path:
    """Where the CLIP_benchmark files of the record ``RUN/eval.json`` go: ``RUN/eval_clip_benchmark/``."""
    return record_path.with_name(f"{record_path.stem}_clip_benchmark")


def write_benchmark_results(
    record_path: Path, dataset: str, model: str, weights: str, results: dict[str, dict]
) -> list[Path]:
    """Write one CLIP_benchmark JSON per task of ``results``; returns the files written."""
    directory = benchmark_dir(record_path)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for task, report in results.items():
        name = TASK_NAMES[task]
        path = directory / f"{dataset.replace('/', '_')}_{name}.json"
        record = {
            "dataset": dataset,
            "model": model,
            "pretrained": weights,
            "task": name,
            "metrics": benchmark_metrics(task, report),
            "language": "en",
        }
        write_json(path, record)
        written.append(path)
    return written
