"""Decode HTML bytes to text: BOM, then the HTTP ``charset``, then ``<meta>``, then a safe fallback.

The order is the one browsers use (WHATWG encoding sniffing, simplified): a byte-order mark
wins, then the Content-Type header, then a prescan of the first bytes for ``<meta charset>``
or ``<meta http-equiv=Content-Type>``. Without any of these, strict UTF-8 is tried and
windows-1252 (the web's legacy default, which decodes any byte) is the fallback, so decoding
never fails; undecodable bytes of a declared charset become U+FFFD.
"""

from __future__ import annotations

import codecs
import re

PRESCAN_BYTES = 4096
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# The prescan looks at raw bytes before any parsing is possible, as browsers do.
_META = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([a-zA-Z0-9_.:\-]+)", re.IGNORECASE)
# Labels whose WHATWG meaning differs from Python's codec of the same name.
_ALIASES = {"iso8859-1": "cp1252", "ascii": "cp1252"}
_UTF16 = ("utf-16", "utf-16-le", "utf-16-be")


def charset_from_content_type(value: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header value, if any."""
    if not value:
        return None
    for param in value.split(";")[1:]:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            return val.strip().strip("\"'") or None
    return None


def _codec(label: str | None, from_meta: bool = False) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().lower()).name
    except (LookupError, ValueError):
        return None
    if name in _UTF16:
        # A <meta> cannot truthfully declare UTF-16 (it was readable as ASCII), so browsers use UTF-8.
        return "utf-8" if from_meta else name
    return _ALIASES.get(name, name)


def sniff_encoding(body: bytes, content_type: str | None = None) -> str | None:
    """The declared encoding of ``body`` (BOM, header, or meta), or None if nothing declares one."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    declared = _codec(charset_from_content_type(content_type))
    if declared:
        return declared
    match = _META.search(body, 0, PRESCAN_BYTES)
    if match:
        return _codec(match.group(1).decode("ascii", "replace"), from_meta=True)
    return None


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """``(text, encoding)`` of an HTML document; never raises on bad bytes."""
    encoding = sniff_encoding(body, content_type)
    if encoding:
        if encoding == "utf-8" and body.startswith(codecs.BOM_UTF8):
            body = body[len(codecs.BOM_UTF8) :]
        return body.decode(encoding, "replace"), encoding
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return body.decode("cp1252", "replace"), "cp1252"
