"""Manifest jobs: tasks yield chunks of rows; the job assembles a partitioned manifest.

A finished task directory holds ``part-J.parquet`` and ``rejects-J.parquet`` per chunk. When
every task is done, chunks are moved to ``OUT/part-NNNNN.parquet`` and
``OUT/_rejects/part-NNNNN.parquet`` numbered in task order, each folder's ``_metadata``
summary and ``_stats.json`` are written and
``OUT/_SUCCESS`` marks the job complete. Every step is idempotent, so a job killed at any
point resumes where it stopped and never writes a row twice.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from distributed import Client

from wit_pipeline.atomic_files import write_parquet, write_parquet_summary
from wit_pipeline.layout.job_dir import TASKS_DIR
from wit_pipeline.layout.manifest_dir import OLD_REJECTS_DIR, PART_GLOB, REJECTS_DIR, SUMMARY_FILE, part_name
from wit_pipeline.runtime.faults import fault_point
from wit_pipeline.runtime.funnel import merge_counters, read_funnel, read_stats
from wit_pipeline.runtime.results import StageCounters
from wit_pipeline.runtime.stage import Task
from wit_pipeline.runtime.task_runner import complete_job, move_into_place, run_tasks, task_record
from wit_pipeline.staging import local_output


def run_job(
    tasks: Sequence[Task],
    out_dir: str | Path,
    *,
    job: str,
    fingerprint: dict | None = None,
    client: Client | None = None,
    upstream: str | Path | Sequence[str | Path] | None = None,
    progress: bool = True,
) -> dict:
    """Run manifest ``tasks`` into ``out_dir`` and return the written stats (the funnel).

    ``upstream`` is the input directory (or directories, when manifests are merged) whose
    funnel is carried over in front of this job's.
    """
    out = local_output(out_dir, f"the {job} job")  # absolute: workers may run in another directory
    ran = run_tasks(tasks, out, job=job, fill=write_chunks, fingerprint=fingerprint, client=client, progress=progress)
    if not ran:
        return read_stats(out)
    return _assemble(out, [t.task_id for t in tasks], job, upstream)


def write_chunks(task: Task, tmp: Path) -> dict:
    """Write each chunk a task yields; module-level so dask can ship it to workers."""
    totals: list[list[StageCounters]] = []
    rejects: list[int] = []
    for n, chunk in enumerate(task.run()):
        write_parquet(tmp / part_name(n), chunk.kept)
        if chunk.rejected is not None and chunk.rejected.num_rows:
            write_parquet(tmp / f"rejects-{n:05d}.parquet", chunk.rejected)
            rejects.append(n)
        totals.append(chunk.counters)
        fault_point("chunk", tmp.parent.parent.name, task.task_id, n)
    counters = [c.to_dict() for c in merge_counters(totals)]
    return {"chunks": len(totals), "rejects": rejects, "counters": counters}


def _assemble(out: Path, task_ids: list[str], job: str, upstream: str | Path | Sequence[str | Path] | None) -> dict:
    """Number every task's chunks globally, move them into place, write stats and _SUCCESS."""
    (out / REJECTS_DIR).mkdir(exist_ok=True)
    old_rejects = out / OLD_REJECTS_DIR
    if old_rejects.is_dir():  # an assembly an older wit began: its rejects join the new folder, none is lost
        for part in old_rejects.glob(PART_GLOB):
            move_into_place(part, out / REJECTS_DIR / part.name)
        shutil.rmtree(old_rejects)
    index = 0
    groups = []
    for task_id in task_ids:
        src = out / TASKS_DIR / task_id
        meta = task_record(out, task_id)
        groups.append([StageCounters.from_dict(c) for c in meta["counters"]])
        for j in range(meta["chunks"]):
            move_into_place(src / part_name(j), out / part_name(index + j))
            if j in meta["rejects"]:
                move_into_place(src / f"rejects-{j:05d}.parquet", out / REJECTS_DIR / part_name(index + j))
            fault_point("place", job, index + j)
        index += meta["chunks"]
    write_parquet_summary(out / SUMMARY_FILE, sorted(out.glob(PART_GLOB)))
    write_parquet_summary(out / REJECTS_DIR / SUMMARY_FILE, sorted((out / REJECTS_DIR).glob(PART_GLOB)))
    sources = [] if upstream is None else [upstream] if isinstance(upstream, (str, Path)) else list(upstream)
    upstream_funnel = merge_counters(read_funnel(u) for u in sources)
    return complete_job(out, job, groups, upstream_funnel, {"job": job, "parts": index, "tasks": len(task_ids)})
