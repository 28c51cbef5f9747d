"""Turning ``src``/``href`` values found in pages into absolute http(s) URLs, or a skip reason.

Browsers strip surrounding whitespace and drop tabs and newlines inside URL attributes; the
same is done here so a URL split over two lines in the HTML still resolves. Anything that is
not http(s) after resolution (``data:``, ``javascript:``, ``mailto:``, ``ftp:``) is a skip reason.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

_EDGE = "".join(chr(c) for c in range(0x21))  # C0 controls and space, stripped at both ends
_ABSOLUTE = ("http://", "https://")
MAX_SKIPPED_URL = 256


def clean_url(raw: str) -> str:
    """``raw`` with leading/trailing controls and spaces removed and inner tabs/newlines dropped."""
    value = raw.strip(_EDGE)
    if "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\t", "").replace("\n", "").replace("\r", "")
    if " " in value:
        value = value.replace(" ", "%20")
    return value


def resolve(base: str, raw: str | None) -> tuple[str | None, str | None]:
    """``(absolute_url, None)`` for a usable http(s) URL, else ``(None, reason)``.

    ``base`` is the page URL (or its ``<base href>``); relative and protocol-relative
    values are resolved against it. Reasons: ``no_src``, ``data_uri``, ``non_http``,
    ``malformed_url``.
    """
    if raw is None:
        return None, "no_src"
    value = clean_url(raw)
    if not value:
        return None, "no_src"
    head = value[:8].lower()
    if head.startswith("data:"):
        return None, "data_uri"
    if value.startswith(_ABSOLUTE):
        return value, None
    try:
        url = urljoin(base, value)
    except ValueError:
        return None, "malformed_url"
    scheme, sep, _ = url.partition(":")
    if not sep or scheme.lower() not in ("http", "https"):
        return None, "non_http"
    return url, None


def base_url(page_url: str, base_href: str | None) -> str:
    """The URL relative references on a page resolve against: its ``<base href>`` if usable."""
    if not base_href:
        return page_url
    url, reason = resolve(page_url, base_href)
    return url if reason is None else page_url


def without_fragment(url: str) -> str:
    """``url`` minus its ``#fragment`` (links differing only there are one page)."""
    if "#" not in url:
        return url
    try:
        return urlunsplit(urlsplit(url)._replace(fragment=""))
    except ValueError:
        return url.split("#", 1)[0]


def skipped_value(raw: str | None) -> str | None:
    """What a skipped image's URL column holds in rejects: the value, ``data:`` URIs shortened."""
    if raw is None:
        return None
    value = raw.strip()
    return value if len(value) <= MAX_SKIPPED_URL else value[:MAX_SKIPPED_URL] + "..."
