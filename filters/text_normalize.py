"""Caption text normalisation and the byte-level checks that must precede any string handling.

Normalisation fixes what web text gets wrong without changing what it says: mojibake, HTML
entities, curly quotes, C1 controls and odd widths (ftfy), NFC, zero-width junk, and runs of
whitespace collapsed to one space. Parquet string columns are not validated on read, so text that
is not valid UTF-8 (stray bytes, encoded surrogates) is found first and flagged, never decoded
into an exception later.
"""

from __future__ import annotations

import re

import ftfy
import pyarrow as pa

from wit_pipeline.manifest import decode_utf8_column

# Printable ASCII without "&" is a fixed point of ftfy.fix_text: skip the (slow) call for it.
_NEEDS_FTFY = re.compile(r"[^\x20-\x25\x27-\x7e]")
_INVISIBLE = re.compile("[\u200b\u2060\ufeff]")
# C0 controls other than whitespace, and DEL: binary garbage, never text. C1 controls are left
# to ftfy, which reads them as clues to mojibake.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
REPLACEMENT_CHAR = "\ufffd"


def normalize_text(text: str) -> str:
    """``text`` with encoding damage fixed (ftfy), NFC, invisible characters dropped, spaces collapsed."""
    if _NEEDS_FTFY.search(text):
        text = _INVISIBLE.sub("", ftfy.fix_text(text))
    return " ".join(text.split())


def decode_text_columns(table: pa.Table) -> tuple[pa.Table, list[bool]]:
    """Make every text column of ``table`` valid strings; flag rows that held invalid UTF-8.

    Flagged rows keep their text decoded with U+FFFD in place of the bad bytes, so they can be
    written to rejects as they were.
    """
    flags = [False] * table.num_rows
    for name in table.column_names:
        column = table[name]
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            continue
        decoded, bad = decode_utf8_column(column)
        if any(bad):
            flags = [a or b for a, b in zip(flags, bad)]
            table = table.set_column(table.column_names.index(name), name, decoded)
    return table, flags
