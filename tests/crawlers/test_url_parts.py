"""URL resolution, srcset parsing, charset sniffing and robots directives: the extractor's parts."""

from __future__ import annotations

import pytest

from crawlers.html_charset import charset_from_content_type, decode_html, sniff_encoding
from crawlers.robots_tags import OptOuts, directives, opt_outs
from crawlers.srcset import largest_candidate, parse_srcset
from crawlers.url_resolve import base_url, clean_url, resolve, without_fragment

BASE = "http://h.example/a/b.html"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("c.png", ("http://h.example/a/c.png", None)),
        ("//cdn.example/x.png", ("http://cdn.example/x.png", None)),
        ("../x.png", ("http://h.example/x.png", None)),
        (" \n/x\t.png ", ("http://h.example/x.png", None)),
        ("a b.png", ("http://h.example/a/a%20b.png", None)),
        ("https://o.example/y.jpg", ("https://o.example/y.jpg", None)),
        ("DATA:image/png;base64,AAAA", (None, "data_uri")),
        ("javascript:alert(1)", (None, "non_http")),
        ("mailto:x@y", (None, "non_http")),
        ("", (None, "no_src")),
        (None, (None, "no_src")),
        ("http://[::1", ("http://[::1", None)),
        ("//[bad", (None, "malformed_url")),
    ],
)
def test_resolve(raw: str | None, expected: tuple) -> None:
    assert resolve(BASE, raw) == expected


def test_empty_path_segments_are_kept_in_relative_urls_as_in_absolute_ones() -> None:
    base = "https://bucket.example/site/page.html"
    assert resolve(base, "images//x.png") == ("https://bucket.example/site/images//x.png", None)
    assert resolve(base, "https://bucket.example/site/images//x.png")[0] == resolve(base, "images//x.png")[0]
    assert resolve(base, "/a//b.png")[0] == "https://bucket.example/a//b.png"
    assert resolve("http://h.example/a//b/c", "x.png")[0] == "http://h.example/a//b/x.png"
    assert resolve("http://h.example/a//b/c", "../x.png")[0] == "http://h.example/a//x.png"
    assert resolve("http://h.example/a/b", "./p//../x.png")[0] == "http://h.example/a/p/x.png"


# RFC 3986 section 5.4: the normal and abnormal examples against its base URI.
RFC_BASE = "http://a/b/c/d;p?q"
RFC_EXAMPLES = {
    "g": "http://a/b/c/g",
    "./g": "http://a/b/c/g",
    "g/": "http://a/b/c/g/",
    "/g": "http://a/g",
    "//g": "http://g",
    "?y": "http://a/b/c/d;p?y",
    "g?y": "http://a/b/c/g?y",
    "#s": "http://a/b/c/d;p?q#s",
    "g#s": "http://a/b/c/g#s",
    "g?y#s": "http://a/b/c/g?y#s",
    ";x": "http://a/b/c/;x",
    "g;x": "http://a/b/c/g;x",
    "g;x?y#s": "http://a/b/c/g;x?y#s",
    ".": "http://a/b/c/",
    "./": "http://a/b/c/",
    "..": "http://a/b/",
    "../": "http://a/b/",
    "../g": "http://a/b/g",
    "../..": "http://a/",
    "../../": "http://a/",
    "../../g": "http://a/g",
    "../../../g": "http://a/g",
    "../../../../g": "http://a/g",
    "/./g": "http://a/g",
    "/../g": "http://a/g",
    "g.": "http://a/b/c/g.",
    ".g": "http://a/b/c/.g",
    "g..": "http://a/b/c/g..",
    "..g": "http://a/b/c/..g",
    "./../g": "http://a/b/g",
    "./g/.": "http://a/b/c/g/",
    "g/./h": "http://a/b/c/g/h",
    "g/../h": "http://a/b/c/h",
    "g;x=1/./y": "http://a/b/c/g;x=1/y",
    "g;x=1/../y": "http://a/b/c/y",
}


@pytest.mark.parametrize(("value", "expected"), RFC_EXAMPLES.items())
def test_rfc3986_reference_resolution_examples(value: str, expected: str) -> None:
    assert resolve(RFC_BASE, value) == (expected, None)


def test_base_url_and_fragments() -> None:
    assert base_url(BASE, "https://cdn.example/") == "https://cdn.example/"
    assert base_url(BASE, "javascript:x") == BASE
    assert base_url(BASE, None) == BASE
    assert without_fragment("http://h/x?q=1#top") == "http://h/x?q=1"
    assert clean_url("\x00 a\nb ") == "ab"


def test_srcset_parsing() -> None:
    assert parse_srcset("a.png 1x, b.png 2.5x") == [("a.png", "x", 1.0), ("b.png", "x", 2.5)]
    assert parse_srcset("x,y.png 10w,z.png 30w") == [("x,y.png", "w", 10.0), ("z.png", "w", 30.0)]
    assert parse_srcset("a.png, b.png 2x") == [("a.png", "x", 1.0), ("b.png", "x", 2.0)]
    assert parse_srcset("bad.png 12q, ok.png 3x, neg.png -1x") == [("ok.png", "x", 3.0)]
    assert largest_candidate(["a.png 1x, b.png 2x", None, "c.png 300w"]) == "c.png"
    assert largest_candidate(["", None]) is None


def test_charset_sniffing_order() -> None:
    assert charset_from_content_type('text/html; charset="Shift_JIS"') == "Shift_JIS"
    assert sniff_encoding(b"\xef\xbb\xbf<meta charset=latin1>", "text/html; charset=koi8-r") == "utf-8"
    assert sniff_encoding(b"<meta charset=latin1>", "text/html; charset=koi8-r") == "koi8-r"
    assert sniff_encoding(b'<meta http-equiv="Content-Type" content="text/html; charset=utf-16">') == "utf-8"
    assert sniff_encoding(b"<meta charset=no-such-codec>") is None
    assert decode_html(b"\xef\xbb\xbfhi") == ("hi", "utf-8")
    assert decode_html("é".encode()) == ("é", "utf-8")
    assert decode_html(b"\xe9", "text/html; charset=bogus") == ("é", "cp1252")


def test_robots_directives() -> None:
    assert directives("noai, NoImageAI", "witbot") == {"noai", "noimageai"}
    assert directives("otherbot: noai", "witbot") == set()
    assert directives("witbot: nofollow", "witbot") == {"nofollow"}
    assert directives("unavailable_after: 2030-01-01", "witbot") == {"unavailable_after: 2030-01-01"}
    assert opt_outs(["noindex", "noimageai"], "witbot").no_images
    assert opt_outs(["none"], "witbot") == OptOuts(no_images=False, no_follow=True)  # noindex is not an AI opt-out
    assert not opt_outs(["noindex"], "witbot").no_images
