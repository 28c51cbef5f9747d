"""Bulk URL resolution (Arrow kernels for the common shapes) gives exactly what ``resolve`` gives row by row."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from crawlers.url_resolve import base_parts, resolve
from crawlers.url_resolve_bulk import base_prefixes, resolve_column

BASES = [
    "https://news.example/story/1",
    "http://h.example",
    "http://h.example/a/b.html?q=1#f",
    "http://h.example/a/b#frag/x",
    "https://h.example/a?q=/x/y",
    "https://h.example?q=/x",
    "http://h.example/a//b/c",  # "//" in the directory: kept, as RFC 3986 and browsers keep it
    "http://u@h:8/x/?q",
    "HTTPS://Upper.example/A/",
    "http://h.example/a;p/b",  # ";" in the path: left to join_url
    "http://h.example\\x/",
    "ftp://files.example/pub/",
    "http:///no-host",
    "",
    "not a url",
    "http://[::1",
]
BASE_PIECES = [
    "http://", "https://", "HTTP://", "ftp://", "h.example", "u@h:8", "[::1]", "/", "//", "a", "b.html", ";", "?",
    "#", "q=1", "\\", " ", "\t", "é", ".", ":", "%20", "[", "]", "@",
]  # fmt: skip
GENERATED_BASES = st.one_of(
    st.sampled_from(BASES),
    st.lists(st.sampled_from(BASE_PIECES), min_size=1, max_size=6).map("".join),
    st.builds(lambda *p: "".join(p), st.sampled_from(["http://", "https://"]), st.text(max_size=15)),
)
PIECES = [
    "/", "//", ".", "..", "./", "../", "?", "#", "?#", ";", ":", "a", "b.png", "%2e", "[", "@", "x:y", "?q=1",
    "http://", "https://", "HTTP://", "data:", "DATA:", "javascript:", "mailto:", "cdn.example", "é", "\u3000",
    " ", "\t", "\n", "\x00", "\x7f", "\x85", "\\", "-", "/./", "/../", "/.?q", "..#f", ".?", "a/.", "/..",
]  # fmt: skip
SHAPED = st.lists(st.sampled_from(PIECES), min_size=1, max_size=7).map("".join)
VALUES = st.one_of(st.none(), SHAPED, SHAPED, SHAPED, st.text(max_size=12))
# One value per reason the fast path hands a value to resolve (or must not take it).
TRICKY = [
    "/?#a", "a?#b", "//c.example/x?#y", "/a?", "b#", "/a;b", "a\\b", "/[x]", "/a/./b", "/a/../b", "a/.?q", "..#f",
    "./", "..", ".", "/a/.", "a//b", "a?x=//y", "x:y/z", "?q", "#f", ";p", "//-x/", "//é.example/", " /a", "/a b",
    "https://h/a b", "https://h/a\tb", "https://h/;x", "http:/x", "HTTP://h/", "Data:x", " data:x", "é/a", ".x/a.png",
    "//c.example[/x", "//a[1]/x", "//[::1]/x", "a/b/.;x", "/..;p", "//?x", "//#f", "//@h/", "//:80/", "//.x/",
    "/a#", "//h/x#", "/a?b#", "a?b#", "/a?#", "/a??b", "/a#b#c", "/a#b?c", "a#b?c", "a?b/c", "a?b:c", "/./x", "/.../x",
    "//h/./x", "//h/../x", "//h/a/..", "//h/a/.?q",
]  # fmt: skip


def per_row(bases: list[str], index: list[int], raw: list[str | None]) -> list[tuple[str | None, str | None]]:
    return [resolve(bases[i], value) for i, value in zip(index, raw)]


def in_bulk(bases: list[str], index: list[int], raw: list[str | None]) -> list[tuple[str | None, str | None]]:
    urls, reasons = resolve_column(pa.array(raw, pa.string()), bases, pa.array(index, pa.int32()))
    return list(zip(urls.to_pylist(), reasons.to_pylist()))


@settings(max_examples=400, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, len(BASES) - 1), VALUES), max_size=40))
def test_bulk_resolution_agrees_with_resolve_row_by_row(rows: list[tuple[int, str | None]]) -> None:
    index, raw = [i for i, _ in rows], [v for _, v in rows]
    assert in_bulk(BASES, index, raw) == per_row(BASES, index, raw)


@settings(max_examples=300, deadline=None)
@given(bases=st.lists(GENERATED_BASES, min_size=1, max_size=4), data=st.data())
def test_bulk_resolution_against_any_base(bases: list[str], data: st.DataObject) -> None:
    rows = data.draw(st.lists(st.tuples(st.integers(0, len(bases) - 1), VALUES), max_size=20))
    index, raw = [i for i, _ in rows], [v for _, v in rows]
    assert in_bulk(bases, index, raw) == per_row(bases, index, raw)


@settings(max_examples=400, deadline=None)
@given(bases=st.lists(GENERATED_BASES, min_size=1, max_size=8))
def test_base_prefixes_agree_with_base_parts(bases: list[str]) -> None:
    expected: list[list[str | None]] = [[], [], []]
    for base in bases:
        parts = base_parts(base)
        scheme, origin, directory = parts or (None, None, None)
        expected[0].append(None if scheme is None else f"{scheme}:")
        expected[1].append(origin)
        expected[2].append(directory)
    assert base_prefixes(bases).to_pylist() == expected[0] + expected[1] + expected[2]


def test_the_common_shapes_and_the_rest() -> None:
    bases = ["https://news.example/a/b.html", "http://h.example/x//y/"]
    raw = [
        "https://cdn.example/1.png",
        "/img/2.jpg",
        "//cdn2.example/3.webp",
        "4.jpg",
        "../5.jpg",
        " /6.jpg\n",
        "data:image/png;base64,AA",
        "mailto:x@y",
        "",
        None,
        "7.jpg",
    ]
    index = [0] * 10 + [1]
    assert in_bulk(bases, index, raw) == [
        ("https://cdn.example/1.png", None),
        ("https://news.example/img/2.jpg", None),
        ("https://cdn2.example/3.webp", None),
        ("https://news.example/a/4.jpg", None),
        ("https://news.example/5.jpg", None),
        ("https://news.example/6.jpg", None),
        (None, "data_uri"),
        (None, "non_http"),
        (None, "no_src"),
        (None, "no_src"),
        ("http://h.example/x//y/7.jpg", None),  # the empty segment kept, as in absolute URLs
    ]
    assert in_bulk(bases, index, raw) == per_row(bases, index, raw)


def test_every_tricky_shape_against_every_base() -> None:
    index = [i for i in range(len(BASES)) for _ in TRICKY]
    raw = TRICKY * len(BASES)
    assert in_bulk(BASES, index, raw) == per_row(BASES, index, raw)


def test_empty_column() -> None:
    assert in_bulk(["http://h.example/"], [], []) == []
