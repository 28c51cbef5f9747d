"""``wit eval`` through the real entry point: tables and eval.json, one-line errors for wrong data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.wit_pipeline.eval.conftest import TrainedRun
from tests.wit_pipeline.eval.helpers import assert_one_line_error, shape_image, wit


@pytest.mark.slow
def test_eval_on_an_image_folder_prints_a_table_and_writes_eval_json(trained_run: TrainedRun, tmp_path: Path) -> None:
    templates = tmp_path / "templates.txt"
    templates.write_text("a {}\na photo of a {}.\n", encoding="utf-8")
    args = ["--data", str(trained_run.folder), "--templates", str(templates), "--quiet", "--workers", "0"]
    result = wit("eval", str(trained_run.run), *args)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["task", "metric", "value"]
    assert any(line.startswith("zeroshot") and "acc@1" in line for line in lines)
    assert any(line.startswith("linear-probe") and "test acc@1" in line for line in lines)
    assert lines[-1].startswith("wit eval: zeroshot, linear-probe on ") and lines[-1].endswith("eval.json")
    record = json.loads((trained_run.run / "eval.json").read_text())
    assert record["templates"] == str(templates) and record["results"]["zeroshot"]["templates"] == 2
    assert f"{100 * record['results']['zeroshot']['acc1']:.2f}%" in result.stdout


@pytest.mark.slow
def test_eval_of_a_checkpoint_on_shards_is_retrieval(trained_run: TrainedRun, tmp_path: Path) -> None:
    checkpoint = trained_run.run / "checkpoints" / (trained_run.run / "checkpoints" / "latest").read_text().strip()
    out = tmp_path / "retrieval.json"
    result = wit("eval", str(checkpoint), "--data", str(trained_run.shards), "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    assert "image->text R@1 / R@5 / R@10" in result.stdout and "128 / 128" in result.stdout
    record = json.loads(out.read_text())
    assert record["tasks"] == ["retrieval"] and record["weights"].startswith(str(checkpoint))


def test_wrong_data_layouts_are_one_line_errors(tmp_path: Path) -> None:
    flat = tmp_path / "flat"
    flat.mkdir()
    shape_image("red", "circle", 0).save(flat / "a.png")
    run = str(tmp_path / "any-run")
    assert_one_line_error(wit("eval", run, "--data", str(flat)), "1 image(s) but no class folders")
    assert_one_line_error(wit("eval", run, "--data", str(flat / "a.png")), "not a directory")
    assert_one_line_error(wit("eval", run), "no evaluation data: give --data DIR")
