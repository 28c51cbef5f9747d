"""Validation of raw rows into manifest rows, shared by every manifest producer.

Crawlers and importers hand over raw (url, caption, ...) rows; this is where rows that
cannot become manifest rows are rejected with a reason instead of silently dropped.
"""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc

from wit_pipeline.manifest import (
    ManifestLimits,
    caption_problem,
    conform,
    decode_utf8_column,
    is_text_type,
    normalize_urls,
    uid_of_normalized,
    url_problem,
)
from wit_pipeline.runtime.results import StageCounters, StageResult, with_reasons


def validate_rows(
    table: pa.Table, *, stage: str, source: str, limits: ManifestLimits, reject_extra: dict | None = None
) -> StageResult:
    """Turn raw rows (url, caption, optional page_url and extras) into manifest rows.

    Rows that are not valid UTF-8, lack a usable http(s) URL or a caption, or exceed the
    field caps are rejected with a reason; kept rows get ``uid`` and ``source``.
    ``reject_extra`` maps column name -> array of values added to the rejects only
    (e.g. the input file and row number, so a reject can be traced to its origin).
    """
    n = table.num_rows
    bad_utf8 = [False] * n
    for name in table.column_names:
        col = table[name]
        if is_text_type(col.type):
            decoded, bad = decode_utf8_column(col)
            table = table.set_column(table.column_names.index(name), name, decoded)
            bad_utf8 = [a or b for a, b in zip(bad_utf8, bad)]
    if "page_url" not in table.column_names:
        table = table.append_column("page_url", pa.nulls(n, pa.string()))
    urls = pc.utf8_trim_whitespace(table["url"].cast(pa.string()))
    captions = table["caption"].cast(pa.string())
    normalized = normalize_urls(urls)
    # Rows that pass every vectorised check are fine; the rest get their reason per row.
    clean = pc.and_(
        pc.is_valid(normalized),
        pc.and_(
            pc.less_equal(pc.utf8_length(urls), limits.max_url_length),
            pc.and_(
                pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(captions)), 0),
                pc.less_equal(pc.utf8_length(captions), limits.max_caption_length),
            ),
        ),
    )
    clean = pc.fill_null(clean, False).to_pylist()
    url_list, caption_list, norm_list = urls.to_pylist(), captions.to_pylist(), normalized.to_pylist()
    reasons: list[str | None] = [None] * n
    uids: list[str | None] = [None] * n
    for i in range(n):
        if bad_utf8[i]:
            reasons[i] = "invalid_utf8"
        elif not clean[i]:
            reasons[i] = url_problem(url_list[i], limits) or caption_problem(caption_list[i], limits)
        if reasons[i] is None and (norm_list[i] is None or not _has_host(norm_list[i])):
            reasons[i] = "malformed_url"
        elif reasons[i] is None:
            uids[i] = uid_of_normalized(norm_list[i], caption_list[i])
    table = table.set_column(table.column_names.index("url"), "url", urls)
    for name in ("uid", "source"):
        if name in table.column_names:
            table = table.rename_columns([f"input_{c}" if c == name else c for c in table.column_names])
    table = table.append_column("uid", pa.array(uids, pa.string()))
    table = table.append_column("source", pa.array([source] * n, pa.string()))
    keep_idx = [i for i, r in enumerate(reasons) if r is None]
    reject_idx = [i for i, r in enumerate(reasons) if r is not None]
    kept = conform(table.take(pa.array(keep_idx, pa.int64())))
    rejected = table.take(pa.array(reject_idx, pa.int64()))
    for name, values in (reject_extra or {}).items():
        rejected = rejected.append_column(name, pa.array(values).take(pa.array(reject_idx, pa.int64())))
    return StageResult(
        kept=kept,
        rejected=with_reasons(rejected, stage, [reasons[i] for i in reject_idx]),
        counters=StageCounters(
            stage=stage, rows_in=n, kept=len(keep_idx), rejected=Counter(reasons[i] for i in reject_idx)
        ),
    )


def _has_host(normalized_url: str) -> bool:
    """Whether a normalised URL names a host (``HTTP:`` or ``http://:8080/x`` normalise without one)."""
    netloc = normalized_url.split("/", 3)[2] if normalized_url.count("/") >= 2 else ""
    return bool(netloc) and not netloc.rsplit("@", 1)[-1].startswith(":")
