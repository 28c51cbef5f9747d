"""``evaluate``: a run or checkpoint and one or more evaluation directories in, ``eval.json`` out.

Each data directory picks its tasks (``eval_data.py`` reads the layouts): a classification set (an image folder
``DIR/<class>/*``, or a CLIP_benchmark classification set) gets zero-shot classification and the linear probe,
a retrieval set (a shard directory with ``sizes.json``, or a CLIP_benchmark retrieval set) image-text retrieval.
Every layout, task, class-name file and template is checked before the model is loaded, so a wrong ``--data``
fails at once; the model is loaded once for all of them. Beside ``eval.json`` each (dataset, task) is also
written as CLIP_benchmark's result JSON (``benchmark_results.py``).
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from wit_pipeline.config import EVAL_TASK_CHOICES, EVAL_TASKS, EvalConfig, check_bounds
from wit_pipeline.errors import WitError
from wit_pipeline.eval.benchmark_results import write_benchmark_results
from wit_pipeline.eval.clip_benchmark import DEFAULT_SPLIT
from wit_pipeline.eval.datasets import labelled_features, shard_features
from wit_pipeline.eval.eval_data import (
    CLASSIFICATION,
    IMAGE_FOLDER,
    RETRIEVAL,
    SHARDS,
    EvalData,
    iter_eval_items,
    open_eval_data,
)
from wit_pipeline.eval.features import model_device
from wit_pipeline.eval.linear_probe import linear_probe
from wit_pipeline.eval.progress import EvalProgress
from wit_pipeline.eval.retrieval import retrieval_recall
from wit_pipeline.eval.templates import DEFAULT_TEMPLATES, resolve_templates
from wit_pipeline.eval.zeroshot import class_embeddings, zeroshot_report
from wit_pipeline.model.device import resolve_device
from wit_pipeline.model.pretrained import find_pretrained
from wit_pipeline.model.run_dir import EVAL
from wit_pipeline.model.weights import load_run, resolve_weights

KIND_TASKS = {CLASSIFICATION: ("zeroshot", "linear-probe"), RETRIEVAL: ("retrieval",)}
NEEDS = {
    CLASSIFICATION: "a classification set (an image folder DIR/<class>/* or a CLIP_benchmark classification set)",
    RETRIEVAL: "a retrieval set (a shard directory with sizes.json or a CLIP_benchmark retrieval set)",
}


def select_tasks(task: str, kind: str, data: str | Path) -> list[str]:
    """The tasks ``task`` (one of ``EVAL_TASK_CHOICES``) means on a set of ``kind`` (classification or retrieval)."""
    if task == "all":
        return list(KIND_TASKS[kind])
    if task not in EVAL_TASKS:
        raise WitError(f"--task {task}: unknown task (choose from {', '.join(EVAL_TASK_CHOICES)})")
    if task not in KIND_TASKS[kind]:
        wanted = RETRIEVAL if task == "retrieval" else CLASSIFICATION
        raise WitError(f"--task {task} needs {NEEDS[wanted]}; {data} is a {kind} set")
    return [task]


def set_templates(data: EvalData, spec: str | None) -> tuple[list[str], str]:
    """The prompts for ``data``: ``--templates`` when given, else the set's own, else the default set."""
    if spec is None and data.templates:
        return list(data.templates), f"{data.name} templates"
    return resolve_templates(spec), spec or DEFAULT_TEMPLATES


def evaluate_model(
    model: Any,
    tokenizer: Any,
    data: str | Path | EvalData,
    tasks: list[str],
    templates: list[str],
    batch_size: int = EvalConfig.batch_size,
    workers: int = EvalConfig.workers,
    seed: int = 0,
    progress: EvalProgress | None = None,
) -> dict[str, dict]:
    """``{task: report}`` of an in-memory model (eval mode is the caller's business) on ``data``."""
    data = data if isinstance(data, EvalData) else open_eval_data(data)
    results: dict[str, dict] = {}
    if "retrieval" in tasks:
        source = data.source if data.layout == SHARDS else data.shards
        features = shard_features(model, tokenizer, source, batch_size, workers, progress)
        device = model_device(model)
        report = retrieval_recall(features.images.to(device), features.texts.to(device), features.text_image)
        report["skipped"] = features.skipped
        results["retrieval"] = report
    image_tasks = [t for t in tasks if t != "retrieval"]
    if not image_tasks:
        return results
    assert data.classnames is not None
    skipped: Counter = Counter()
    total = len(data.folder.paths) if data.folder is not None else None
    strict = data.layout == IMAGE_FOLDER
    items = iter_eval_items(data, skipped)
    found = labelled_features(model, items, batch_size, workers, progress, total, strict, skipped)
    if "zeroshot" in image_tasks:
        classifier = class_embeddings(model, tokenizer, data.classnames, templates, batch_size)
        report = zeroshot_report(found.features, found.labels, classifier, data.classnames)
        results["zeroshot"] = {"templates": len(templates), **report}
        if found.skipped:
            results["zeroshot"]["skipped"] = found.skipped
    if "linear-probe" in image_tasks:
        results["linear-probe"] = linear_probe(
            found.features, found.labels, data.classnames, seed, device=model_device(model)
        )
    return results


