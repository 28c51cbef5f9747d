"""The ``IMG@/src`` links of a batch of WAT records, turned into one table of raw rows at once.

``wat_image_rows`` builds a dict per link, resolving and cleaning each value in Python; a WAT
file holds millions of links, so a batch instead collects each record's link values as it is
decoded and, when the batch is full, resolves every URL with ``resolve_column`` and collapses
every caption's whitespace with Arrow kernels. The rows are the ones ``wat_image_rows``
gives (a test holds the two side by side), as Arrow columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crawlers.url_resolve import skipped_value
from crawlers.url_resolve_bulk import resolve_column

# Every character str.split() splits on (str.isspace(); none lies above U+3000, a test checks).
_SPACES = "".join(f"\\x{{{c:x}}}" for c in range(0x3001) if chr(c).isspace())
# Text that " ".join(text.split()) leaves as it is: words of non-spaces joined by single spaces.
_COLLAPSED = rf"^(?:[^{_SPACES}]+(?: [^{_SPACES}]+)*)?$"


class WatColumns:
    """Link values of the WAT records of one batch, with each record's base, page URL and trace values.

    The values are taken out of a record's link objects as soon as it is decoded (while they are
    still in the CPU's caches), so the objects themselves are not kept.
    """

    def __init__(self) -> None:
        self.urls: list[Any] = []
        self.alts: list[Any] = []
        self.titles: list[Any] = []
        self._records: list[tuple[int, str, str | None, tuple]] = []  # per record: links, base, page, trace

    def add(self, links: Sequence[dict], base: str, page_url: str | None, trace: tuple = ()) -> None:
        """Add one record's ``IMG@/src`` link objects, resolving against ``base``, found on ``page_url``."""
        get = dict.get
        self.urls += map(get, links, repeat("url"))
        self.alts += map(get, links, repeat("alt"))
        self.titles += map(get, links, repeat("title"))
        self._records.append((len(links), base, page_url, trace))

    def __len__(self) -> int:
        """Rows (links) collected so far."""
        return len(self.urls)

    def table(self, trace: tuple[str, ...] = ()) -> pa.Table:
        """The raw rows (url, caption, page_url, alt, title, skip) plus one column per ``trace`` name."""
        counts, bases, pages, traces = zip(*self._records) if self._records else ((), (), (), ())
        record = pa.array(np.repeat(np.arange(len(counts), dtype=np.int32), counts))
        raw = _strings(self.urls)
        urls, skips = resolve_column(raw, bases, record)
        skipped = pc.is_valid(skips)
        if pc.any(skipped).as_py():
            shown = [skipped_value(v) for v in raw.filter(skipped).to_pylist()]
            urls = pc.replace_with_mask(urls, skipped, pa.array(shown, pa.string()))
        alts, titles = collapse_spaces(_strings(self.alts)), collapse_spaces(_strings(self.titles))
        captions = pc.if_else(_nonempty(alts), alts, pc.if_else(_nonempty(titles), titles, alts))
        columns = {
            "url": urls,
            "caption": captions,
            "page_url": pa.array(pages, pa.string()).take(record),
            "alt": alts,
            "title": titles,
            "skip": skips,
        }
        for i, name in enumerate(trace):
            columns[name] = pa.array([t[i] for t in traces]).take(record)
        return pa.table(columns)


def collapse_spaces(values: pa.Array) -> pa.Array:
    """``" ".join(value.split())`` of every non-null string: vectorised where there is nothing to do."""
    if values.null_count == len(values):
        return values
    todo = pc.invert(pc.fill_null(pc.match_substring_regex(values, _COLLAPSED), True))
    if not pc.any(todo).as_py():
        return values
    fixed = [" ".join(v.split()) for v in values.filter(todo).to_pylist()]
    return pc.replace_with_mask(values, todo, pa.array(fixed, pa.string()))


def _strings(values: list) -> pa.Array:
    """``values`` as a string array; anything that is not a string (a number, a list) is null."""
    try:
        return pa.array(values, pa.string())
    except (pa.ArrowException, TypeError, ValueError):
        return pa.array([v if isinstance(v, str) else None for v in values], pa.string())


def _nonempty(values: pa.Array) -> pa.Array:
    return pc.fill_null(pc.greater(pc.binary_length(values), 0), False)
