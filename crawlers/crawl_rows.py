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
import pyarrow.compute as pc

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
    pages: dict[str, list[tuple[str | None, tuple, list[dict]]]] = field(default_factory=dict)
    tables: dict[str, list[pa.Table]] = field(default_factory=dict)
    extra: Counter = field(default_factory=Counter)
    size: int = 0

    def add(self, source: str, rows: list[dict], page_url: str | None, trace: dict | None = None) -> None:
        """Add one page's raw rows (dicts with the raw columns and ``skip``), found on ``page_url``."""
        if not rows:
            return
        values = tuple(map((trace or {}).get, self.trace))
        self.pages.setdefault(source, []).append((page_url, values, rows))
        self.size += len(rows)
        self.extra["images"] += len(rows)
        self.extra["images_with_caption"] += len([r for r in rows if r.get("caption")])

    def add_table(self, source: str, table: pa.Table) -> None:
        """Add raw rows already in columns: the raw columns (missing ones are null), ``skip`` and the trace names."""
        if not table.num_rows:
            return
        for name in _RAW_COLUMNS:
            if name not in table.column_names:
                column = RAW_SCHEMA.field(name)
                table = table.append_column(column, pa.nulls(table.num_rows, column.type))
        self.tables.setdefault(source, []).append(table)
        self.size += table.num_rows
        self.extra["images"] += table.num_rows
        self.extra["images_with_caption"] += pc.sum(pc.greater(pc.binary_length(table["caption"]), 0)).as_py() or 0

    def __len__(self) -> int:
        return self.size

    def to_chunk(self, stage: str, limits: ManifestLimits) -> Chunk:
        """Validate and split the rows into one runtime chunk with the batch's counters."""
        counters = StageCounters(stage=stage, extra=self.extra)
        kept: list[pa.Table] = []
        rejected: list[pa.Table] = []
        for source, tables in self.tables.items():
            self._split_table(pa.concat_tables(tables), source, stage, limits, counters, kept, rejected)
        for source, pages in self.pages.items():
            usable, usable_trace = self._columns(pages, skipped=False)
            if usable["url"]:
                result = validate_rows(
                    pa.table(usable, schema=RAW_SCHEMA),
                    stage=stage,
                    source=source,
                    limits=limits,
                    reject_extra=usable_trace,
                )
                kept.append(result.kept)
                if result.rejected.num_rows:
                    rejected.append(result.rejected)
                counters.add(result.counters)
            skipped, skipped_trace = self._columns(pages, skipped=True)
            if skipped["url"]:
                reasons = skipped.pop("skip")
                table = pa.table(skipped, schema=RAW_SCHEMA)
                table = table.append_column("uid", pa.nulls(len(reasons), pa.string()))
                table = table.append_column("source", pa.array([source] * len(reasons), pa.string()))
                for name, values in skipped_trace.items():
                    table = table.append_column(name, pa.array(values))
                rejected.append(with_reasons(table, stage, reasons))
                counters.rows_in += len(reasons)
                counters.rejected.update(reasons)
        table = pa.concat_tables(kept, promote_options="permissive") if kept else conform(_empty_kept())
        rejects = pa.concat_tables(rejected, promote_options="permissive") if rejected else None
        return Chunk(kept=table, rejected=rejects, counters=[counters])

    def _split_table(
        self, table: pa.Table, source: str, stage: str, limits: ManifestLimits, counters: StageCounters, kept, rejected
    ) -> None:
        """``to_chunk`` for rows added as a table: the usable ones validated, the skipped ones rejected."""
        skip = table["skip"]
        usable = table.filter(pc.is_null(skip))
        if usable.num_rows:
            result = validate_rows(
                usable.select(_RAW_COLUMNS).cast(RAW_SCHEMA),
                stage=stage,
                source=source,
                limits=limits,
                reject_extra={name: usable[name] for name in self.trace},
            )
            kept.append(result.kept)
            if result.rejected.num_rows:
                rejected.append(result.rejected)
            counters.add(result.counters)
        skipped = table.filter(pc.is_valid(skip))
        if skipped.num_rows:
            reasons = skipped["skip"].to_pylist()
            out = skipped.select(_RAW_COLUMNS).cast(RAW_SCHEMA)
            out = out.append_column("uid", pa.nulls(len(reasons), pa.string()))
            out = out.append_column("source", pa.array([source] * len(reasons), pa.string()))
            for name in self.trace:
                out = out.append_column(name, skipped[name])
            rejected.append(with_reasons(out, stage, reasons))
            counters.rows_in += len(reasons)
            counters.rejected.update(reasons)

    def _columns(self, pages: list, skipped: bool) -> tuple[dict[str, list], dict[str, list]]:
        """Column lists of the usable (or skipped) rows, and of their trace values."""
        columns: dict[str, list] = {name: [] for name in _RAW_COLUMNS}
        if skipped:
            columns["skip"] = []
        trace: dict[str, list] = {name: [] for name in self.trace}
        names = [n for n in columns if n != "page_url"]
        for page_url, values, rows in pages:
            chosen = [r for r in rows if (r.get("skip") is not None) == skipped]
            if not chosen:
                continue
            for name in names:
                columns[name].extend(r.get(name) for r in chosen)
            columns["page_url"].extend([page_url] * len(chosen))
            for name, value in zip(self.trace, values):
                trace[name].extend([value] * len(chosen))
        return columns, trace


def _empty_kept() -> pa.Table:
    table = MANIFEST_SCHEMA.empty_table()
    for name in _RAW_COLUMNS:
        if name not in table.column_names:
            table = table.append_column(RAW_SCHEMA.field(name), pa.array([], RAW_SCHEMA.field(name).type))
    return table
