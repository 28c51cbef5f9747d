"""What a finished build wrote, in a comparable form, and checks on what an interrupted one left.

Used by the kill-point and worker-loss tests: an interrupted-then-resumed build must write
exactly what an undisturbed one writes (tar members by name and bytes, every manifest, shard
parquet, sizes.json, funnel and tokenizer), and an interrupted one must never leave a file under
its final name that is not complete.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pyarrow.parquet as pq

from wit_pipeline.atomic_files import TMP_MARK
from wit_pipeline.layout.manifest_dir import QUERY_COUNTS_DIR, REJECTS_DIR, STATS_FILE


def tar_members(path: Path) -> list[tuple[str, bytes]]:
    """Member names and bytes, in order (tar headers hold write times, so not the raw file)."""
    with tarfile.open(path) as tf:
        return [(m.name, tf.extractfile(m).read()) for m in tf.getmembers()]


def parquet_rows(directory: Path, pattern: str) -> dict[str, list[dict]]:
    return {p.name: pq.read_table(p).to_pylist() for p in sorted(directory.glob(pattern))}


def build_outputs(out: Path) -> dict:
    """Everything a build writes, minus wall times and absolute paths of its own directory."""
    shards = out / "shards"
    stats = json.loads((shards / STATS_FILE).read_text())
    info = json.loads((shards / "_info.json").read_text())
    info.pop("config", None)
    summary = json.loads((out / "build.json").read_text())
    return {
        "tars": {p.name: tar_members(p) for p in sorted(shards.glob("[0-9]*.tar"))},
        "shard_parquets": parquet_rows(shards, "[0-9]*.parquet"),
        "shard_stats": {p.name: _stats(p) for p in sorted(shards.glob("[0-9]*_stats.json"))},
        "sizes": json.loads((shards / "sizes.json").read_text()),
        "info": info,
        "funnel": stats["funnel"],
        "build_funnel": (summary["funnel"], summary["samples"]),
        "tokenizer": (shards / "tokenizer.json").read_text(),
        "filtered": parquet_rows(out / "filtered", "part-*.parquet"),
        "filtered_rejects": parquet_rows(out / "filtered" / REJECTS_DIR, "part-*.parquet"),
        "query_counts": parquet_rows(out / "filtered" / QUERY_COUNTS_DIR, "part-*.parquet"),
        "sources": {
            d.name: (parquet_rows(d, "part-*.parquet"), parquet_rows(d / REJECTS_DIR, "part-*.parquet"))
            for d in sorted((out / "sources").iterdir())
        },
    }


def _stats(path: Path) -> dict:
    """A shard's img2dataset stats without its timings."""
    data = json.loads(path.read_text())
    return {
        k: v for k, v in data.items() if k not in ("start_time", "end_time", "duration", "wall_time", "sample_per_sec")
    }


def tmp_leftovers(out: Path) -> list[str]:
    """Temporary files or directories anywhere under ``out``."""
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if TMP_MARK in p.name or p.name.endswith(".tmp"))


def incomplete_final_files(out: Path) -> list[str]:
    """Files under their final names (outside temporary dirs) that do not read back whole."""
    bad = []
    for path in out.rglob("*"):
        if not path.is_file() or any(TMP_MARK in part for part in path.relative_to(out).parts):
            continue
        try:
            if path.suffix == ".parquet":
                pq.read_table(path)
            elif path.suffix == ".tar":
                tar_members(path)
            elif path.suffix == ".json":
                json.loads(path.read_text())
        except Exception as exc:  # noqa: BLE001 - any failure to read back is the finding
            bad.append(f"{path.relative_to(out)}: {type(exc).__name__}")
    for marker in out.rglob("_SUCCESS"):
        folder = marker.parent
        if TMP_MARK in str(marker.relative_to(out)):
            continue
        if folder.parent.name == "_tasks":
            needed = folder / "_counters.json"  # a finished task
        elif (folder / "_job.json").exists() or (folder / "_filter.json").exists():
            needed = folder / STATS_FILE  # a finished job
        else:
            continue  # a global step: its marker is inside the directory that appeared by one rename
        if not needed.exists():
            bad.append(f"{marker.relative_to(out)}: complete but without {needed.name}")
    return sorted(bad)
