"""``wit report`` through the real entry point in a subprocess: default and explicit output, one-line errors."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wit_pipeline.cli.main import main


def wit(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wit_pipeline.cli.main", *map(str, args)], capture_output=True, text=True, timeout=180
    )


def test_report_writes_dir_report_html_and_says_where(demo_tree: Path, tmp_path: Path) -> None:
    tree = tmp_path / "demo"
    shutil.copytree(demo_tree, tree)
    result = wit("report", tree)
    assert result.returncode == 0, result.stderr
    assert (tree / "report.html").exists()
    assert f"wit report: wrote {tree / 'report.html'}" in result.stdout
    assert "demo directory" in result.stdout and "sections without data: none" in result.stdout


def test_report_out_file_and_a_run_directory(demo_tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "pages" / "run.html"
    result = wit("report", demo_tree / "run", "--out", out, "--samples", "2")
    assert result.returncode == 0, result.stderr
    assert out.exists() and not (demo_tree / "run" / "report.html").exists()
    assert "sections without data: caption-lengths, evaluation, funnel" in result.stdout


def test_bad_input_is_a_one_line_error(tmp_path: Path) -> None:
    result = wit("report", tmp_path / "missing")
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("wit: error:")]
    assert len(errors) == 1 and "no such directory" in errors[0] and "Traceback" not in result.stderr


def test_more_bad_input_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip().startswith("wit: error:") and not (tmp_path / "report.html").exists()
    with pytest.raises(SystemExit) as exit_info:
        main(["report", str(tmp_path), "--samples", "0"])
    assert exit_info.value.code == 2 and "must be at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["report", "s3://bucket/run", "--out", "x.html"])
    assert "local paths only" in capsys.readouterr().err
