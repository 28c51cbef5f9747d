"""Caption text normalisation and the byte-level checks that must precede any string handling.

Normalisation fixes what web text gets wrong without changing what it says: mojibake, HTML
entities, curly quotes, C1 controls and odd widths (ftfy), NFC, zero-width junk, and runs of
whitespace collapsed to one space. Parquet string columns are not validated on read, so text that
is not valid UTF-8 (stray bytes, encoded surrogates) is found first and flagged, never decoded
into an exception later.
"""

from __future__ import annotations

import re
from unicodedata import is_normalized

import ftfy
import pyarrow as pa
from ftfy import chardata
from ftfy.badness import is_bad

from wit_pipeline.manifest import decode_utf8_column


def _ftfy_triggers() -> re.Pattern:
    """Every character one of ftfy's per-character fixers would change (from ftfy's own tables)."""
    chars = set(chardata.LIGATURES) | set(chardata.WIDTH_MAP) | set(chardata.CONTROL_CHARS)
    chars |= {ord(c) for c in "&\x1b\r\u2028\u2029"} | set(range(0x80, 0xA0)) | set(range(0xD800, 0xE000))
    chars |= {0x02BC, *range(0x2018, 0x2020)}
    return re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(chars)) + "]")


# ftfy.fix_text (~80 us a caption) changes text only if a fixer's trigger character occurs, its
# mojibake detector (badness) fires, or the text is not NFC; everything else skips the call.
_FTFY_TRIGGERS = _ftfy_triggers()
_INVISIBLE = re.compile("[\u200b\u2060\ufeff]")
# C0 controls other than whitespace, and DEL: binary garbage, never text. C1 controls are left
# to ftfy, which reads them as clues to mojibake.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
REPLACEMENT_CHAR = "\ufffd"


def normalize_text(text: str) -> str:
    """``text`` with encoding damage fixed (ftfy), NFC, invisible characters dropped, spaces collapsed."""
    if needs_ftfy(text):
        text = _INVISIBLE.sub("", ftfy.fix_text(text))
    return " ".join(text.split())


def needs_ftfy(text: str) -> bool:
    """Whether ``ftfy.fix_text`` could change ``text`` (False means it returns it unchanged)."""
    if text.isascii():
        return "&" in text or "\x1b" in text or "\r" in text or not text.isprintable()
    return bool(
        _FTFY_TRIGGERS.search(text) or is_bad(text) or _INVISIBLE.search(text) or not is_normalized("NFC", text)
    )


def decode_text_columns(table: pa.Table, text: tuple[str, ...] = ()) -> tuple[pa.Table, list[bool]]:
    """Make every text column of ``table`` valid strings; flag rows that held invalid UTF-8.

    String columns are checked; the columns named in ``text`` hold text whatever their type (a
    parquet writer may store a caption as binary) and always come back as strings. Flagged rows
    keep their text decoded with U+FFFD in place of the bad bytes, so they can be written to
    rejects as they were.
    """
    flags = [False] * table.num_rows
    for name in table.column_names:
        column = table[name]
        is_string = pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
        if not is_string and name not in text:
            continue
        decoded, bad = decode_utf8_column(column)
        if any(bad):
            flags = [a or b for a, b in zip(flags, bad)]
        if any(bad) or not is_string:
            table = table.set_column(table.column_names.index(name), name, decoded)
    return table, flags
