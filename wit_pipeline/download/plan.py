"""Split a manifest into shards of a fixed number of rows, in manifest order.

Shard ``i`` holds global rows ``[i * n, (i + 1) * n)``; a shard may span several manifest
parts. The plan depends only on the manifest, so a rerun plans the same shards.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from loaders.split import cut_ranges
from wit_pipeline import storage
from wit_pipeline.manifest import list_parts, read_part


@dataclass(frozen=True)
class RowSlice:
    """``length`` rows of one manifest part starting at ``offset``."""

    path: str
    offset: int
    length: int


@dataclass(frozen=True)
class ShardSpec:
    """The rows one shard downloads."""

    shard_id: int
    slices: tuple[RowSlice, ...]

    @property
    def rows(self) -> int:
        return sum(s.length for s in self.slices)

    def read(self) -> pa.Table:
        """The shard's manifest rows, reading only the parts it spans."""
        tables = [read_part(s.path).slice(s.offset, s.length) for s in self.slices]
        return pa.concat_tables(tables, promote_options="permissive")


def plan_shards(manifest_dir: str | Path, samples_per_shard: int) -> list[ShardSpec]:
    """Shards of ``samples_per_shard`` rows (the last may be smaller) over the whole manifest."""
    paths = [str(p) for p in list_parts(manifest_dir)]
    sizes = [storage.parquet_metadata(p).num_rows for p in paths]
    total = sum(sizes)
    bounds = [*range(0, total, samples_per_shard), total]
    ranges = cut_ranges(range(len(paths)), sizes, bounds)
    return [
        ShardSpec(shard_id, tuple(RowSlice(paths[p.shard], p.start, p.stop - p.start) for p in pieces))
        for shard_id, pieces in enumerate(ranges)
    ]
