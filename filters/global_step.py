"""Shared plumbing of the global steps (dedup survivors, per-query counts).

A global step computes small side data with dask's own machinery over every partition, writes it
to a temporary directory and renames that into place with a ``_SUCCESS`` marker, so a rerun
either finds the whole step done or redoes it from scratch.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import dask
from distributed import Client

from wit_pipeline import storage
from wit_pipeline.atomic_files import TMP_MARK, write_text
from wit_pipeline.layout.job_dir import SUCCESS, is_complete
from wit_pipeline.runtime.faults import fault_point


def compute(collection, client: Client | None):
    """Compute a dask collection on ``client``, or in this process when there is none (tests)."""
    if client is None:
        return dask.compute(collection, scheduler="sync")[0]
    return client.compute(collection).result()


# Above this many rows a shuffle goes peer-to-peer (disk-backed, bounded memory); below it the
# in-memory task shuffle is faster.
P2P_MIN_ROWS = 5_000_000


def shuffle_method(client: Client | None, rows: int) -> str:
    """dask's shuffle method for ``rows`` rows: task-based in-process or when small, p2p when large."""
    return "p2p" if client is not None and rows >= P2P_MIN_ROWS else "tasks"


def count_rows(paths: Sequence[str]) -> int:
    """Rows in parquet files, from their footers."""
    return sum(storage.parquet_metadata(p).num_rows for p in paths)


def run_step(directory: Path, write: Callable[[Path], None]) -> None:
    """Run ``write(tmp_dir)`` unless ``directory`` is complete, then move the result into place."""
    if is_complete(directory):
        return
    directory.parent.mkdir(parents=True, exist_ok=True)
    for stale in directory.parent.glob(f"{directory.name}{TMP_MARK}*"):
        shutil.rmtree(stale, ignore_errors=True)
    if directory.exists():
        shutil.rmtree(directory)
    tmp = directory.with_name(f"{directory.name}{TMP_MARK}{uuid.uuid4().hex[:12]}")
    tmp.mkdir()
    try:
        write(tmp)
        fault_point("global", directory.name, "written")
        write_text(tmp / SUCCESS, "")
        os.replace(tmp, directory)
        fault_point("global", directory.name, "done")
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
