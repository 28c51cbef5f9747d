"""The real ``wit`` entry point in a subprocess: summaries, config files, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wit_pipeline.layout.manifest_dir import STATS_FILE


def wit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wit_pipeline.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=180,
    )


def assert_one_line_error(result: subprocess.CompletedProcess, fragment: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("wit: error:")]
    assert len(errors) == 1 and fragment in errors[0], result.stderr
    assert "Traceback" not in result.stderr


def test_help_for_every_command() -> None:
    top = wit("--help")
    assert top.returncode == 0
    for command in ("import", "inspect", "demo"):
        assert command in top.stdout
        sub = wit(command, "--help")
        assert sub.returncode == 0 and "usage: wit " + command in sub.stdout


def test_import_mixed_file_keeps_good_rows_and_accounts_for_bad(tmp_path: Path) -> None:
    src = tmp_path / "urls.csv"
    src.write_text(
        "link,TEXT,extra\n"
        "http://a.com/1.jpg,a bird on a wire,x\n"
        "notaurl,bad url,y\n"
        "http://a.com/2.jpg,,z\n"
        "http://a.com/3.jpg,a dog in the snow,w\n"
    )
    out = tmp_path / "manifest"
    result = wit("import", str(src), "--out", str(out), "--url-col", "link", "--workers", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "2 rows in 1 part(s)" in result.stdout and "url_not_http=1" in result.stdout
    stats = json.loads((out / STATS_FILE).read_text())
    (stage,) = stats["funnel"]
    assert (stage["rows_in"], stage["kept"], stage["rejected_total"]) == (4, 2, 2)
    kept = pq.read_table(out / "part-00000.parquet")
    assert kept["extra"].to_pylist() == ["x", "w"]
    assert 'url_col = "link"' in (out / "_config.toml").read_text()
    inspect = wit("inspect", str(out))
    assert inspect.returncode == 0 and "rows: 2 in 1 part(s); rejects: 2" in inspect.stdout
    as_json = json.loads(wit("inspect", str(out), "--json").stdout)
    assert as_json["rejects_by_reason"] == {"import/url_not_http": 1, "import/empty_caption": 1}


def test_config_file_and_flags_override(tmp_path: Path) -> None:
    src = tmp_path / "urls.tsv"
    src.write_text("u\tc\nhttp://a.com/1.jpg\ta bird on a wire\n")
    cfg = tmp_path / "build.toml"
    cfg.write_text(f'[sources]\nlists = ["{src}"]\nurl_col = "u"\ncaption_col = "wrong"\n[runtime]\nworkers = 1\n')
    bad = wit("import", "--config", str(cfg), "--out", str(tmp_path / "o1"), "--quiet")
    assert_one_line_error(bad, "no column 'wrong' for --caption-col")
    good = wit("import", "--config", str(cfg), "--caption-col", "c", "--out", str(tmp_path / "o1"), "--quiet")
    assert good.returncode == 0, good.stderr
    assert 'caption_col = "c"' in (tmp_path / "o1" / "_config.toml").read_text()


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda d: d / "missing.csv", "no such file or directory"),
        (lambda d: (d / "a.xml").write_text("<x/>") and d / "a.xml", "unsupported file type '.xml'"),
        (lambda d: (d / "a.csv").write_text("foo,bar\n1,2\n") and d / "a.csv", "no url column"),
        (lambda d: truncated_parquet(d / "t.parquet"), "unreadable parquet file"),
    ],
    ids=["nonexistent", "unsupported", "no-url-column", "truncated-parquet"],
)
def test_bad_input_is_one_line_exit_2(tmp_path: Path, make, fragment: str) -> None:
    path = make(tmp_path)
    result = wit("import", str(path), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet")
    assert_one_line_error(result, fragment)
    assert str(path) in result.stderr


def test_bad_config_and_inspect_errors(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[sources]\nbogus = 1\n")
    assert_one_line_error(wit("import", "x.csv", "--config", str(cfg), "--out", str(tmp_path / "o")), "bogus")
    assert_one_line_error(wit("inspect", str(tmp_path / "nothing")), "no such manifest directory")


def truncated_parquet(path: Path) -> Path:
    pq.write_table(pa.table({"url": ["http://a.com/x.jpg"] * 50, "caption": ["words"] * 50}), path)
    path.write_bytes(path.read_bytes()[:-30])
    return path
