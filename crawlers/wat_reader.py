"""Image links of one WAT metadata record (Common Crawl's JSON summary of a page).

LAION's recipe: the ``Links`` of a response's ``HTML-Metadata`` whose ``path`` is
``IMG@/src``, with their ``alt`` text, resolved against ``Head.Base`` or the record's target
URI. Every record is decoded in full with orjson (strict: UTF-8 only, no NaN, no lone
surrogates), so invalid JSON in any record is detected and counted.
``X-Robots-Tag`` and ``<meta name=robots>`` opt-outs recorded in the WAT apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from crawlers.html_extract import DEFAULT_AGENT
from crawlers.robots_tags import meta_applies, opt_outs
from crawlers.url_resolve import base_url, resolve, skipped_value

IMAGE_PATH = "IMG@/src"


@dataclass(slots=True)
class WatLinks:
    """Raw image rows of one WAT record (``skip`` reasons included), or why it had none."""

    rows: list[dict] = field(default_factory=list)
    problem: str | None = None
    opted_out: bool = False


def wat_image_rows(payload: bytes, target_uri: str | None, agent: str = DEFAULT_AGENT) -> WatLinks:
    """The ``IMG@/src`` links of a WAT record payload as raw image rows."""
    try:
        doc = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return WatLinks(problem="invalid_json")
    if not isinstance(doc, dict):
        return WatLinks(problem="invalid_json")
    response = _dig(doc, "Envelope", "Payload-Metadata", "HTTP-Response-Metadata")
    html = _dig(response, "HTML-Metadata")
    links = _dig(html, "Links")
    if not isinstance(links, list):
        return WatLinks()
    target = target_uri or _text(_dig(doc, "Envelope", "WARC-Header-Metadata", "WARC-Target-URI")) or ""
    head = _dig(html, "Head")
    if _opted_out(_dig(response, "Headers"), _dig(head, "Metas"), agent):
        return WatLinks(opted_out=True)
    base = base_url(target, _text(_dig(head, "Base")))
    return WatLinks(rows=[_row(link, base) for link in _image_links(links)])


def _image_links(links: list) -> list[dict]:
    """The ``IMG@/src`` entries of ``links`` (most entries are anchors, so this loop is kept lean)."""
    try:
        return [link for link in links if link.get("path") == IMAGE_PATH]
    except AttributeError:  # an entry that is not a JSON object
        return [link for link in links if isinstance(link, dict) and link.get("path") == IMAGE_PATH]


def _row(link: dict, base: str) -> dict:
    raw = link.get("url")
    raw = raw if isinstance(raw, str) else None
    url, reason = resolve(base, raw)
    alt, title = link.get("alt"), link.get("title")
    alt = " ".join(alt.split()) if isinstance(alt, str) else None
    title = " ".join(title.split()) if isinstance(title, str) else None
    return {
        "url": url if reason is None else skipped_value(raw),
        "caption": alt or title or alt,
        "alt": alt,
        "title": title,
        "skip": reason,
    }


def _opted_out(headers: object, metas: object, agent: str) -> bool:
    values: list[str] = []
    if isinstance(headers, dict):
        for key, value in headers.items():
            if isinstance(key, str) and key.lower() == "x-robots-tag":
                values += [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]
    if isinstance(metas, list):
        values += [
            _text(m.get("content")) or ""
            for m in metas
            if isinstance(m, dict) and meta_applies(_text(m.get("name")), agent)
        ]
    return bool(values) and opt_outs(values, agent).no_images


def _dig(value: object, *keys: str) -> object:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
