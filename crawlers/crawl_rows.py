"""Raw image rows → one runtime ``Chunk``: validated, with skipped images rejected by reason.

Every crawler collects raw rows (url, caption candidates, page_url, a ``skip`` reason
when the extractor already knows the image is unusable) and turns them into a chunk here:
skipped rows go to rejects with their reason, the rest through ``validate_rows`` (so a
missing caption or a malformed URL is rejected the same way for every source), and one
``StageCounters`` holds the whole funnel: ``rows_in == kept + rejected``. Page- and
record-level events (pages fetched, records unreadable...) travel in ``extra``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa

from wit_pipeline.manifest import MANIFEST_SCHEMA, ManifestLimits, conform
from wit_pipeline.manifest_validation import validate_rows
from wit_pipeline.runtime import Chunk, StageCounters
from wit_pipeline.runtime.results import with_reasons

RAW_SCHEMA = pa.schema(
    [
        ("url", pa.string()),
        ("caption", pa.string()),
        ("page_url", pa.string()),
        ("alt", pa.string()),
        ("title", pa.string()),
        ("figcaption", pa.string()),
        ("width", pa.int32()),
        ("height", pa.int32()),
    ]
)
_RAW_COLUMNS = RAW_SCHEMA.names


@dataclass
class RowBatch:
    """Raw rows of one output chunk, per source, plus the chunk's extra counters.

    ``trace`` names columns added to rejects only (e.g. input file, record offset) so a
    rejected row can be found again in its input.
    """

    trace: tuple[str, ...] = ()
    rows: dict[str, list[dict]] = field(default_factory=dict)
    extra: Counter = field(default_factory=Counter)

    def add(self, source: str, rows: list[dict], page_url: str | None, trace: dict | None = None) -> None:
        """Add one page's raw rows (dicts with the raw columns and ``skip``)."""
        bucket = self.rows.setdefault(source, [])
        for row in rows:
            row["page_url"] = page_url
            if trace:
                row.update(trace)
            bucket.append(row)
        self.extra["images"] += len(rows)
        self.extra["images_with_caption"] += sum(1 for r in rows if r.get("caption"))

    def __len__(self) -> int:
        return sum(len(rows) for rows in self.rows.values())

    def to_chunk(self, stage: str, limits: ManifestLimits) -> Chunk:
        """Validate and split the rows; the batch is emptied for the next chunk."""
        counters = StageCounters(stage=stage, extra=self.extra)
        kept: list[pa.Table] = []
        rejected: list[pa.Table] = []
        for source, rows in self.rows.items():
            usable = [r for r in rows if r.get("skip") is None]
            skipped = [r for r in rows if r.get("skip") is not None]
            if usable:
                result = validate_rows(
                    _raw_table(usable),
                    stage=stage,
                    source=source,
                    limits=limits,
                    reject_extra={name: [r.get(name) for r in usable] for name in self.trace},
                )
                kept.append(result.kept)
                if result.rejected.num_rows:
                    rejected.append(result.rejected)
                counters.add(result.counters)
            if skipped:
                rejected.append(self._skipped_table(skipped, source, stage))
                counters.rows_in += len(skipped)
                counters.rejected.update(r["skip"] for r in skipped)
        self.rows, self.extra = {}, Counter()
        table = pa.concat_tables(kept, promote_options="permissive") if kept else conform(_empty_kept())
        rejects = pa.concat_tables(rejected, promote_options="permissive") if rejected else None
        return Chunk(kept=table, rejected=rejects, counters=[counters])

    def _skipped_table(self, rows: list[dict], source: str, stage: str) -> pa.Table:
        table = _raw_table(rows)
        table = table.append_column("uid", pa.nulls(len(rows), pa.string()))
        table = table.append_column("source", pa.array([source] * len(rows), pa.string()))
        for name in self.trace:
            table = table.append_column(name, pa.array([r.get(name) for r in rows]))
        return with_reasons(table, stage, [r["skip"] for r in rows])


def _raw_table(rows: list[dict]) -> pa.Table:
    return pa.table({name: [r.get(name) for r in rows] for name in _RAW_COLUMNS}, schema=RAW_SCHEMA)


def _empty_kept() -> pa.Table:
    table = MANIFEST_SCHEMA.empty_table()
    for name in _RAW_COLUMNS:
        if name not in table.column_names:
            table = table.append_column(RAW_SCHEMA.field(name), pa.array([], RAW_SCHEMA.field(name).type))
    return table
