"""What a stage returns for one partition: kept rows, rejected rows with reasons, counters."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyarrow as pa


@dataclass
class StageCounters:
    """One stage's funnel for some rows: ``rows_in == kept + sum(rejected.values())``."""

    stage: str
    rows_in: int = 0
    kept: int = 0
    rejected: Counter = field(default_factory=Counter)
    extra: Counter = field(default_factory=Counter)

    def add(self, other: StageCounters) -> None:
        """Accumulate another partition's counters of the same stage."""
        self.rows_in += other.rows_in
        self.kept += other.kept
        self.rejected.update(other.rejected)
        self.extra.update(other.extra)

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def to_dict(self) -> dict:
        return {
            "stage": self.stage,
            "rows_in": self.rows_in,
            "kept": self.kept,
            "rejected": dict(sorted(self.rejected.items())),
            "rejected_total": self.rejected_total,
            "extra": dict(sorted(self.extra.items())),
        }

    @classmethod
    def from_dict(cls, data: dict) -> StageCounters:
        return cls(
            stage=data["stage"],
            rows_in=int(data["rows_in"]),
            kept=int(data["kept"]),
            rejected=Counter(data.get("rejected", {})),
            extra=Counter(data.get("extra", {})),
        )


@dataclass
class StageResult:
    """A stage's output for one partition. ``rejected`` has the input columns + stage, reason."""

    kept: pa.Table
    rejected: pa.Table
    counters: StageCounters


@dataclass
class Chunk:
    """One output partition of a task: kept rows, all rejects, and counters per stage in order."""

    kept: pa.Table
    rejected: pa.Table | None
    counters: list[StageCounters]


def split_rows(table: pa.Table, reasons: Sequence[str | None], stage: str, extra: Counter | None = None) -> StageResult:
    """Split ``table`` by per-row reasons: None keeps the row, a string rejects it for that reason."""
    if len(reasons) != table.num_rows:
        raise ValueError(f"{stage}: {len(reasons)} reasons for {table.num_rows} rows")
    keep_mask = pa.array([r is None for r in reasons], pa.bool_())
    kept = table.filter(keep_mask)
    reject_idx = [i for i, r in enumerate(reasons) if r is not None]
    rejected = with_reasons(table.take(pa.array(reject_idx, pa.int64())), stage, [reasons[i] for i in reject_idx])
    counters = StageCounters(
        stage=stage,
        rows_in=table.num_rows,
        kept=kept.num_rows,
        rejected=Counter(reasons[i] for i in reject_idx),
        extra=extra or Counter(),
    )
    return StageResult(kept=kept, rejected=rejected, counters=counters)


def with_reasons(table: pa.Table, stage: str, reasons: Sequence[str]) -> pa.Table:
    """Append the ``stage`` and ``reason`` columns that every rejects file carries."""
    for name in ("stage", "reason"):
        if name in table.column_names:
            table = table.drop_columns([name])
    table = table.append_column("stage", pa.array([stage] * table.num_rows, pa.string()))
    return table.append_column("reason", pa.array(list(reasons), pa.string()))
