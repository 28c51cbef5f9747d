"""Image links of one WAT metadata record (Common Crawl's JSON summary of a page).

LAION's recipe: the ``Links`` of a response's ``HTML-Metadata`` whose ``path`` is
``IMG@/src``, with their ``alt`` text, resolved against ``Head.Base`` or the record's target
URI. Every record is decoded in full with orjson (strict: UTF-8 only, no NaN, no lone
surrogates), so invalid JSON in any record is detected and counted.
``X-Robots-Tag`` and ``<meta name=robots>`` opt-outs recorded in the WAT apply.

``wat_image_links`` finds a record's links and base; ``wat_image_rows`` turns them into raw
rows one by one (the reference), ``WatColumns`` (``wat_columns.py``) a whole batch at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson

from crawlers.html_extract import DEFAULT_AGENT
from crawlers.robots_tags import meta_applies, opt_outs
from crawlers.url_resolve import base_url, resolve, skipped_value

IMAGE_PATH = "IMG@/src"


@dataclass(frozen=True, slots=True)
class WatImages:
    """The ``IMG@/src`` link objects of one WAT record and the base they resolve against, or why there are none."""

    links: Sequence[dict] = ()
    base: str = ""
    problem: str | None = None
    opted_out: bool = False


_NO_IMAGES = WatImages()  # shared by the many records without any (requests, metadata)
_INVALID = WatImages(problem="invalid_json")
_OPTED_OUT = WatImages(opted_out=True)


@dataclass(slots=True)
class WatLinks:
    """Raw image rows of one WAT record (``skip`` reasons included), or why it had none."""

    rows: list[dict] = field(default_factory=list)
    problem: str | None = None
    opted_out: bool = False


def wat_image_links(payload: bytes, target_uri: str | None, agent: str = DEFAULT_AGENT) -> WatImages:
    """Decode a WAT record payload: its ``IMG@/src`` link objects and their base URL."""
    try:
        doc = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return _INVALID
    if not isinstance(doc, dict):
        return _INVALID
    # Most records are requests and metadata, and every response is dug into: kept to plain lookups.
    envelope = doc.get("Envelope")
    meta = envelope.get("Payload-Metadata") if isinstance(envelope, dict) else None
    response = meta.get("HTTP-Response-Metadata") if isinstance(meta, dict) else None
    html = response.get("HTML-Metadata") if isinstance(response, dict) else None
    links = html.get("Links") if isinstance(html, dict) else None
    if not isinstance(links, list):
        return _NO_IMAGES
    head = html.get("Head")
    if _opted_out(response.get("Headers"), head.get("Metas") if isinstance(head, dict) else None, agent):
        return _OPTED_OUT
    images = _image_links(links)
    if not images:
        return _NO_IMAGES
    target = target_uri or _text(_dig(envelope, "WARC-Header-Metadata", "WARC-Target-URI")) or ""
    return WatImages(links=images, base=base_url(target, _text(_dig(head, "Base"))))


def wat_image_rows(payload: bytes, target_uri: str | None, agent: str = DEFAULT_AGENT) -> WatLinks:
    """The ``IMG@/src`` links of a WAT record payload as raw image rows, resolved one by one."""
    found = wat_image_links(payload, target_uri, agent)
    rows = [_row(link, found.base) for link in found.links]
    return WatLinks(rows=rows, problem=found.problem, opted_out=found.opted_out)


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
    """Whether an ``X-Robots-Tag`` header or a robots ``<meta>`` for ``agent`` forbids AI use of the images.

    JSON object keys are strings, so a page whose header names and meta names, lower-cased, do
    not even contain ``x-robots-tag`` / ``robots`` / the agent token is settled in one pass.
    """
    token = agent.lower()
    values: list[str] = []
    if isinstance(headers, dict) and "x-robots-tag" in "\n".join(headers).lower():
        for key, value in headers.items():
            if key.lower() == "x-robots-tag":
                values += [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]
    if isinstance(metas, list) and metas:
        names = "\n".join([n for m in metas if isinstance(m, dict) and isinstance(n := m.get("name"), str)]).lower()
        if "robots" in names or token in names:
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
