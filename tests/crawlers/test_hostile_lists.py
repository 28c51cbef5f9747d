"""Hostile URL lists: one enormous line is a clear error or a reject, in bounded time and memory.

The import runs in a child process that reports its own peak RSS, so the bound is measured on the
import alone. ``make test`` uses a 64 MiB line; ``make stress`` a 1 GiB one (written streaming).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MIB = 1 << 20
# The import child peaks at 110-150 MB (measured); a 64 MiB line held whole, as bytes and as text, would not fit.
MAX_RSS_MB = 250
IMPORT = """
import json, sys
from tests.memory import peak_rss_mb
from crawlers.url_list_import import ImportOptions, import_lists
from wit_pipeline.errors import WitError
try:
    stats = import_lists([sys.argv[1]], sys.argv[2], ImportOptions(rows_per_part=100), progress=False)
    result = {"funnel": stats["funnel"]}
except WitError as exc:
    result = {"error": str(exc)}
result["max_rss_mb"] = peak_rss_mb()
print(json.dumps(result))
"""


def write_long_line(path: Path, head: bytes, mib: int, tail: bytes = b"") -> None:
    """``head`` + ``mib`` MiB of letters (no newline) + ``tail``, written a MiB at a time."""
    block = b"a" * MIB
    with open(path, "wb") as fh:
        fh.write(head)
        for _ in range(mib):
            fh.write(block)
        fh.write(tail)


def run_import(src: Path, out: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT, str(src), str(out)], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def single_line_csv(tmp_path: Path, mib: int) -> None:
    src = tmp_path / "one-line.csv"
    write_long_line(src, b"url,caption\nhttp://x.example/a.jpg,", mib)
    started = time.monotonic()
    result = run_import(src, tmp_path / "out")
    assert time.monotonic() - started < 120
    message = "unreadable file (a row or header longer than 1 MiB; rows are read in blocks of that size)"
    assert result["error"] == f"{src}: {message}"
    assert result["max_rss_mb"] < MAX_RSS_MB, result  # the line itself is never held whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one-line.csv", "out"]  # nothing written elsewhere


def test_single_line_csv_of_64_mib_is_a_clear_error_in_bounded_memory(tmp_path: Path) -> None:
    single_line_csv(tmp_path, 64)


@pytest.mark.stress
def test_single_line_csv_of_1_gib_is_a_clear_error_in_bounded_memory(tmp_path: Path) -> None:
    single_line_csv(tmp_path, 1024)


def test_single_line_header_is_a_clear_error(tmp_path: Path) -> None:
    src = tmp_path / "header.csv"
    write_long_line(src, b"url,", 8)
    result = run_import(src, tmp_path / "out")
    assert result["error"] == f"{src}: no header row in its first MiB (expected a header row with column names)"


def test_enormous_jsonl_line_is_rejected_unread_and_the_rest_imported(tmp_path: Path) -> None:
    src = tmp_path / "list.jsonl"
    good = b'{"url": "http://x.example/b.jpg", "caption": "a good row"}\n'
    write_long_line(src, good + b'{"url": "http://x.example/a.jpg", "caption": "', 64, b'"}\n' + good)
    result = run_import(src, tmp_path / "out")
    assert result["max_rss_mb"] < MAX_RSS_MB, result
    (stage,) = result["funnel"]
    assert stage["rows_in"] == 3 and stage["kept"] == 2 and stage["rejected"] == {"line_too_long": 1}
