"""File jobs: each task writes named files (e.g. one webdataset shard) moved into place as they are.

A ``FileTask`` has a ``task_id`` and ``run(tmp_dir) -> list[StageCounters]`` that writes its
files into ``tmp_dir``. Once every task is done, each task's files are moved into OUT under
their own names, a job-specific ``finish`` step writes any summary files (e.g. sizes.json),
then ``_stats.json`` and ``_SUCCESS``. Resume and atomicity are the runtime's (see task_runner.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from distributed import Client

from wit_pipeline.layout.job_dir import COUNTERS_FILE, SUCCESS, TASKS_DIR
from wit_pipeline.runtime.faults import fault_point
from wit_pipeline.runtime.funnel import read_funnel, read_stats
from wit_pipeline.runtime.results import StageCounters
from wit_pipeline.runtime.task_runner import complete_job, move_into_place, run_tasks, task_record
from wit_pipeline.staging import local_output


class FileTask(Protocol):
    """One unit of work that writes files into a directory it is given."""

    task_id: str

    def run(self, tmp_dir: Path) -> list[StageCounters]: ...


def run_file_job(
    tasks: Sequence[FileTask],
    out_dir: str | Path,
    *,
    job: str,
    fingerprint: dict | None = None,
    client: Client | None = None,
    upstream: str | Path | None = None,
    finish: Callable[[Path], dict] | None = None,
    progress: bool = True,
) -> dict:
    """Run file ``tasks`` into ``out_dir``; returns stats (the funnel plus ``finish``'s info)."""
    out = local_output(out_dir, f"the {job} job")  # absolute: workers may run in another directory
    ran = run_tasks(tasks, out, job=job, fill=write_files, fingerprint=fingerprint, client=client, progress=progress)
    if not ran:
        return read_stats(out)
    groups = []
    for task in tasks:
        src = out / TASKS_DIR / task.task_id
        record = task_record(out, task.task_id)
        groups.append([StageCounters.from_dict(c) for c in record["counters"]])
        for name in record["files"]:
            move_into_place(src / name, out / name)
            fault_point("place", job, name)
    info = {"job": job, "tasks": len(tasks), **(finish(out) if finish else {})}
    return complete_job(out, job, groups, read_funnel(upstream) if upstream else [], info)


def write_files(task: FileTask, tmp: Path) -> dict:
    """Run a file task in ``tmp`` and record which files it produced."""
    counters = task.run(tmp)
    files = sorted(p.name for p in tmp.iterdir() if p.is_file() and p.name != COUNTERS_FILE and p.name != SUCCESS)
    return {"files": files, "counters": [c.to_dict() for c in counters]}
