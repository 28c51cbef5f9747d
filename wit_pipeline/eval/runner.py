"""``evaluate``: a run or checkpoint and an evaluation directory in, ``eval.json`` out.

The data directory picks the tasks: a shard directory (it has ``sizes.json``) is a retrieval set, any other
directory must be an image folder ``DIR/<class name>/*`` for zero-shot classification and the linear probe.
Layout, task and templates are checked before the model is loaded, so a wrong ``--data`` fails at once.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch

from loaders.shard_source import SIZES_FILE, TAR_SUFFIXES, resolve_source
from wit_pipeline.errors import WitError
from wit_pipeline.eval import TASK_CHOICES, TASKS
from wit_pipeline.eval.datasets import folder_features, shard_features
from wit_pipeline.eval.features import model_device
from wit_pipeline.eval.image_folder import EXPECTED, scan_image_folder
from wit_pipeline.eval.linear_probe import linear_probe
from wit_pipeline.eval.progress import EvalProgress
from wit_pipeline.eval.retrieval import retrieval_recall
from wit_pipeline.eval.templates import DEFAULT_TEMPLATES, resolve_templates
from wit_pipeline.eval.zeroshot import class_embeddings, zeroshot_report

IMAGE_FOLDER, SHARDS = "image_folder", "shards"
LAYOUT_TASKS = {IMAGE_FOLDER: ("zeroshot", "linear-probe"), SHARDS: ("retrieval",)}
EVAL_FILE = "eval.json"


def detect_layout(data: str | Path) -> str:
    """``"shards"`` for a directory with ``sizes.json``, else ``"image_folder"``; a non-directory is an error."""
    path = Path(data).expanduser()
    wanted = f"an image folder {EXPECTED} or a shard directory with {SIZES_FILE}"
    if not path.exists():
        raise WitError(f"{path}: no such directory (expected {wanted})")
    if not path.is_dir():
        raise WitError(f"{path}: not a directory (expected {wanted})")
    if (path / SIZES_FILE).is_file():
        return SHARDS
    if any(p.name.endswith(TAR_SUFFIXES) for p in path.iterdir()):
        raise WitError(f"{path}: .tar shards but no {SIZES_FILE} (expected {wanted})")
    return IMAGE_FOLDER


def check_data(data: str | Path, layout: str) -> None:
    """Read enough of ``data`` to be sure its layout is usable (class folders with images, or shards)."""
    if layout == IMAGE_FOLDER:
        scan_image_folder(data)
    else:
        resolve_source(data)


def select_tasks(task: str, layout: str, data: str | Path) -> list[str]:
    """The tasks ``task`` (one of ``TASK_CHOICES``) means on data of ``layout``."""
    if task == "all":
        return list(LAYOUT_TASKS[layout])
    if task not in TASKS:
        raise WitError(f"--task {task}: unknown task (choose from {', '.join(TASK_CHOICES)})")
    if task not in LAYOUT_TASKS[layout]:
        needs = "a shard directory (with sizes.json)" if task == "retrieval" else f"an image folder {EXPECTED}"
        found = "a shard directory" if layout == SHARDS else "an image folder"
        raise WitError(f"--task {task} needs {needs}; {data} is {found}")
    return [task]


def evaluate_model(
    model: Any,
    tokenizer: Any,
    data: str | Path,
    tasks: list[str],
    templates: list[str],
    batch_size: int = 64,
    workers: int = 2,
    seed: int = 0,
    progress: EvalProgress | None = None,
) -> dict[str, dict]:
    """``{task: report}`` of an in-memory model (eval mode is the caller's business) on ``data``."""
    results: dict[str, dict] = {}
    if "retrieval" in tasks:
        features = shard_features(model, tokenizer, data, batch_size, workers, progress)
        device = model_device(model)
        report = retrieval_recall(features.images.to(device), features.texts.to(device), features.text_image)
        report["skipped"] = features.skipped
        results["retrieval"] = report
    image_tasks = [t for t in tasks if t != "retrieval"]
    if not image_tasks:
        return results
    folder = scan_image_folder(data)
    image_features = folder_features(model, folder, batch_size, workers, progress)
    labels = torch.tensor(folder.labels)
    if "zeroshot" in image_tasks:
        classifier = class_embeddings(model, tokenizer, folder.classnames, templates, batch_size)
        report = zeroshot_report(image_features, labels, classifier, folder.classnames)
        results["zeroshot"] = {"templates": len(templates), **report}
    if "linear-probe" in image_tasks:
        results["linear-probe"] = linear_probe(
            image_features, labels, folder.classnames, seed, device=model_device(model)
        )
    return results


def evaluate(
    run_or_checkpoint: str | Path,
    data: str | Path,
    task: str = "all",
    templates: str | None = None,
    batch_size: int = 64,
    device: str = "auto",
    out: str | Path | None = None,
    workers: int = 2,
    seed: int = 0,
    progress: bool = False,
) -> dict:
    """Evaluate a run directory, checkpoint or ``.safetensors`` file on ``data``; write and return the record.

    ``out`` defaults to ``eval.json`` in the run or checkpoint directory (beside a weights file). The record
    holds the inputs, the device, the wall time and ``results``: one report per task.
    """
    from wit_pipeline.runtime.atomic import write_json
    from wit_pipeline.train.distributed import resolve_device
    from wit_pipeline.train.run_dir import load_run, resolve_weights

    if batch_size < 1:
        raise WitError(f"--batch-size must be at least 1, got {batch_size}")
    if workers < 0:
        raise WitError(f"--workers must be at least 0, got {workers}")
    layout = detect_layout(data)
    tasks = select_tasks(task, layout, data)
    check_data(data, layout)
    template_list = resolve_templates(templates)
    _, weights = resolve_weights(run_or_checkpoint)
    started = time.perf_counter()
    model, tokenizer, _ = load_run(run_or_checkpoint, resolve_device(device))
    bars = EvalProgress(progress)
    try:
        results = evaluate_model(model, tokenizer, data, tasks, template_list, batch_size, workers, seed, bars)
    finally:
        bars.close()
    out_path = Path(out).expanduser() if out is not None else default_output(run_or_checkpoint)
    record = {
        "model": str(run_or_checkpoint),
        "weights": str(weights),
        "data": str(data),
        "layout": layout,
        "tasks": tasks,
        "templates": (templates or DEFAULT_TEMPLATES) if "zeroshot" in tasks else None,
        "device": str(model_device(model)),
        "seconds": round(time.perf_counter() - started, 3),
        "results": results,
    }
    out_path.parent.mkdir(parents=True, exist_ok=True)
    write_json(out_path, record)
    return {**record, "out": str(out_path)}


def default_output(run_or_checkpoint: str | Path) -> Path:
    """``eval.json`` inside the run or checkpoint directory, or beside a ``.safetensors`` file."""
    path = Path(run_or_checkpoint).expanduser()
    return (path if path.is_dir() else path.parent) / EVAL_FILE
