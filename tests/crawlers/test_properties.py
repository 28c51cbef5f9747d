"""Property tests: arbitrary HTML and arbitrary bytes never make the extractor or WARC reader raise."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from warcio.warcwriter import WARCWriter

from crawlers.html_extract import extract_page
from crawlers.url_resolve import join_url, resolve
from crawlers.warc_crawl import WarcFileTask, WarcOptions
from crawlers.warc_reader import WarcProblem, WarcRecord, read_warc
from crawlers.wat_reader import wat_image_rows
from tests.crawlers.warc_factory import html_response

TAGS = ["img", "picture", "source", "figure", "figcaption", "base", "meta", "a", "div", "p", "script", "!--"]
ATTRS = ["src", "srcset", "alt", "title", "href", "width", "height", "name", "content", "charset", "data-src"]
VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["//x.example/a.png", "data:image/png;base64,AA", "1", "a.png 2x, b.png 100w", "robots", "noai"]),
)


@st.composite
def html_soup(draw) -> str:
    """Tag-shaped text (often broken): what real pages are made of."""
    parts = []
    for _ in range(draw(st.integers(0, 12))):
        tag = draw(st.sampled_from(TAGS))
        attrs = draw(st.lists(st.tuples(st.sampled_from(ATTRS), VALUES), max_size=4))
        quote = draw(st.sampled_from(['"', "'", ""]))
        parts.append(f"<{tag} " + " ".join(f"{k}={quote}{v}{quote}" for k, v in attrs) + ">")
        parts.append(draw(st.text(max_size=20)))
        if draw(st.booleans()):
            parts.append(f"</{tag}>")
    return "".join(parts)


@settings(max_examples=150, deadline=None)
@given(html=html_soup(), page=st.sampled_from(["http://h.example/a/", "https://x/", "", "not a url", "http://[::1"]))
def test_extractor_never_raises_on_tag_soup(html: str, page: str) -> None:
    result = extract_page(html, page, want_links=True)
    for row in result.rows:
        assert row["skip"] is not None or row["url"].startswith(("http://", "https://"))


@settings(max_examples=150, deadline=None)
@given(body=st.binary(max_size=2000), content_type=st.one_of(st.none(), st.text(max_size=40)))
def test_extractor_never_raises_on_bytes(body: bytes, content_type: str | None) -> None:
    extract_page(body, "http://h.example/", content_type, want_links=True)


@settings(max_examples=150, deadline=None)
@given(payload=st.one_of(st.binary(max_size=500), st.text(max_size=300).map(lambda t: ('{"IMG@/src": ' + t).encode())))
def test_wat_reader_never_raises(payload: bytes) -> None:
    wat_image_rows(payload, "http://h.example/")


def _valid_warc() -> bytes:
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    for i in range(3):
        writer.write_record(html_response(writer, f"http://h.example/{i}", b"<img src=/a.png alt=x>"))
    return buf.getvalue()


VALID = _valid_warc()


@st.composite
def damaged_warc(draw) -> bytes:
    """A valid gzipped WARC with bytes cut, flipped or inserted somewhere; or plain random bytes."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=3000))
    data = bytearray(VALID)
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["cut", "flip", "insert"]))
        if action == "cut":
            del data[pos : pos + draw(st.integers(1, 200))]
        elif action == "flip" and pos < len(data):
            data[pos] ^= draw(st.integers(1, 255))
        else:
            data[pos:pos] = draw(st.binary(min_size=1, max_size=50))
    return bytes(data)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=damaged_warc())
def test_warc_reader_and_task_never_raise(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.warc.gz"
        path.write_bytes(data)
        items = list(read_warc(str(path), lambda *_: "any", 10_000))
        assert all(isinstance(i, WarcRecord | WarcProblem) for i in items)
        chunks = list(WarcFileTask("00000", str(path), WarcOptions()).run())
        (counters,) = chunks[-1].counters
        assert counters.rows_in == counters.kept + counters.rejected_total


URL_PIECES = st.sampled_from(
    ["/", "//", ".", "..", "./", "?", "#", ";", ":", "a", "b.png", "%2e", "[", "@", "x:y", "?q=1"]
)
BASES = st.sampled_from(
    [
        "http://h.example",
        "http://h.example/",
        "https://h.example/a/b.html",
        "http://h.example/a//b/c",
        "http://u@h:8/x/?q",
    ]
)


@settings(max_examples=400, deadline=None)
@given(base=BASES, value=st.lists(URL_PIECES, min_size=1, max_size=6).map("".join))
def test_fast_url_resolution_agrees_with_the_general_join(base: str, value: str) -> None:
    """``resolve`` (fast path or not) is ``join_url``, which is ``urljoin`` wherever no empty segment is involved."""
    try:
        expected = join_url(base, value)
    except ValueError:
        expected = None
    if expected is not None and "//" not in urlsplit(base).path and "//" not in value:
        assert expected == urljoin(base, value)
    url, reason = resolve(base, value)
    if expected is None:
        assert reason == "malformed_url"
    elif expected.startswith(("http://", "https://")) and not value.lstrip().lower().startswith("data:"):
        assert url == expected
