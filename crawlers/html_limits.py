"""Bounds on what an HTML page may cost to parse, checked before parsing in linear time.

lexbor, like every HTML5 parser, is quadratic in two shapes a hostile page can take cheaply:
deep element nesting (the scope checks of ``<div>``, ``<ul>``, end tags... walk the stack of
open elements: 100,000 nested ``<div>`` in 600 KB took 26 s, 20,000 take 1.8 s) and the
attributes of one element (100,000 distinct names took 34 s, for the duplicate check). A page
nested deeper than ``MAX_HTML_DEPTH`` (512, where Chromium's parser stops nesting) or with a tag
of more than ``MAX_HTML_ATTRIBUTES`` attributes is refused with a reason instead of parsed.

The depth is estimated from the tags alone: void elements and those whose end tag a sibling
implies (``<p>``, ``<li>``, ``<td>``...) do not nest, an end tag closes one level, and a
self-closing SVG/MathML shape (``<path/>``) does not nest while ``<div/>`` does, as in HTML.
Only pages with more than ``SCAN_FROM_TAGS`` tags are scanned for depth (a few regex passes and
one cumulative sum, ~0.15 s per MB of dense markup, a few times lexbor's own parse): smaller
ones cannot cost much whatever their shape, and typical pages are left at their parse speed.
"""

from __future__ import annotations

import re

import numpy as np

MAX_HTML_DEPTH = 512
MAX_HTML_ATTRIBUTES = 1024
# Pages with fewer tags are not scanned: even all nested, 8,192 block elements parse in ~0.3 s.
SCAN_FROM_TAGS = 8192

_NO_NESTING = (  # as a trie: an alternation of 40 names tried at every "<" was twice as slow
    "a(?:rea)|b(?:asefont|ase|gsound|r)|c(?:olgroup|ol|aption)|d[dt]|embed|frame|hr|i(?:mg|nput)|keygen|"
    "l(?:ink|i)|meta|o(?:ptgroup|ption)|p(?:aram)?|r(?:tc|[bpt])|source|t(?:body|foot|head|rack|[dhr])|wbr"
)
_FOREIGN_SHAPES = (
    "path|circle|rect|line|polyline|polygon|ellipse|use|stop|image|animate\\w*|set|mpath|fe\\w+|"
    "mi|mo|mn|ms|mtext|mspace|mglyph|malignmark"
)
# Each pattern stops at the next "<" or ">", so no match rescans text: linear however broken the page.
_SKIP = re.compile(rf"</?(?:{_NO_NESTING})(?=[\s/>]|$)[^<>]*")  # on lower-cased text: IGNORECASE is 3x slower
_SHAPE = re.compile(rf"<(?:{_FOREIGN_SHAPES})(?=[\s/>])[^<>]*/>")
_END = re.compile(r"</[a-z][^<>]*")
_START = re.compile(r"<[a-z][^<>]*")
# Where SVG/MathML content starts and ends: its own tags, and the HTML start tags that break out of it.
_FOREIGN_EDGE = re.compile(
    r"<(/?)(svg|math|b|big|blockquote|body|br|center|code|dd|div|dl|dt|em|embed|h[1-6]|head|hr|i|img|li|"
    r"listing|menu|meta|nobr|ol|p|pre|ruby|s|small|span|strong|strike|sub|sup|table|tt|u|ul|var)(?=[\s/>])"
)
_REST = re.compile(r"[^\x01\x02]+")
_LONG_TAG = re.compile(r"<([A-Za-z][^\s/<>]*)([^<>]{2048,})")
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")


class PageTooComplex(ValueError):
    """A page whose parse would cost too much; ``reason`` is ``html_too_deep`` or ``html_too_many_attributes``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


def check_html(text: str, max_depth: int = MAX_HTML_DEPTH, max_attributes: int = MAX_HTML_ATTRIBUTES) -> None:
    """Raise ``PageTooComplex`` if parsing ``text`` would nest too deep or meet a tag with too many attributes."""
    for match in _LONG_TAG.finditer(text) if _has_long_tag(text) else ():
        rest = _QUOTED.sub(" ", match.group(2))
        count = len(rest.replace("=", " = ").split()) - 2 * rest.count("=")
        if count > max_attributes:
            raise PageTooComplex("html_too_many_attributes", f"<{match.group(1)}> has about {count} attributes")
    if text.count("<") <= SCAN_FROM_TAGS:
        return
    depth = html_depth(text)
    if depth > max_depth:
        raise PageTooComplex("html_too_deep", f"elements nested about {depth} deep (limit {max_depth})")


def _has_long_tag(text: str) -> bool:
    """Whether some ``<`` is followed by over 2,048 bytes without ``<`` or ``>`` (vectorised: a regex cost 4x)."""
    data = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    marks = np.flatnonzero((data == 60) | (data == 62))
    if not len(marks):
        return False
    gaps = np.append(marks[1:], len(data)) - marks
    return bool(np.any((gaps > 2048) & (data[marks] == 60)))


def html_depth(text: str) -> int:
    """The nesting depth a parser would reach on ``text``, estimated from its tags (see the module doc)."""
    marks = _without_foreign_shapes(_SKIP.sub("", text.lower().translate({1: None, 2: None})))
    marks = _START.sub("\x01", _END.sub("\x02", marks))
    marks = _REST.sub("", marks)
    if not marks:
        return 0
    steps = np.where(np.frombuffer(marks.encode("ascii"), dtype=np.uint8) == 1, 1, -1)
    level = np.cumsum(steps)
    return int((level - np.minimum(np.minimum.accumulate(level), 0)).max())


def _without_foreign_shapes(text: str) -> str:
    """``text`` minus the self-closing shapes (``<path/>``) that sit in SVG/MathML content.

    Outside it, ``<path/>`` is an unknown HTML element that nests like any other, so a page of
    them is as deep as a page of ``<div>``. Pages without such shapes cost one search.
    """
    if _SHAPE.search(text) is None:
        return text
    spans: list[tuple[int, int]] = []
    depth, start = 0, 0
    for match in _FOREIGN_EDGE.finditer(text):
        closing, name = match.group(1), match.group(2)
        if name in ("svg", "math"):
            if not closing:
                start = match.start() if depth == 0 else start
                depth += 1
            elif depth:
                depth -= 1
                if depth == 0:
                    spans.append((start, match.end()))
        elif depth and not closing:  # an HTML start tag ends foreign content
            spans.append((start, match.start()))
            depth = 0
    if depth:
        spans.append((start, len(text)))
    pieces, last = [], 0
    for begin, end in spans:
        pieces += [text[last:begin], _SHAPE.sub("", text[begin:end])]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)
