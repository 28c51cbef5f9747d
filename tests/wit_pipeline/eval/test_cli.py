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
    (flat / "a.png").unlink()
    (flat / "notes.txt").write_text("not data")
    assert_one_line_error(wit("eval", run, "--data", str(flat)), "neither layout (expected an image folder")


@pytest.mark.slow
def test_a_suite_of_sets_in_one_run_prints_one_table(tmp_path: Path) -> None:
    """Two CLIP_benchmark sets (classification, retrieval) and an image folder: one process, one table."""
    from tests.wit_pipeline.eval.helpers import colour_bytes, write_benchmark_set, write_image_folder
    from tests.wit_pipeline.eval.test_runner import make_untrained_run

    run = make_untrained_run(tmp_path / "run")
    colours = ["red", "green", "blue", "yellow"]
    samples = [{"png": colour_bytes(c), "cls": i} for i, c in enumerate(colours) for _ in range(8)]
    classify = write_benchmark_set(tmp_path / "wds_colours", samples, colours, ["a photo of a {c}."], per_shard=10)
    pairs = [{"webp": colour_bytes(c, "webp"), "txt": f"a {c} square\na {c} thing"} for c in colours]
    retrieve = write_benchmark_set(tmp_path / "wds_pairs", pairs, kind="retrieval")
    folder = write_image_folder(tmp_path / "folder", per_class=3, classes=["red_circle", "blue_square"])
    args = ["--data", str(classify), "--data", str(retrieve), "--data", f"file://{folder}", "--quiet"]
    result = wit("eval", str(run), *args, "--workers", "0", "--task", "all")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["task", "metric", "value"]
    assert {line.split()[0] for line in lines[1:-1]} == {
        "wds/colours/zeroshot",
        "wds/colours/linear-probe",
        "wds/pairs/retrieval",
        "folder/zeroshot",
        "folder/linear-probe",
    }
    assert lines[-1].startswith("wit eval: ") and "on wds/colours, wds/pairs, folder in" in lines[-1]
    record = json.loads((run / "eval.json").read_text())
    assert [d["name"] for d in record["datasets"]] == ["wds/colours", "wds/pairs", "folder"]
    assert record["datasets"][0]["templates"] == "wds/colours templates"
    assert record["results"]["wds/colours/zeroshot"]["templates"] == 1
    written = sorted(Path(p).name for p in record["clip_benchmark"])
    assert written == [
        "folder_linear_probe.json",
        "folder_zeroshot_classification.json",
        "wds_colours_linear_probe.json",
        "wds_colours_zeroshot_classification.json",
        "wds_pairs_zeroshot_retrieval.json",
    ]
    retrieval = json.loads((run / "eval_clip_benchmark" / "wds_pairs_zeroshot_retrieval.json").read_text())
    report = record["results"]["wds/pairs/retrieval"]
    assert retrieval["metrics"]["image_retrieval_recall@1"] == report["text_to_image_recall@1"]
    assert retrieval["metrics"]["text_retrieval_recall@5"] == report["image_to_text_recall@5"]
    assert retrieval["model"] == str(run) and retrieval["task"] == "zeroshot_retrieval"
