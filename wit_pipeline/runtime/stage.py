"""Stages and tasks: the units the runtime maps over partitions.

A stage is any picklable callable ``stage(table, partition) -> StageResult`` with a ``name``;
it works on one partition without dask. A task produces the output chunks of one unit of
work (one input partition, one input file) and is what the runtime schedules.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import pyarrow as pa

from wit_pipeline.layout.job_dir import task_name
from wit_pipeline.manifest import read_part
from wit_pipeline.runtime.results import Chunk, StageResult


@runtime_checkable
class Stage(Protocol):
    """A per-partition transformation: keep some rows, reject the others with reasons."""

    name: str

    def __call__(self, table: pa.Table, partition: int) -> StageResult: ...


@runtime_checkable
class Task(Protocol):
    """One schedulable unit of work; ``task_id`` must be deterministic and sort in output order."""

    task_id: str

    def run(self) -> Iterator[Chunk]: ...


def apply_stages(table: pa.Table, stages: Sequence[Stage], partition: int) -> Chunk:
    """Run ``stages`` in order on one partition, collecting every stage's rejects and counters."""
    counters, rejects = [], []
    for stage in stages:
        result = stage(table, partition)
        c = result.counters
        if c.rows_in != table.num_rows or c.kept + c.rejected_total != c.rows_in:
            raise RuntimeError(
                f"stage {stage.name} broke the funnel on partition {partition}: "
                f"in={table.num_rows} counted_in={c.rows_in} kept={c.kept} rejected={c.rejected_total}"
            )
        if result.kept.num_rows != c.kept or result.rejected.num_rows != c.rejected_total:
            raise RuntimeError(f"stage {stage.name}: counters disagree with its output tables")
        counters.append(c)
        if result.rejected.num_rows:
            rejects.append(result.rejected)
        table = result.kept
    rejected = pa.concat_tables(rejects, promote_options="permissive") if rejects else None
    return Chunk(kept=table, rejected=rejected, counters=counters)


@dataclass(frozen=True)
class PartitionTask:
    """Apply a chain of stages to one manifest part; its output keeps the part's number."""

    task_id: str
    path: str
    partition: int
    stages: tuple[Stage, ...]

    def run(self) -> Iterator[Chunk]:
        yield apply_stages(read_part(self.path), self.stages, self.partition)


def partition_tasks(paths: Sequence[str], stages: Sequence[Stage]) -> list[PartitionTask]:
    """One task per manifest part, numbered by the part's position."""
    return [
        PartitionTask(task_id=task_name(i), path=str(p), partition=i, stages=tuple(stages)) for i, p in enumerate(paths)
    ]
