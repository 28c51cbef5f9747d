"""Run a job's tasks on dask (or serially), atomically and resumably, then publish its output.

Layout of a job's output directory while it runs::

    OUT/_job.json                 what job this directory holds (a rerun must match it)
    OUT/_tasks/<task_id>/         a finished task: part-J.parquet, rejects-J.parquet,
                                  _counters.json, _SUCCESS (the directory appears by rename)
    OUT/_tasks/<task_id>.tmp-*    an unfinished attempt (removed on the next run)

When every task is done, chunks are moved to ``OUT/part-NNNNN.parquet`` and
``OUT/rejects/part-NNNNN.parquet`` numbered in task order, ``stats.json`` is written and
``OUT/_SUCCESS`` marks the job complete. Every step is idempotent, so a job killed at any
point resumes where it stopped and never writes a row twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

from distributed import Client, as_completed
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from wit_pipeline.errors import WitError
from wit_pipeline.runtime.atomic import TMP_MARK, is_tmp, write_json, write_parquet, write_text
from wit_pipeline.runtime.funnel import merge_counters, read_funnel, write_stats
from wit_pipeline.runtime.results import StageCounters
from wit_pipeline.runtime.stage import Task

TASKS_DIR = "_tasks"
DONE = "_SUCCESS"
JOB_FILE = "_job.json"
COUNTERS_FILE = "_counters.json"


def run_job(
    tasks: Sequence[Task],
    out_dir: str | Path,
    *,
    job: str,
    fingerprint: dict | None = None,
    client: Client | None = None,
    upstream: str | Path | None = None,
    progress: bool = True,
) -> dict:
    """Run ``tasks`` into ``out_dir`` and return the written stats (the funnel).

    ``fingerprint`` describes the job's inputs and settings: rerunning into a directory that
    holds a different job is refused rather than mixing outputs. ``upstream`` is the input
    directory whose funnel is carried over in front of this job's stages.
    """
    out = Path(out_dir)
    ids = [t.task_id for t in tasks]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{job}: task ids are not unique")
    _claim(out, job, fingerprint or {})
    if (out / DONE).exists():
        return json.loads((out / "stats.json").read_text(encoding="utf-8"))
    tasks_dir = out / TASKS_DIR
    tasks_dir.mkdir(parents=True, exist_ok=True)
    for stale in tasks_dir.iterdir():
        if is_tmp(stale):
            shutil.rmtree(stale, ignore_errors=True)
    pending = [t for t in tasks if not task_done(out, t.task_id)]
    if client is None:
        for t in _track(pending, job, progress):
            _raise_user_error(execute_task(t, str(out)))
    else:
        _run_on_dask(client, pending, out, job, progress)
    return _publish(out, ids, job, upstream)


def task_done(out: Path, task_id: str) -> bool:
    return (out / TASKS_DIR / task_id / DONE).exists()


def execute_task(task: Task, out_dir: str) -> str | None:
    """Run one task; return None on success or the one-line message of a user error.

    Module-level so dask can ship it to worker processes. A user error (bad input file) is
    returned rather than raised, so dask neither retries it nor logs a traceback.
    """
    try:
        _execute(task, Path(out_dir))
    except WitError as exc:
        return str(exc)
    return None


def _execute(task: Task, out: Path) -> None:
    """Run one task into a temporary directory and rename it into place; skip if already done.

    Two attempts racing (a worker presumed dead that was only slow) cannot both land: the
    second rename fails and is dropped.
    """
    final = out / TASKS_DIR / task.task_id
    if (final / DONE).exists():
        return
    tmp = final.with_name(f"{final.name}{TMP_MARK}{uuid.uuid4().hex[:12]}")
    tmp.mkdir(parents=True)
    try:
        totals: list[list[StageCounters]] = []
        rejects: list[int] = []
        for n, chunk in enumerate(task.run()):
            write_parquet(tmp / f"part-{n:05d}.parquet", chunk.kept)
            if chunk.rejected is not None and chunk.rejected.num_rows:
                write_parquet(tmp / f"rejects-{n:05d}.parquet", chunk.rejected)
                rejects.append(n)
            totals.append(chunk.counters)
        chunks = len(totals)
        counters = [c.to_dict() for c in merge_counters(totals)]
        write_json(tmp / COUNTERS_FILE, {"chunks": chunks, "rejects": rejects, "counters": counters})
        write_text(tmp / DONE, "")
        try:
            os.replace(tmp, final)
        except OSError:
            if not (final / DONE).exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _claim(out: Path, job: str, fingerprint: dict) -> None:
    """Record which job owns ``out``; refuse to resume a different job into finished work.

    A claim with no finished task yet (say, a run that failed on a bad input file) is simply
    replaced, so fixing the input and rerunning into the same directory works.
    """
    out.mkdir(parents=True, exist_ok=True)
    record = json.loads(json.dumps({"job": job, "fingerprint": fingerprint}))
    path = out / JOB_FILE
    if path.exists():
        try:
            existing = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            existing = None
        if existing == record:
            return
        if any((out / TASKS_DIR).glob(f"*/{DONE}")):
            raise WitError(f"{out}: holds the output of a different job or settings; choose another --out or delete it")
    elif any(p for p in out.iterdir() if not p.name.startswith("_")):
        raise WitError(f"{out}: output directory is not empty and holds no wit job")
    write_json(path, record)


def _run_on_dask(client: Client, tasks: Sequence[Task], out: Path, job: str, progress: bool) -> None:
    token = hashlib.blake2b(str(out.resolve()).encode(), digest_size=4).hexdigest()
    futures = [client.submit(execute_task, t, str(out), key=f"wit-{job}-{t.task_id}-{token}", retries=1) for t in tasks]
    try:
        for future in _track(as_completed(futures), job, progress, total=len(futures)):
            _raise_user_error(future.result())
    finally:
        for f in futures:
            f.cancel()


def _raise_user_error(message: str | None) -> None:
    if message is not None:
        raise WitError(message)


def _track(items, job: str, progress: bool, total: int | None = None):
    """Iterate ``items`` showing a progress bar on stderr."""
    if not progress:
        yield from items
        return
    total = len(items) if total is None else total
    columns = [TextColumn(f"[bold]{job}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, transient=True, console=_stderr_console()) as bar:
        task = bar.add_task(job, total=total)
        for item in items:
            yield item
            bar.advance(task)


def _stderr_console():
    from rich.console import Console

    return Console(file=sys.stderr)


def _publish(out: Path, task_ids: list[str], job: str, upstream: str | Path | None) -> dict:
    """Number every task's chunks globally, move them into place, write stats and _SUCCESS."""
    (out / "rejects").mkdir(exist_ok=True)
    index = 0
    groups = []
    for task_id in task_ids:
        src = out / TASKS_DIR / task_id
        meta = json.loads((src / COUNTERS_FILE).read_text(encoding="utf-8"))
        groups.append([StageCounters.from_dict(c) for c in meta["counters"]])
        for j in range(meta["chunks"]):
            _move(src / f"part-{j:05d}.parquet", out / f"part-{index + j:05d}.parquet")
            if j in meta["rejects"]:
                _move(src / f"rejects-{j:05d}.parquet", out / "rejects" / f"part-{index + j:05d}.parquet")
        index += meta["chunks"]
    upstream_funnel = read_funnel(upstream) if upstream else []
    stats = write_stats(
        out, merge_counters(groups), upstream_funnel, {"job": job, "parts": index, "tasks": len(task_ids)}
    )
    write_text(out / DONE, "")
    return stats


def _move(src: Path, dst: Path) -> None:
    if src.exists():
        os.replace(src, dst)
    elif not dst.exists():
        raise WitError(f"{src}: task output went missing before it was published; delete {dst.parent}")
