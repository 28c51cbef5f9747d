"""Summaries of what wit wrote: manifest directories, shard directories and training runs."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from wit_pipeline.errors import WitError
from wit_pipeline.layout.manifest_dir import PART_GLOB, is_old_layout, rejects_location
from wit_pipeline.layout.shard_dir import read_sizes, shard_parquets, shard_tars
from wit_pipeline.manifest import list_parts, read_part
from wit_pipeline.model.run_dir import RunDir, read_metrics
from wit_pipeline.runtime.funnel import read_funnel


def summarize_manifest(path: str | Path, sample_rows: int = 5) -> dict:
    """Rows, parts, schema, sample rows, rejects per stage/reason and the recorded funnel."""
    root = Path(path)
    parts = list_parts(root)
    rows = 0
    for part in parts:
        try:
            rows += pq.ParquetFile(part).metadata.num_rows
        except Exception as exc:  # noqa: BLE001 - any unreadable file is a user-facing error
            raise WitError(f"{part}: unreadable parquet file ({str(exc).splitlines()[0]})") from None
    first = read_part(parts[0])
    sample = []
    for part in parts:
        if len(sample) >= sample_rows:
            break
        sample += read_part(part).slice(0, sample_rows - len(sample)).to_pylist()
    reject_reasons: Counter = Counter()
    for rp in reject_parts(root) if root.is_dir() else []:
        t = pq.read_table(rp, columns=["stage", "reason"])
        reject_reasons.update(f"{s}/{r}" for s, r in zip(t["stage"].to_pylist(), t["reason"].to_pylist()))
    return {
        "path": str(root),
        "rows": rows,
        "parts": len(parts),
        "schema": {f.name: str(f.type) for f in first.schema},
        "sample": sample,
        "rejects": sum(reject_reasons.values()),
        "rejects_by_reason": dict(reject_reasons.most_common()),
        "funnel": [s.to_dict() for s in read_funnel(root)] if root.is_dir() else [],
        "old_layout": root.is_dir() and is_old_layout(root),
    }


def reject_parts(directory: str | Path) -> list[Path]:
    """The rejects part files of a manifest directory (``_rejects/``, or an old ``rejects/``)."""
    return sorted(Path(rejects_location(directory)).glob(PART_GLOB))


def summarize_rejects(path: str | Path, sample_rows: int = 5, stage: str | None = None) -> dict:
    """The rejects of a manifest directory: count per stage/reason and sample rows (of ``stage`` only if given)."""
    root = Path(path)
    list_parts(root)  # a clear error when ``path`` is no manifest directory
    parts = reject_parts(root)
    by_reason: Counter = Counter()
    sample: list[dict] = []
    for part in parts:
        try:
            table = pq.read_table(part)
        except Exception as exc:  # noqa: BLE001 - any unreadable file is a user-facing error
            raise WitError(f"{part}: unreadable parquet file ({str(exc).splitlines()[0]})") from None
        for row in table.to_pylist():
            if stage is not None and row.get("stage") != stage:
                continue
            by_reason[f"{row.get('stage')}/{row.get('reason')}"] += 1
            if len(sample) < sample_rows:
                sample.append(row)
    return {
        "path": str(root),
        "rejects_dir": str(rejects_location(root)),
        "parts": len(parts),
        "rejects": sum(by_reason.values()),
        "by_reason": dict(by_reason.most_common()),
        "sample": sample,
    }


def summarize_shards(path: str | Path, sample_rows: int = 5) -> dict:
    """Shards, samples per ``sizes.json`` (else counted from the tars), rows by status and reason, the funnel."""
    from loaders.tar_reader import count_samples, iter_samples
    from wit_pipeline.layout.shard_dir import reason_of

    root = Path(path)
    sizes = read_sizes(root)
    if sizes is None:  # an img2dataset directory: count the samples from the tars
        sizes = {tar.name: count_samples(str(tar)) for tar in shard_tars(root)}
    statuses: Counter = Counter()
    reasons: Counter = Counter()
    for parquet in shard_parquets(root):
        table = pq.read_table(parquet, columns=["status", "error_message"])
        statuses.update(table["status"].to_pylist())
        reasons.update(reason_of(m) for m in table["error_message"].to_pylist() if m)
    sample = []
    for tar in shard_tars(root):
        for item in iter_samples(tar):
            if len(sample) >= sample_rows:
                break
            sample.append({"key": item["__key__"], "caption": item.get("txt", b"").decode("utf-8", "replace")})
        if len(sample) >= sample_rows:
            break
    return {
        "path": str(root),
        "shards": len(sizes),
        "samples": sum(sizes.values()),
        "status": dict(statuses.most_common()),
        "reasons": dict(reasons.most_common()),
        "sample": sample,
        "funnel": [s.to_dict() for s in read_funnel(root)],
    }


def summarize_run(path: str | Path) -> dict:
    """A training run: model size, progress (last metrics), the final summary and any eval.json."""
    run = RunDir(path)

    def load(file: Path) -> dict | None:
        return json.loads(file.read_text(encoding="utf-8")) if file.exists() else None

    metrics = read_metrics(run.metrics)
    return {
        "path": str(run.path),
        "model": load(run.model_config),
        "summary": load(run.summary),
        "last_metrics": metrics[-1] if metrics else None,
        "logged_steps": len(metrics),
        "checkpoints": run.checkpoint_names(),
        "finished": run.weights.exists(),
        "eval": load(run.eval),
    }
