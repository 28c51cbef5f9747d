"""--out checks of every command: never an input, never an existing file, locked while in use."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.wit_pipeline.runtime.test_out_lock import hold_in_child
from wit_pipeline.cli.main import main


def one_line_error(capsys: pytest.CaptureFixture, argv: list[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("wit: error: "), err
    return lines[0]


@pytest.fixture
def manifest(tmp_path: Path, capsys: pytest.CaptureFixture) -> Path:
    (tmp_path / "urls.csv").write_text("url,caption\nhttp://a.com/1.jpg,a red bicycle on a wall\n")
    assert main(["import", str(tmp_path / "urls.csv"), "--out", str(tmp_path / "m"), "--workers", "1", "--quiet"]) == 0
    capsys.readouterr()
    return tmp_path / "m"


def test_output_equal_to_or_overlapping_an_input_is_refused(
    manifest: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    before = {p: p.read_bytes() for p in manifest.rglob("*") if p.is_file()}
    line = one_line_error(capsys, ["download", str(manifest), "--out", str(manifest), "--workers", "1"])
    assert f"--out {manifest}: is also the input" in line
    line = one_line_error(capsys, ["filter", str(manifest), "--out", str(manifest / "sub"), "--workers", "1"])
    assert "overlaps it (the output lies inside it)" in line
    line = one_line_error(capsys, ["import", str(manifest / "part-00000.parquet"), "--out", str(tmp_path)])
    assert "overlaps it (inside the output)" in line
    assert {p: p.read_bytes() for p in manifest.rglob("*") if p.is_file()} == before  # nothing touched


def test_an_existing_file_as_output_directory_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "urls.csv").write_text("url,caption\nhttp://a.com/1.jpg,a red bicycle\n")
    (tmp_path / "taken").write_text("not a directory")
    line = one_line_error(capsys, ["import", str(tmp_path / "urls.csv"), "--out", str(tmp_path / "taken")])
    assert "is an existing file; wit import writes a directory there" in line


def test_resume_of_a_run_that_does_not_exist_says_so(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    line = one_line_error(capsys, ["train", "--out", str(tmp_path / "new"), "--resume"])
    assert "no run to resume" in line
    assert not (tmp_path / "new").exists()


def test_a_second_run_on_a_locked_output_names_the_holder(manifest: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "filtered"
    holder = hold_in_child(out)
    try:
        line = one_line_error(capsys, ["filter", str(manifest), "--out", str(out), "--workers", "1"])
    finally:
        holder.kill()
        holder.wait()
    assert f"{out}: in use by pid {holder.pid} on {socket.gethostname()} (wit holder), started " in line
