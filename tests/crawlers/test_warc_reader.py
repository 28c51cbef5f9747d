"""Reading damaged WARC files: each damage is one counted problem, reading goes on after it."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest

from crawlers.warc_reader import WarcProblem, WarcRecord, read_warc
from tests.crawlers.warc_factory import html_response, write_warc

BODY = b"<html><body><img src='/i.png' alt='pic'></body></html>"


def pages(n: int) -> list:
    return [lambda w, i=i: html_response(w, f"http://ex.example/{i}", BODY) for i in range(n)]


def responses(*indices: int) -> list[tuple[str, str]]:
    """What ``read_all`` gives for the pages written by ``pages`` at these indices."""
    return [("response", f"http://ex.example/{i}") for i in indices]


def insert(path: Path, at: int, junk: bytes) -> None:
    """Put ``junk`` into the file at byte ``at``."""
    data = path.read_bytes()
    path.write_bytes(data[:at] + junk + data[at:])


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
    assert read_all(path) == responses(0, 1) + [("problem", "truncated_record")]


def test_corrupt_member_in_the_middle_is_skipped_and_reading_resumes(tmp_path: Path) -> None:
    path = tmp_path / "m.warc.gz"
    offsets = write_warc(path, pages(4))
    data = path.read_bytes()
    path.write_bytes(data[: offsets[1] + 40] + data[offsets[2] :])  # member 1 cut short
    items = read_all(path)
    assert items[:1] == responses(0) and items[1][0] == "problem" and items[2:] == responses(2, 3)


@pytest.mark.parametrize(
    ("gzipped", "junk", "reason"),
    [
        (False, b"this is not a warc record\r\n\r\n", "malformed_warc_header"),
        (True, b"not a gzip member", "corrupt_gzip"),
    ],
    ids=["uncompressed_file", "between_gzip_members"],
)
def test_garbage_before_a_record_is_one_problem(tmp_path: Path, gzipped: bool, junk: bytes, reason: str) -> None:
    path = tmp_path / ("g.warc.gz" if gzipped else "g.warc")
    offsets = write_warc(path, pages(3), gzip=gzipped)
    insert(path, offsets[1], junk)
    assert read_all(path) == responses(0) + [("problem", reason)] + responses(1, 2)


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


def test_a_damaged_member_that_inflates_past_its_end_still_advances() -> None:
    # Found by the property test: member 0 is damaged so that decompressing it runs on to the end of the file.
    path = Path(__file__).parent / "data" / "negative_offset.warc.gz"
    items = read_all(path)
    assert ("problem", "malformed_warc_header") in items
    assert items.count(("response", "http://h.example/2")) == 1


def test_adjacent_damaged_members_are_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "adjacent.warc.gz"
    offsets = write_warc(path, pages(5))
    data = bytearray(path.read_bytes())
    for member in (1, 2):
        middle = (offsets[member] + offsets[member + 1]) // 2
        data[middle : middle + 2] = bytes(b ^ 0xFF for b in data[middle : middle + 2])
    path.write_bytes(bytes(data))
    assert read_all(path) == responses(0) + [("problem", "corrupt_gzip")] + responses(3, 4)


def test_resync_skips_warc_text_inside_the_last_good_payload(tmp_path: Path) -> None:
    inner = b"WARC/1.0\r\nWARC-Type: resource\r\nWARC-Target-URI: http://fake.example/\r\nContent-Length: 0\r\n\r\n"
    path = tmp_path / "nested.warc"
    records = [lambda w: html_response(w, "http://ex.example/0", b"<pre>\n" + inner + b"</pre>")]
    offsets = write_warc(path, records + pages(3)[1:], gzip=False)
    insert(path, offsets[1], b"junk\r\n")
    assert read_all(path) == responses(0) + [("problem", "malformed_warc_header")] + responses(1, 2)


@pytest.mark.parametrize(("keep", "reason"), [(400, "truncated_record"), (40, "malformed_warc_header")])
def test_uncompressed_file_cut_in_a_record(tmp_path: Path, keep: int, reason: str) -> None:
    path = tmp_path / "cut.warc"
    offsets = write_warc(path, pages(2), gzip=False)
    path.write_bytes(path.read_bytes()[: offsets[1] + keep])  # in the payload, or in the WARC header
    assert read_all(path) == responses(0) + [("problem", reason)]


def test_record_without_warc_type_is_a_problem_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "untyped.warc"
    offsets = write_warc(path, pages(2), gzip=False)
    insert(path, offsets[1], b"WARC/1.0\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello\r\n\r\n")
    assert read_all(path) == responses(0) + [("problem", "malformed_warc_header")] + responses(1)


def test_http_headers_only_for_wanted_records_and_any_case(tmp_path: Path) -> None:
    path = tmp_path / "case.warc.gz"
    headers = [("content-type", "text/html"), ("x-robots-tag", "noai"), ("X-Robots-Tag", "nofollow")]
    write_warc(path, [lambda w: html_response(w, "http://ex.example/", BODY, headers)] * 2)
    seen: list[str | None] = []

    def wanted(rec_type: str, warc_type: str, http_type: str | None) -> str | None:
        seen.append(http_type)
        return "html" if len(seen) == 1 else None

    first, second = read_warc(str(path), wanted, 1 << 20)
    assert seen == ["text/html", "text/html"]
    assert first.http_header("Content-Type") == "text/html" and first.http_status == 200
    assert first.http_header_values("X-ROBOTS-TAG") == ["noai", "nofollow"]
    assert second.payload is None and second.http_headers == [] and second.http_status == 200


def test_a_huge_record_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "huge.warc"
    huge = b"<p>" * (22 << 20)  # 66 MB
    write_warc(path, [lambda w: html_response(w, "http://big.example/", huge)] + pages(1), gzip=False)
    script = (
        "import sys\n"
        "from crawlers.warc_reader import read_warc\n"
        "from tests.memory import peak_rss_mb\n"  # not ru_maxrss: it can hold the parent's peak
        "before = peak_rss_mb()\n"
        "items = [(i.too_large, i.payload is None) for i in read_warc(sys.argv[1], lambda *_: 'html', 1 << 20)]\n"
        "print(items, peak_rss_mb() - before)\n"
    )
    repo = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", script, str(path)], cwd=repo, capture_output=True, text=True, check=True
    )
    items, grown_mb = out.stdout.rsplit(" ", 1)
    assert items == "[(True, True), (False, False)]"
    assert int(grown_mb) < 16  # the 66 MB payload is never held
