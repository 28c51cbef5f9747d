"""Summaries of what wit wrote: manifest directories (shards and runs join later)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from wit_pipeline.errors import WitError
from wit_pipeline.manifest import PART_GLOB, list_parts, read_part
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
    reject_dir = root / "rejects" if root.is_dir() else None
    if reject_dir and reject_dir.exists():
        for rp in sorted(reject_dir.glob(PART_GLOB)):
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
    }
