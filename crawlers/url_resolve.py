"""Turning ``src``/``href`` values found in pages into absolute http(s) URLs, or a skip reason.

Browsers strip surrounding whitespace and drop tabs and newlines inside URL attributes; the
same is done here so a URL split over two lines in the HTML still resolves. Anything that is
not http(s) after resolution (``data:``, ``javascript:``, ``mailto:``, ``ftp:``) is a skip reason.

Resolution follows RFC 3986 (section 5.2) as browsers do, including empty path segments:
``images//x.png`` on ``http://h/a/`` is ``http://h/a/images//x.png`` (object-store keys hold
``//``), as it is when the page writes the URL out in full. Python's ``urljoin`` drops such
segments from merged paths, so its path is recomputed whenever one is involved.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urljoin, urlsplit, urlunsplit

_EDGE = "".join(chr(c) for c in range(0x21))  # C0 controls and space, stripped at both ends
_ABSOLUTE = ("http://", "https://")
MAX_SKIPPED_URL = 256


def clean_url(raw: str) -> str:
    """``raw`` with leading/trailing controls and spaces removed and inner tabs/newlines dropped."""
    if raw.isprintable() and " " not in raw:  # the common case: nothing to remove or escape
        return raw
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
    if value.startswith(_ABSOLUTE):
        return value, None
    if not value:
        return None, "no_src"
    if value[0] in "dD" and value[:5].lower() == "data:":
        return None, "data_uri"
    url = _join_simple(base, value)
    if url is not None:
        return url, None  # joined onto an http(s) base
    try:
        url = join_url(base, value)
    except ValueError:
        return None, "malformed_url"
    scheme, sep, _ = url.partition(":")
    if not sep or scheme.lower() not in ("http", "https"):
        return None, "non_http"
    return url, None


def join_url(base: str, value: str) -> str:
    """RFC 3986 reference resolution: ``urljoin``, with empty path segments kept (raises ``ValueError``)."""
    url = urljoin(base, value)
    ref = urlsplit(value)
    if ref.scheme or value.startswith("//") or not ref.path:
        return url  # urljoin keeps such a reference's own path as it is
    base_path = urlsplit(base).path
    if "//" not in ref.path and "//" not in base_path:
        return url
    if ref.path.startswith("/"):
        path = ref.path
    else:
        path = base_path[: base_path.rfind("/") + 1] + ref.path if base_path else "/" + ref.path
    return urlunsplit(urlsplit(url)._replace(path=remove_dot_segments(path)))


def remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4: ``.`` and ``..`` segments resolved, empty segments kept."""
    out: list[str] = []
    rest = path
    while rest:
        if rest.startswith("../"):
            rest = rest[3:]
        elif rest.startswith("./"):
            rest = rest[2:]
        elif rest.startswith("/./") or rest == "/.":
            rest = "/" + rest[3:]
        elif rest.startswith("/../") or rest == "/..":
            rest = "/" + rest[4:]
            if out:
                out.pop()
        elif rest in (".", ".."):
            rest = ""
        else:
            cut = rest.find("/", 1)
            cut = len(rest) if cut < 0 else cut
            out.append(rest[:cut])
            rest = rest[cut:]
    return "".join(out)


@lru_cache(maxsize=256)
def base_parts(base: str) -> tuple[str, str, str] | None:
    """(scheme, origin, directory) of a plain http(s) base URL, or None to leave it to urljoin."""
    try:
        parts = urlsplit(base)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or ";" in parts.path or "\\" in base:
        return None
    origin = f"{parts.scheme}://{parts.netloc}"
    directory = origin + (parts.path[: parts.path.rfind("/") + 1] if parts.path else "/")
    return parts.scheme, origin, directory


def _join_simple(base: str, value: str) -> str | None:
    """``join_url(base, value)`` for the common shapes (``/x``, ``//host/x``, ``x/y``) without its cost.

    Anything that needs dot-segment removal, carries a scheme, ends in an empty query or
    fragment, or holds an IPv6 literal returns None and goes through ``join_url``; a property
    test checks that the results are identical.
    """
    parts = base_parts(base)
    if parts is None or "?#" in value or ";" in value or "\\" in value or "[" in value or value[-1] in "?#":
        return None
    if value[0] == "." or "/." in value:  # a segment starting with a dot: maybe "." or ".."
        path = f"/{value.partition('?')[0].partition('#')[0]}/"
        if "/./" in path or "/../" in path:
            return None
    scheme, origin, directory = parts
    if value[0] == "/":
        if value[1:2] != "/":
            return origin + value
        return f"{scheme}:{value}" if value[2:3].isalnum() else None
    if value[0] in "?#;" or ":" in value.split("/", 1)[0]:
        return None
    return directory + value


class UnusableUrl(ValueError):
    """A URL no request can be made for; ``reason`` is ``malformed_url`` or ``non_http``."""

    def __init__(self, reason: str, url: str) -> None:
        super().__init__(f"{reason}: {url[:MAX_SKIPPED_URL]}")
        self.reason = reason


def http_target(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` a request for ``url`` goes to, or ``UnusableUrl`` saying why not.

    A port out of 1-65535 or a broken IPv6 literal (``malformed_url``) raise a bare ``ValueError``
    deep in ``urllib``; every place that turns a URL into a connection asks here first. Other
    schemes and URLs without a host are ``non_http``.
    """
    try:
        parts = urlsplit(url)
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:
        raise UnusableUrl("malformed_url", url) from None
    if scheme not in ("http", "https") or not host:
        raise UnusableUrl("non_http", url)
    if port == 0:
        raise UnusableUrl("malformed_url", url)
    return scheme, host, port or (443 if scheme == "https" else 80)


def origin(scheme: str, host: str, port: int) -> str:
    """``scheme://host:port`` with an IPv6 literal in brackets (``http://[::1]:8080``)."""
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


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
