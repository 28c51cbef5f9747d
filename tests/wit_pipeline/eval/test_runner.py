"""``evaluate``: layouts and tasks checked before loading, eval.json beside a run, checkpoint or weights file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from loaders import Tokenizer
from tests.wit_pipeline.eval.helpers import (
    MICRO_MODEL,
    jpeg_bytes,
    shape_image,
    write_caption_shards,
    write_image_folder,
)
from wit_pipeline.errors import WitError
from wit_pipeline.eval.eval_data import detect_layout
from wit_pipeline.eval.runner import evaluate, select_tasks
from wit_pipeline.model import CLIP, ModelConfig, run_dir
from wit_pipeline.model.weights import save_weights


@pytest.fixture(scope="module")
def untrained_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_untrained_run(tmp_path_factory.mktemp("run"))


def make_untrained_run(run: Path) -> Path:
    """A run directory with random weights: model config, tokenizer and ``model.safetensors``."""
    run.mkdir(parents=True, exist_ok=True)
    tokenizer = Tokenizer.train(["a red circle", "a blue square", "a photo of a green circle"] * 3, vocab_size=600)
    tokenizer.save(run / run_dir.TOKENIZER)
    config = ModelConfig.from_dict(MICRO_MODEL)
    config.text.vocab_size, config.text.context_length = tokenizer.vocab_size, tokenizer.context_length
    (run / run_dir.MODEL_CONFIG).write_text(json.dumps(config.to_dict()))
    torch.manual_seed(0)
    save_weights(CLIP(config), run / run_dir.WEIGHTS)
    return run


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("data")
    folder = write_image_folder(root / "folder", per_class=3, classes=["red_circle", "blue_square", "green_circle"])
    pairs = [
        {"jpg": jpeg_bytes(shape_image(c, s, i)), "txt": f"a {c} {s}\na photo of a {c} {s}"}
        for i, (c, s) in enumerate([("red", "circle"), ("blue", "square"), ("green", "circle")] * 2)
    ]
    return {"folder": folder, "shards": write_caption_shards(root / "shards", pairs)}


def test_layout_is_recognised_or_a_clear_error(tmp_path: Path, data: dict[str, Path]) -> None:
    assert detect_layout(data["shards"]) == "shards"
    assert detect_layout(data["folder"]) == "image_folder"
    (tmp_path / "00000.tar").write_bytes(b"")
    with pytest.raises(WitError, match=r"\.tar shards but no sizes\.json"):
        detect_layout(tmp_path)
    with pytest.raises(WitError, match="not a directory"):
        detect_layout(tmp_path / "00000.tar")


def test_tasks_follow_the_layout() -> None:
    assert select_tasks("all", "classification", "d") == ["zeroshot", "linear-probe"]
    assert select_tasks("all", "retrieval", "d") == ["retrieval"]
    assert select_tasks("linear-probe", "classification", "d") == ["linear-probe"]
    with pytest.raises(WitError, match="--task zeroshot needs a classification set"):
        select_tasks("zeroshot", "retrieval", "d")
    with pytest.raises(WitError, match="unknown task"):
        select_tasks("captioning", "retrieval", "d")


def test_eval_json_in_the_run_directory(untrained_run: Path, data: dict[str, Path]) -> None:
    record = evaluate(untrained_run, data["folder"], templates="clip", workers=0)
    assert record["out"] == str(untrained_run / "eval.json")
    written = json.loads((untrained_run / "eval.json").read_text())
    assert written["tasks"] == ["zeroshot", "linear-probe"] and written["templates"] == "clip"
    zeroshot = written["results"]["zeroshot"]
    assert zeroshot["classes"] == 3 and zeroshot["samples"] == 9 and zeroshot["templates"] == 1
    assert len(zeroshot["confusion_matrix"]["rows_true_columns_predicted"]) == 3
    assert written["results"]["linear-probe"]["test_size"] == 3


def test_weights_file_and_explicit_out(untrained_run: Path, data: dict[str, Path], tmp_path: Path) -> None:
    weights = untrained_run / run_dir.WEIGHTS
    record = evaluate(weights, data["shards"], task="retrieval", batch_size=4, out=tmp_path / "r" / "e.json")
    assert record["out"] == str(tmp_path / "r" / "e.json") and record["templates"] is None
    retrieval = json.loads((tmp_path / "r" / "e.json").read_text())["results"]["retrieval"]
    assert retrieval["images"] == 6 and retrieval["texts"] == 12 and retrieval["skipped"] == {}
    assert retrieval["image_to_text_recall@10"] == 1.0  # 12 captions: any image's best is within 10


def test_bad_input_fails_before_the_model_is_loaded(tmp_path: Path, data: dict[str, Path]) -> None:
    missing_run = tmp_path / "no-run"
    with pytest.raises(WitError, match="no such directory"):
        evaluate(missing_run, tmp_path / "nowhere")
    with pytest.raises(WitError, match="--task retrieval needs a retrieval set"):
        evaluate(missing_run, data["folder"], task="retrieval")
    with pytest.raises(WitError, match="neither a template set"):
        evaluate(missing_run, data["folder"], templates=str(tmp_path / "none.txt"))
    with pytest.raises(WitError, match="no such run directory"):
        evaluate(missing_run, data["folder"])
    with pytest.raises(WitError, match="^eval settings: 'eval.batch_size' must be at least 1, got 0$"):
        evaluate(missing_run, data["folder"], batch_size=0)
    with pytest.raises(WitError, match="^eval settings: 'eval.workers' must be at least 0, got -1$"):
        evaluate(missing_run, data["folder"], workers=-1)
    with pytest.raises(WitError, match="^eval settings: 'eval.device' must be a device"):
        evaluate(missing_run, data["folder"], device="gpu")
    with pytest.raises(WitError, match="^eval settings: 'eval.task' must be one of"):
        evaluate(missing_run, data["folder"], task="zero-shot")


def test_several_sets_load_the_model_once(
    untrained_run: Path, data: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wit_pipeline.eval import runner

    loads = []
    real = runner.load_run
    monkeypatch.setattr(runner, "load_run", lambda *a, **k: loads.append(a) or real(*a, **k))
    record = evaluate(untrained_run, [data["folder"], data["shards"]], task="all", out=tmp_path / "e.json", workers=0)
    assert len(loads) == 1
    assert set(record["results"]) == {"folder/zeroshot", "folder/linear-probe", "shards/retrieval"}
    single = evaluate(untrained_run, data["shards"], out=tmp_path / "one.json", workers=0)
    assert single["results"]["retrieval"] == record["results"]["shards/retrieval"]


def test_pretrained_weights_files_in_one_folder_get_results_of_their_own(untrained_run: Path, tmp_path: Path) -> None:
    from wit_pipeline.eval.runner import default_output

    models = tmp_path / "models"
    models.mkdir()
    for name in ("ViT-B-32.pt", "RN50.safetensors"):
        (models / name).write_bytes(b"weights")
    assert default_output(models / "ViT-B-32.pt") == models / "ViT-B-32.eval.json"
    assert default_output(models / "RN50.safetensors") == models / "RN50.eval.json"
    assert default_output(untrained_run / run_dir.WEIGHTS) == untrained_run / "eval.json"  # a run's own weights
    assert default_output(untrained_run) == untrained_run / "eval.json"
