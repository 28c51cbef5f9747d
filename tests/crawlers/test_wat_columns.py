"""WAT link rows built a batch at a time (``WatColumns``) are the rows ``wat_image_rows`` builds one by one."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from crawlers.warc_crawl import WarcFileTask, WarcOptions
from crawlers.wat_columns import WatColumns, collapse_spaces
from crawlers.wat_reader import wat_image_links, wat_image_rows
from tests.crawlers.warc_factory import html_response, wat_document, wat_metadata, write_warc

ROW_KEYS = ["url", "caption", "alt", "title", "skip"]
SPACED = st.lists(st.sampled_from(["a", "b c", " ", "  ", "\t", "\n", "\xa0", "\u3000", "\x1f", "\x85", "é"]))
SPACED = SPACED.map("".join)
TEXT = st.one_of(
    st.none(),
    st.text(max_size=15),
    st.sampled_from(["  two  words ", "a\u3000b", "x\x1fy", "\xa0", "", " ", "tab\there", "line\u2028break"]),
    st.integers(),
    st.lists(st.text(max_size=3), max_size=2),
)
URLS = st.one_of(
    TEXT,
    st.sampled_from(
        ["/a.png", "//cdn.example/b.png", "https://o.example/c.jpg", "d.jpg", "../e.jpg", "data:image/png;base64,A"]
    ),
    st.text(max_size=300).map(lambda s: " data:" + s),
)
LINK = st.fixed_dictionaries({"path": st.just("IMG@/src")}, optional={"url": URLS, "alt": TEXT, "title": TEXT})
PAGES = st.sampled_from(["https://news.example/a/b", "http://h.example", None, "mailto:x"])
HEAD_BASES = st.sampled_from([None, "", "https://static.example/s/", "//cdn.example/", "x/"])


def bulk_rows(records: list[tuple[str | None, str | None, list[dict]]]) -> tuple[list[dict], list[str]]:
    """Rows and page URLs of ``records`` (page, Head.Base, links) through ``WatColumns``."""
    columns = WatColumns()
    for i, (page, base, links) in enumerate(records):
        found = wat_image_links(json.dumps(wat_document(page or "", links, base=base)).encode(), page)
        if found.links:
            columns.add(found.links, found.base, page, ("file.wat", i))
    if not len(columns):
        return [], []
    table = columns.table(("input_file", "record_offset"))
    assert table["record_offset"].to_pylist() == sorted(table["record_offset"].to_pylist())
    return table.select(ROW_KEYS).to_pylist(), table["page_url"].to_pylist()


def one_by_one(records: list[tuple[str | None, str | None, list[dict]]]) -> tuple[list[dict], list[str]]:
    rows, pages = [], []
    for page, base, links in records:
        found = wat_image_rows(json.dumps(wat_document(page or "", links, base=base)).encode(), page)
        rows += found.rows
        pages += [page] * len(found.rows)
    return [{k: r[k] for k in ROW_KEYS} for r in rows], pages


@settings(max_examples=300, deadline=None)
@given(
    records=st.lists(
        st.tuples(PAGES, HEAD_BASES, st.lists(LINK)),
        max_size=5,
    )
)
def test_bulk_rows_agree_with_rows_built_one_by_one(records: list) -> None:
    assert bulk_rows(records) == one_by_one(records)


@settings(max_examples=500, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.text(max_size=20), SPACED), max_size=20))
def test_collapse_spaces_is_split_and_join(values: list[str | None]) -> None:
    expected = [None if v is None else " ".join(v.split()) for v in values]
    assert collapse_spaces(pa.array(values, pa.string())).to_pylist() == expected


def test_no_whitespace_above_ideographic_space() -> None:
    assert max(c for c in range(sys.maxunicode + 1) if chr(c).isspace()) == 0x3000


def test_a_record_with_every_kind_of_link() -> None:
    links = [
        {"path": "IMG@/src", "url": "/img/1.jpg", "alt": "  first\n picture "},
        {"path": "IMG@/src", "url": "//cdn.example/2.png", "title": "title only"},
        {"path": "IMG@/src", "url": "data:image/png;base64,AAAA", "alt": "inline"},
        {"path": "IMG@/src", "url": 7, "alt": ["x"], "title": " t  "},
        {"path": "IMG@/src", "url": "3.jpg", "alt": ""},
    ]
    rows, pages = bulk_rows([("https://news.example/story/1", None, links)])
    assert [(r["url"], r["caption"], r["skip"]) for r in rows] == [
        ("https://news.example/img/1.jpg", "first picture", None),
        ("https://cdn.example/2.png", "title only", None),
        ("data:image/png;base64,AAAA", "inline", "data_uri"),
        (None, "t", "no_src"),
        ("https://news.example/story/3.jpg", "", None),
    ]
    assert pages == ["https://news.example/story/1"] * 5


def test_task_chunks_from_wat_and_html_records_in_one_file(tmp_path: Path) -> None:
    page = "https://news.example/a/story"
    links = [
        {"path": "IMG@/src", "url": "/1.jpg", "alt": "one"},
        {"path": "A@/href", "url": "/elsewhere"},
        {"path": "IMG@/src", "url": "data:image/gif;base64,R0", "alt": "pixel"},
        {"path": "IMG@/src", "url": "2.jpg"},
        {"path": "IMG@/src", "url": "//cdn.example/3.jpg", "title": " three "},
    ]
    based = [{"path": "IMG@/src", "url": "4.jpg", "alt": "four"}]
    path = tmp_path / "mixed.warc.gz"
    offsets = write_warc(
        path,
        [
            lambda w: html_response(w, "http://h.example/", b"<img src='/h.png' alt='from html'>"),
            lambda w: wat_metadata(w, page, wat_document(page, links)),
            lambda w: wat_metadata(w, page, b'{"Envelope": '),
            lambda w: wat_metadata(w, "https://b.example/x", wat_document("", based, base="https://static.example/s/")),
        ],
    )
    chunks = list(WarcFileTask("00000", str(path), WarcOptions(rows_per_part=2)).run())
    kept = pa.concat_tables([c.kept for c in chunks], promote_options="permissive")
    assert sorted(zip(kept["url"].to_pylist(), kept["caption"].to_pylist(), kept["source"].to_pylist())) == [
        ("http://h.example/h.png", "from html", "warc"),
        ("https://cdn.example/3.jpg", "three", "wat"),
        ("https://news.example/1.jpg", "one", "wat"),
        ("https://static.example/s/4.jpg", "four", "wat"),
    ]
    rejects = pa.concat_tables([c.rejected for c in chunks if c.rejected is not None], promote_options="permissive")
    assert sorted(
        zip(rejects["url"].to_pylist(), rejects["reason"].to_pylist(), rejects["record_offset"].to_pylist())
    ) == [
        ("data:image/gif;base64,R0", "data_uri", offsets[1]),
        ("https://news.example/a/2.jpg", "missing_caption", offsets[1]),
    ]
    assert set(rejects["input_file"].to_pylist()) == {str(path)}
    counters = [c.counters[0] for c in chunks]
    assert sum(c.rows_in for c in counters) == sum(c.kept + c.rejected_total for c in counters) == 6
    extra = Counter()
    for c in counters:
        extra.update(c.extra)
    assert extra["images"] == 6 and extra["images_with_caption"] == 5
    assert extra["wat_records"] == 3 and extra["wat_records_with_images"] == 2
    assert extra["skipped_record_invalid_json"] == 1 and extra["html_pages"] == 1
