"""The last step of ``wit filter``: final stages per partition, every step's rejects gathered, query table.

``FinalTask`` runs the last per-partition stages (balancing) and writes, for partition N, one
rejects file holding the rows every earlier step rejected from it plus its own, so ``OUT/_rejects``
is complete. ``write_query_table`` writes ``OUT/_query_counts/part-00000.parquet``: each query's text, how
many rows matched it before balancing, its keep probability, and how many kept rows match it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from distributed import Client

from filters.balance import count_queries, keep_probabilities
from wit_pipeline.atomic_files import write_parquet
from wit_pipeline.layout.job_dir import task_name
from wit_pipeline.layout.manifest_dir import part_name, query_counts_target
from wit_pipeline.manifest import list_parts
from wit_pipeline.runtime import Chunk, PartitionTask, Stage


@dataclass(frozen=True)
class FinalTask(PartitionTask):
    """A ``PartitionTask`` that also attaches the partition's rejects from earlier steps."""

    earlier_rejects: tuple[str, ...]

    def run(self) -> Iterator[Chunk]:
        """One chunk: kept rows, all rejects of this partition in step order, this step's counters."""
        (chunk,) = super().run()
        rejects = [pq.read_table(p) for p in self.earlier_rejects if Path(p).exists()]
        if chunk.rejected is not None:
            rejects.append(chunk.rejected)
        rejected = pa.concat_tables(rejects, promote_options="permissive") if rejects else None
        yield Chunk(kept=chunk.kept, rejected=rejected, counters=chunk.counters)


def final_tasks(parts: Sequence[str], stages: Sequence[Stage], reject_dirs: Sequence[Path]) -> list[FinalTask]:
    """One ``FinalTask`` per part; earlier steps' rejects of part N are ``<dir>/part-N.parquet``."""
    return [
        FinalTask(
            task_id=task_name(i),
            path=str(p),
            partition=i,
            stages=tuple(stages),
            earlier_rejects=tuple(str(d / part_name(i)) for d in reject_dirs),
        )
        for i, p in enumerate(parts)
    ]


def write_query_table(
    out: Path, queries: Sequence[str], matched_path: Path | None, cap: int, client: Client | None
) -> None:
    """Write the per-query table: matched before balancing (when balanced), probability, kept after."""
    parts = [str(p) for p in list_parts(out)]
    kept = count_queries(parts, len(queries), client)
    matched = np.load(matched_path) if matched_path is not None else kept
    table = pa.table(
        {
            "query_id": pa.array(np.arange(len(queries), dtype=np.int32)),
            "query": pa.array(list(queries), pa.string()),
            "matched": pa.array(matched),
            "keep_probability": pa.array(keep_probabilities(matched, cap if matched_path is not None else 0)),
            "kept": pa.array(kept),
        }
    )
    target = Path(query_counts_target(out))
    target.parent.mkdir(exist_ok=True)
    write_parquet(target, table)
