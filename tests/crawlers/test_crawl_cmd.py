"""The real ``wit crawl`` entry point in a subprocess: success, summaries, user errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.crawlers.conftest import read_parts
from tests.crawlers.mini_site import MiniSite
from tests.crawlers.warc_factory import html_response, wat_document, wat_metadata, write_warc
from wit_pipeline.cli.main import main


def wit(*args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "wit_pipeline.cli.main", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def test_crawl_warc_command(tmp_path: Path) -> None:
    warc = tmp_path / "pages.warc.gz"
    write_warc(warc, [lambda w: html_response(w, "http://a.example/p", b"<img src='i.png' alt='an image'>")])
    wat = tmp_path / "links.wat.gz"
    doc = wat_document("http://b.example/q", [{"path": "IMG@/src", "url": "/j.png", "alt": "wat caption"}])
    write_warc(wat, [lambda w: wat_metadata(w, "http://b.example/q", doc)])
    result = wit("crawl", "warc", str(warc), str(wat), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "wit crawl warc: 2 rows" in result.stdout
    assert "pages.warc.gz: 1 records; 1 html pages" in result.stdout
    kept = read_parts(tmp_path / "out")
    assert sorted(kept["url"].to_pylist()) == ["http://a.example/i.png", "http://b.example/j.png"]
    assert (tmp_path / "out" / "_config.toml").exists()
    assert len(json.loads((tmp_path / "out" / "_files.json").read_text())) == 2


def test_crawl_html_command(tmp_path: Path, mini_site: MiniSite) -> None:
    result = wit(
        "crawl", "html", mini_site.url + "a", "--out", str(tmp_path / "ok"), "--allow-private-network",
        "--max-depth", "0", "--contact", "tests@example.org", "--delay", "0", "--workers", "1", "--quiet",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "pages fetched: 1; outcomes: ok=1" in result.stdout and "wit crawl html: 1 rows" in result.stdout
    assert read_parts(tmp_path / "ok")["caption"].to_pylist() == ["picture A"]


def test_local_site_is_refused_without_the_flag(tmp_path: Path, mini_site: MiniSite, capsys) -> None:
    args = ["crawl", "html", mini_site.url, "--out", str(tmp_path / "out"), "--contact", "c@example.org"]
    assert main([*args, "--workers", "1", "--quiet"]) == 0
    assert "address_loopback=1" in capsys.readouterr().out
    assert mini_site.requests == []


def test_user_error_in_a_subprocess_is_one_line(tmp_path: Path) -> None:
    result = wit("crawl", "warc", str(tmp_path / "nope.warc.gz"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"wit: error: {tmp_path / 'nope.warc.gz'}: no such file or directory"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["warc"], "no input files"),
        (["html", "ftp://x.example/", "--contact", "c@example.org"], "not an absolute http(s) URL"),
        (["html", "http://x.example/"], "--contact"),
        (["html", "http://x.example/", "--contact", "c", "--allow-network", "bad"], "allow_networks"),
        (["html", "http://x.example/", "--contact", "c", "--max-pages", "0"], "max_pages"),
    ],
)
def test_user_errors(tmp_path: Path, capsys, args: list[str], message: str) -> None:
    assert main(["crawl", *args, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
