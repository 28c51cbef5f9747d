"""Run a job's tasks on dask (or serially), atomically and resumably.

Layout of a job's output directory while it runs::

    OUT/_job.json                 what job this directory holds (a rerun must match it)
    OUT/_tasks/<task_id>/         a finished task's outputs and _counters.json, _SUCCESS
                                  (the directory appears by one rename, so it is all or nothing)
    OUT/_tasks/<task_id>.tmp-*    an unfinished attempt (removed on the next run)

How a task fills its directory and how finished task directories are moved into OUT
is up to the job kind (manifest chunks in ``manifest_jobs``, files such as shards in ``file_jobs``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from distributed import Client, as_completed
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from wit_pipeline.atomic_files import TMP_MARK, is_tmp, write_json, write_text
from wit_pipeline.errors import WitError
from wit_pipeline.layout.job_dir import COUNTERS_FILE, JOB_FILE, SUCCESS, TASKS_DIR, is_complete
from wit_pipeline.runtime.faults import fault_point
from wit_pipeline.runtime.funnel import merge_counters, write_stats
from wit_pipeline.runtime.results import StageCounters
from wit_pipeline.runtime.worker_heap import freeze_worker_heap

Fill = Callable[[Any, Path], dict]


def run_tasks(
    tasks: Sequence[Any],
    out: Path,
    *,
    job: str,
    fill: Fill,
    fingerprint: dict | None = None,
    client: Client | None = None,
    progress: bool = True,
) -> bool:
    """Run every unfinished task; return False when the whole job was already complete.

    ``fill(task, tmp_dir)`` writes one task's outputs into ``tmp_dir`` and returns the JSON
    record saved as its ``_counters.json``; it must be a module-level function so dask can
    ship it. ``fingerprint`` describes the job's inputs and settings: resuming a different
    job into a directory with finished work is refused rather than mixing outputs.
    """
    ids = [t.task_id for t in tasks]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{job}: task ids are not unique")
    claim(out, job, fingerprint or {})
    if is_complete(out):
        return False
    tasks_dir = out / TASKS_DIR
    tasks_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_attempts(tasks_dir)
    pending = [t for t in tasks if not task_done(out, t.task_id)]
    if client is None:
        for t in track(pending, job, progress):
            _raise_user_error(execute(fill, t, str(out), job))
    else:
        token = hashlib.blake2b(str(out.resolve()).encode(), digest_size=4).hexdigest()
        futures = [
            client.submit(execute, fill, t, str(out), job, key=f"wit-{job}-{t.task_id}-{token}", retries=1)
            for t in pending
        ]
        try:
            for future in track(as_completed(futures), job, progress, total=len(futures)):
                _raise_user_error(future.result())
        finally:
            for f in futures:
                f.cancel()
    # A worker killed mid-task (or a retried attempt) leaves its temporary directory behind;
    # every task has now finished, so whatever is still temporary belongs to a dead attempt.
    remove_stale_attempts(tasks_dir)
    return True


def remove_stale_attempts(tasks_dir: Path) -> None:
    """Delete the ``<task_id>.tmp-*`` directories of unfinished attempts."""
    for stale in tasks_dir.iterdir():
        if is_tmp(stale):
            shutil.rmtree(stale, ignore_errors=True)


def task_done(out: Path, task_id: str) -> bool:
    return is_complete(out / TASKS_DIR / task_id)


def task_record(out: Path, task_id: str) -> dict:
    """The ``_counters.json`` record a finished task wrote."""
    return json.loads((out / TASKS_DIR / task_id / COUNTERS_FILE).read_text(encoding="utf-8"))


def complete_job(
    out: Path, job: str, groups: list[list[StageCounters]], upstream: list[StageCounters], info: dict
) -> dict:
    """Write the job's ``_stats.json`` (``upstream``'s funnel, then every task's counters merged), then
    ``_SUCCESS`` last, so a job killed before it is assembled again on the next run; returns the stats."""
    stats = write_stats(out, merge_counters(groups), upstream, info)
    fault_point("place", job, "stats")
    write_text(out / SUCCESS, "")
    return stats


def execute(fill: Fill, task: Any, out_dir: str, job: str = "") -> str | None:
    """Run one task; return None on success or the one-line message of a user error.

    A user error (bad input file) is returned rather than raised, so dask neither retries it
    nor logs a traceback. Two attempts racing (a worker presumed dead that was only slow)
    cannot both land: the second rename fails and its directory is dropped.
    """
    final = Path(out_dir) / TASKS_DIR / task.task_id
    if is_complete(final):
        return None
    freeze_worker_heap()
    tmp = final.with_name(f"{final.name}{TMP_MARK}{uuid.uuid4().hex[:12]}")
    tmp.mkdir(parents=True)
    try:
        record = fill(task, tmp)
        fault_point("task", job, task.task_id, "filled")
        write_json(tmp / COUNTERS_FILE, record)
        write_text(tmp / SUCCESS, "")
        try:
            os.replace(tmp, final)
        except OSError:
            if not is_complete(final):
                raise
        fault_point("task", job, task.task_id, "done")
    except WitError as exc:
        return str(exc)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return None


def claim(out: Path, job: str, fingerprint: dict, record_name: str = JOB_FILE) -> None:
    """Record which job owns ``out``; refuse to resume a different job into finished work.

    A claim with no finished task yet (say, a run that failed on a bad input file) is simply
    replaced, so fixing the input and rerunning into the same directory works. Multi-step
    commands claim their top directory under their own ``record_name``.
    """
    out.mkdir(parents=True, exist_ok=True)
    record = json.loads(json.dumps({"job": job, "fingerprint": fingerprint}))
    path = out / record_name
    if path.exists():
        try:
            existing = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            existing = None
        if existing == record:
            return
        if any((out / TASKS_DIR).glob(f"*/{SUCCESS}")):
            raise WitError(
                f"{out}: holds the output of a different job, or of other inputs or settings; "
                "choose another --out or delete it"
            )
    elif any(p for p in out.iterdir() if not p.name.startswith("_")):
        raise WitError(f"{out}: output directory is not empty and holds no wit job")
    write_json(path, record)


def move_into_place(src: Path, dst: Path) -> None:
    """Idempotent step: move ``src`` to ``dst`` unless an earlier run already did."""
    if src.exists():
        os.replace(src, dst)
    elif not dst.exists():
        raise WitError(f"{src}: task output went missing before it was moved into place; delete {dst.parent} and rerun")


def track(items: Iterable, job: str, progress: bool, total: int | None = None) -> Iterable:
    """Iterate ``items`` showing a progress bar on stderr."""
    if not progress:
        yield from items
        return
    total = len(items) if total is None else total  # type: ignore[arg-type]
    columns = [TextColumn(f"[bold]{job}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, transient=True, console=Console(file=sys.stderr)) as bar:
        task = bar.add_task(job, total=total)
        for item in items:
            yield item
            bar.advance(task)


def _raise_user_error(message: str | None) -> None:
    if message is not None:
        raise WitError(message)
