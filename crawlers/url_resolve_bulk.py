"""``resolve`` over a whole column of image URLs at once, with Arrow string kernels.

A WAT batch holds tens of thousands of ``IMG@/src`` values, nearly all of four shapes:
already absolute (``https://…``), root-relative (``/x``), protocol-relative (``//host/x``)
or plain relative paths (``x/y.png``). Those are recognised with one regular-expression
kernel and joined onto their base's origin, scheme or directory column-wise; the values of
any other shape (dot segments, controls or spaces to clean, ``;``/``[``/``\\``, odd bases)
go through the per-row ``resolve``. The result is ``resolve(base, raw)`` row by row; a
property test holds the two side by side.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from crawlers.url_resolve import base_parts, resolve

# The values _join_simple joins (or that are already absolute), as one pattern. Shared pieces:
# characters a value must not hold at all (controls and spaces need clean_url; ``;``, ``\``,
# ``[`` are left to join_url), path characters, and path segments that are not "." or "..".
_BAD = r"\x00-\x20;\\\["
_CHAR = rf"[^/?#{_BAD}]"
_SEGMENT = rf"(?:[^./?#{_BAD}]{_CHAR}*|\.[^./?#{_BAD}]{_CHAR}*|\.\.{_CHAR}+)"
_FIRST_SEGMENT = rf"(?:[^./?#:{_BAD}][^/?#:{_BAD}]*|\.[^./?#:{_BAD}][^/?#:{_BAD}]*|\.\.[^/?#:{_BAD}]+)"
# A query and/or fragment that neither holds ``?#`` nor ends in ``?`` or ``#``; for relative
# values also without ``/`` (no ``//``) and ``:`` (nothing that could read as a scheme).
_QUERY = rf"(?:\?[^?#{_BAD}]+(?:#[^?#{_BAD}]+)?|#[^?#{_BAD}]+)?"
_RELATIVE_QUERY = rf"(?:\?[^/?#:{_BAD}]+(?:#[^/?#:{_BAD}]+)?|#[^/?#:{_BAD}]+)?"
_FAST = (
    r"^(?:https?://[^\x00-\x20]*"  # absolute: taken as it is
    rf"|/(?:{_SEGMENT}(?:/{_SEGMENT}?)*)?{_QUERY}"  # root-relative: onto the origin
    rf"|//[A-Za-z0-9]{_CHAR}*(?:/{_SEGMENT}?)*{_QUERY}"  # protocol-relative: onto the scheme
    rf"|{_FIRST_SEGMENT}(?:/{_SEGMENT})*/?{_RELATIVE_QUERY}"  # relative: onto the directory
    r")$"
)
_DATA = r"^(?i)data:"  # resolve's clean_url only trims such a value's end: a data: URI whatever follows
# A base urlsplit splits the obvious way: lower-case http(s), a host (no ``[``/``]``) ended by
# ``/`` or the end, printable ASCII without spaces or ``\``, no ``;`` before any ``?``/``#``.
_PLAIN_BASE = r'^https?://[!"$-.0->@-Z^-~]+(?:/[!"$-:<->@-Z^-~]*(?:[?#][!-Z^-~]*)?)?$'
_NULL = pa.scalar(None, pa.string())


def resolve_column(raw: pa.Array, bases: Sequence[str], base_index: pa.Array) -> tuple[pa.Array, pa.Array]:
    """``resolve(bases[base_index[i]], raw[i])`` for every row: (urls, reasons) as string arrays.

    ``raw`` is a string array (null: no value); ``base_index`` an integer array of the same
    length naming each row's base. A row's url is null exactly when its reason is not.
    """
    if len(raw) == 0:
        return pa.array([], pa.string()), pa.array([], pa.string())
    fast = pc.match_substring_regex(raw, _FAST)
    absolute = pc.or_(pc.starts_with(raw, "http://"), pc.starts_with(raw, "https://"))
    # Each row's prefix: its base's scheme (protocol-relative), origin (root-relative) or directory.
    shape = pc.subtract(
        pc.subtract(pa.scalar(2, pa.int64()), pc.cast(pc.starts_with(raw, "/"), pa.int64())),
        pc.cast(pc.starts_with(raw, "//"), pa.int64()),
    )
    key = pc.add(pc.multiply(shape, len(bases)), pc.cast(base_index, pa.int64()))
    joined = pc.binary_join_element_wise(base_prefixes(bases).take(key), raw, "")
    urls = pc.if_else(fast, pc.if_else(absolute, raw, joined), _NULL)
    empty = pc.fill_null(pc.equal(raw, ""), True)
    data = pc.match_substring_regex(raw, _DATA)
    reasons = pc.if_else(empty, "no_src", pc.if_else(data, "data_uri", _NULL))
    rest = pc.and_(pc.is_null(urls), pc.is_null(reasons))
    if pc.any(rest).as_py():
        where = pc.indices_nonzero(rest)
        values = raw.take(where).to_pylist()
        row_bases = base_index.take(where).to_pylist()
        resolved = [resolve(bases[b], value) for b, value in zip(row_bases, values)]
        urls = pc.replace_with_mask(urls, rest, pa.array([u for u, _ in resolved], pa.string()))
        reasons = pc.replace_with_mask(reasons, rest, pa.array([r for _, r in resolved], pa.string()))
    return urls, reasons


def base_prefixes(bases: Sequence[str]) -> pa.Array:
    """What values of each shape join onto, per base: its ``scheme:``s, then its origins, then its directories.

    Null where ``_join_simple`` would not join (a base it leaves to ``join_url``). Plain bases
    are split with kernels, the others by ``base_parts``.
    """
    column = pa.array(bases, pa.string())
    plain = _true(pc.match_substring_regex(column, _PLAIN_BASE))
    empty = pa.nulls(len(column), pa.string())
    columns = [empty, empty, empty]
    if pc.any(plain).as_py():
        chosen = column.filter(plain)
        parts = pc.split_pattern(chosen, "/", max_splits=3)  # scheme:, "", host[, path...]
        origin = pc.binary_join_element_wise(*(pc.list_element(parts, i) for i in range(3)), "/")
        without_query = pc.replace_substring_regex(chosen, r"[?#].*", "")
        directory = pc.if_else(
            pc.equal(without_query, origin),
            pc.binary_join_element_wise(origin, "/", ""),
            pc.replace_substring_regex(without_query, r"[^/]*$", ""),
        )
        scheme = pc.if_else(pc.starts_with(chosen, "https:"), "https:", "http:")
        columns = [pc.replace_with_mask(empty, plain, c) for c in (scheme, origin, directory)]
    odd = pc.invert(plain)
    if pc.any(odd).as_py():
        split = [base_parts(b) for b in column.filter(odd).to_pylist()]
        scheme_of = [None if p is None else f"{p[0]}:" for p in split]
        origin_of = [None if p is None else p[1] for p in split]
        directory_of = [None if p is None else p[2] for p in split]
        columns = [
            pc.replace_with_mask(c, odd, pa.array(v, pa.string()))
            for c, v in zip(columns, (scheme_of, origin_of, directory_of))
        ]
    return pa.concat_arrays(columns)


def _true(mask: pa.Array) -> pa.Array:
    """A boolean mask with nulls (from null values) read as False."""
    return pc.fill_null(mask, False)
