"""``srcset`` parsing (the candidate list of ``<img>`` and ``<source>``) and picking the largest.

Follows the WHATWG parsing rules closely enough for real pages: URLs may contain commas
(``w_100,h_100`` image CDNs), descriptors are ``NNNw`` or ``N.Nx``, a missing descriptor
means ``1x``, and invalid candidates are dropped rather than failing the attribute.
"""

from __future__ import annotations

from collections.abc import Iterable

_WS = " \t\n\r\x0c"


def parse_srcset(value: str) -> list[tuple[str, str, float]]:
    """Candidates of a ``srcset`` value as ``(url, kind, size)``; kind is ``w`` or ``x``."""
    out: list[tuple[str, str, float]] = []
    pos, n = 0, len(value)
    while pos < n:
        while pos < n and (value[pos] in _WS or value[pos] == ","):
            pos += 1
        start = pos
        while pos < n and value[pos] not in _WS:
            pos += 1
        url = value[start:pos]
        descriptor = ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            start, depth = pos, 0
            while pos < n:
                c = value[pos]
                if c == "(":
                    depth += 1
                elif c == ")" and depth:
                    depth -= 1
                elif c == "," and not depth:
                    break
                pos += 1
            descriptor = value[start:pos]
            pos += 1
        parsed = _descriptor(descriptor)
        if url and parsed is not None:
            out.append((url, *parsed))
    return out


def _descriptor(text: str) -> tuple[str, float] | None:
    kind, size = "x", 1.0
    for token in text.split():
        unit, number = token[-1:].lower(), token[:-1]
        if unit not in ("w", "x", "h"):
            return None
        try:
            value = float(number)
        except ValueError:
            return None
        if value <= 0 or value != value or value == float("inf"):
            return None
        if unit != "h":
            kind, size = unit, value
    return kind, size


def largest_candidate(srcsets: Iterable[str | None]) -> str | None:
    """The URL of the largest candidate across ``srcsets``: widest ``w``, else highest ``x``."""
    best: dict[str, tuple[float, str]] = {}
    for value in srcsets:
        if not value:
            continue
        for url, kind, size in parse_srcset(value):
            if kind not in best or size > best[kind][0]:
                best[kind] = (size, url)
    if "w" in best:
        return best["w"][1]
    return best["x"][1] if "x" in best else None
