"""Reading damaged WARC files: each damage is one counted problem, reading goes on after it."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from crawlers.warc_reader import WarcProblem, WarcRecord, read_warc
from tests.crawlers.warc_factory import html_response, write_warc

BODY = b"<html><body><img src='/i.png' alt='pic'></body></html>"


def pages(n: int) -> list:
    return [lambda w, i=i: html_response(w, f"http://ex.example/{i}", BODY) for i in range(n)]


def read_all(path: Path, max_bytes: int = 1 << 20) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for item in read_warc(str(path), lambda *_: "any", max_bytes):
        if isinstance(item, WarcProblem):
            out.append(("problem", item.reason))
        else:
            assert isinstance(item, WarcRecord)
            out.append((item.rec_type, item.target_uri))
    return out


@pytest.mark.parametrize("gzipped", [True, False])
def test_clean_file_reads_every_record(tmp_path: Path, gzipped: bool) -> None:
    path = tmp_path / "a.warc"
    write_warc(path, pages(3), gzip=gzipped)
    items = list(read_warc(str(path), lambda *_: "any", 1 << 20))
    assert [i.target_uri for i in items] == [f"http://ex.example/{i}" for i in range(3)]
    assert items[0].payload == BODY and items[0].http_status == 200
    assert items[0].http_header("content-type") == "text/html; charset=utf-8"


def test_truncated_last_gzip_member(tmp_path: Path) -> None:
    path = tmp_path / "t.warc.gz"
    write_warc(path, pages(3))
    path.write_bytes(path.read_bytes()[:-25])
    assert read_all(path) == [
        ("response", "http://ex.example/0"),
        ("response", "http://ex.example/1"),
        ("problem", "truncated_record"),
    ]


def test_corrupt_member_in_the_middle_is_skipped_and_reading_resumes(tmp_path: Path) -> None:
    path = tmp_path / "m.warc.gz"
    offsets = write_warc(path, pages(4))
    data = path.read_bytes()
    path.write_bytes(data[: offsets[1] + 40] + data[offsets[2] :])  # member 1 cut short
    items = read_all(path)
    assert items[0] == ("response", "http://ex.example/0")
    assert items[1][0] == "problem"
    assert items[2:] == [("response", "http://ex.example/2"), ("response", "http://ex.example/3")]


def test_garbage_and_malformed_headers_in_uncompressed_file(tmp_path: Path) -> None:
    path = tmp_path / "g.warc"
    offsets = write_warc(path, pages(3), gzip=False)
    data = path.read_bytes()
    path.write_bytes(data[: offsets[1]] + b"this is not a warc record\r\n\r\n" + data[offsets[1] :])
    assert read_all(path) == [
        ("response", "http://ex.example/0"),
        ("problem", "malformed_warc_header"),
        ("response", "http://ex.example/1"),
        ("response", "http://ex.example/2"),
    ]


@pytest.mark.parametrize(
    "content", [b"", b"\x00\x01garbage" * 50, gzip.compress(b"hello, not a warc"), b"WARC/1.0\r\nbroken"]
)
def test_files_that_are_not_warc_give_problems_not_exceptions(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.warc"
    path.write_bytes(content)
    assert all(kind == "problem" for kind, _ in read_all(path))


def test_oversized_payload_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "big.warc.gz"
    write_warc(path, [lambda w: html_response(w, "http://ex.example/big", b"<p>" + b"x" * 50_000)] + pages(1))
    items = list(read_warc(str(path), lambda *_: "any", 10_000))
    assert items[0].too_large and items[0].payload is None
    assert items[1].payload == BODY


def test_damage_that_confuses_warcio_offsets_still_advances() -> None:
    # Found by the property test: warcio reported a negative offset inside this damaged member.
    path = Path(__file__).parent / "data" / "negative_offset.warc.gz"
    items = read_all(path)
    assert ("problem", "malformed_warc_header") in items
    assert items.count(("response", "http://h.example/2")) == 1