def evaluate(
    run_or_checkpoint: str | Path,
    data: str | Path | list[str | Path],
    task: str = EvalConfig.task,
    templates: str | None = None,
    batch_size: int = EvalConfig.batch_size,
    device: str = EvalConfig.device,
    out: str | Path | None = None,
    workers: int = EvalConfig.workers,
    seed: int = 0,
    progress: bool = False,
    classnames: str | None = None,
    split: str = DEFAULT_SPLIT,
) -> dict:
    """Evaluate a run directory, checkpoint or ``.safetensors`` file on ``data`` (one directory or several).

    ``out`` defaults to ``eval.json`` in the run or checkpoint directory (beside a weights file). The record
    holds the inputs, the device, the wall time, one entry per dataset (name, source, layout, tasks, templates)
    and ``results``: one report per task (``DATASET/TASK`` when there are several datasets). CLIP_benchmark's
    JSON files go beside it.
    """
    from wit_pipeline.atomic_files import write_json

    settings = {"task": task, "batch_size": batch_size, "device": device, "workers": workers}
    check_bounds(EvalConfig, settings, "eval.", "eval settings")  # [eval]'s declarations, as wit eval checks them
    sources = data if isinstance(data, list) else [data]
    if not sources:
        raise WitError("no evaluation data: give --data DIR")
    plans = []
    names: Counter = Counter()
    for source in sources:
        opened = open_eval_data(source, classnames, split)
        tasks = select_tasks(task, opened.kind, source)
        prompts, prompts_name = set_templates(opened, templates) if "zeroshot" in tasks else ([], None)
        names[opened.name] += 1
        name = opened.name if names[opened.name] == 1 else f"{opened.name}-{names[opened.name]}"
        plans.append((name, opened, tasks, prompts, prompts_name))
    _, weights = resolve_weights(run_or_checkpoint)
    started = time.perf_counter()
    model, tokenizer, _ = load_run(run_or_checkpoint, resolve_device(device))
    out_path = Path(out).expanduser() if out is not None else default_output(run_or_checkpoint)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    bars = EvalProgress(progress)
    datasets, results, written = [], {}, []
    try:
        for name, opened, tasks, prompts, prompts_name in plans:
            found = evaluate_model(model, tokenizer, opened, tasks, prompts, batch_size, workers, seed, bars)
            datasets.append(
                {
                    "name": name,
                    "data": opened.source,
                    "layout": opened.layout,
                    "tasks": tasks,
                    "templates": prompts_name,
                }
            )
            results.update(found if len(plans) == 1 else {f"{name}/{t}": r for t, r in found.items()})
            written += write_benchmark_results(out_path, name, str(run_or_checkpoint), str(weights), found)
    finally:
        bars.close()
    first = datasets[0]
    record = {
        "model": str(run_or_checkpoint),
        "weights": str(weights),
        "data": first["data"] if len(datasets) == 1 else [d["data"] for d in datasets],
        "layout": first["layout"] if len(datasets) == 1 else [d["layout"] for d in datasets],
        "tasks": first["tasks"] if len(datasets) == 1 else sorted({t for d in datasets for t in d["tasks"]}),
        "templates": first["templates"] if len(datasets) == 1 else [d["templates"] for d in datasets],
        "device": str(model_device(model)),
        "seconds": round(time.perf_counter() - started, 3),
        "datasets": datasets,
        "results": results,
        "clip_benchmark": [str(p) for p in written],
    }
    write_json(out_path, record)
    return {**record, "out": str(out_path)}


def default_output(run_or_checkpoint: str | Path) -> Path:
    """``eval.json`` inside a run, checkpoint or open_clip model directory, or beside a run's weights file.

    A pretrained weights file gets ``STEM.eval.json`` beside it, so checkpoints kept in one folder
    (``ViT-B-32.pt``, ``RN50.pt``) do not overwrite each other's results.
    """
    path = Path(run_or_checkpoint).expanduser()
    if path.is_dir():
        return path / EVAL
    if find_pretrained(path) is not None:
        return path.with_name(f"{path.stem}.{EVAL}")
    return path.parent / EVAL
