"""Evaluation during training, and a briefly trained model beating chance by a wide margin."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.wit_pipeline.eval.conftest import EVAL_EVERY, TRAIN_STEPS, TrainedRun
from tests.wit_pipeline.eval.helpers import (
    SHAPE_CLASSES,
    assert_one_line_error,
    jpeg_bytes,
    shape_image,
    wit,
    write_caption_shards,
    write_micro_model,
)
from tests.wit_pipeline.train.helpers import write_shards
from wit_pipeline.config import BuildConfig
from wit_pipeline.eval import evaluate
from wit_pipeline.model.run_dir import read_metrics
from wit_pipeline.train.launch import run_training

CHANCE = 1 / len(SHAPE_CLASSES)


@pytest.mark.slow
def test_short_training_beats_chance_by_a_wide_margin(trained_run: TrainedRun) -> None:
    record = evaluate(trained_run.run, trained_run.folder, workers=0)
    zeroshot, probe = record["results"]["zeroshot"], record["results"]["linear-probe"]
    assert zeroshot["classes"] == 8 and zeroshot["samples"] == 40
    assert zeroshot["acc1"] >= 3 * CHANCE, zeroshot
    assert zeroshot["mean_per_class_recall"] >= 3 * CHANCE and zeroshot["acc5"] > 5 / 8
    assert probe["test_acc1"] >= 4 * CHANCE, probe


@pytest.mark.slow
def test_training_logs_zero_shot_every_n_steps_and_at_the_end(trained_run: TrainedRun) -> None:
    records = read_metrics(trained_run.run / "metrics.jsonl")
    evals = [r for r in records if "eval/zeroshot/acc1" in r]
    assert [r["step"] for r in evals] == list(range(EVAL_EVERY, TRAIN_STEPS + 1, EVAL_EVERY))
    assert all({"eval/zeroshot/acc5", "eval/zeroshot/mean_per_class_recall", "eval_seconds"} <= set(r) for r in evals)
    assert [r["step"] for r in records if "loss" in r] == list(range(EVAL_EVERY, TRAIN_STEPS + 1, EVAL_EVERY))
    final = evaluate(trained_run.run, trained_run.folder, task="zeroshot", out=trained_run.run / "z.json", workers=0)
    assert evals[-1]["eval/zeroshot/acc1"] == final["results"]["zeroshot"]["acc1"]  # same weights, same number


def test_retrieval_during_training_on_a_shard_directory(tmp_path: Path) -> None:
    pairs = [
        {"jpg": jpeg_bytes(shape_image(c, s, i)), "txt": f"a {c} {s}"}
        for i, (c, s) in enumerate(
            [("red", "circle"), ("blue", "square"), ("green", "circle"), ("yellow", "square")] * 3
        )
    ]
    config = BuildConfig()
    config.train.data = str(write_shards(tmp_path / "train", [24]))
    config.train.model = str(write_micro_model(tmp_path / "micro.json"))
    config.train.samples, config.train.batch_size, config.train.device = 32, 8, "cpu"
    config.train.loader_workers, config.train.log_every, config.train.vocab_size = 0, 1, 600
    config.eval.data, config.eval.every = str(write_caption_shards(tmp_path / "eval", pairs)), 3
    run_training(config, tmp_path / "run", progress=False)
    evals = [r for r in read_metrics(tmp_path / "run" / "metrics.jsonl") if "eval/retrieval/images" in r]
    assert [r["step"] for r in evals] == [3, 4]
    assert evals[0]["eval/retrieval/images"] == 12 and evals[0]["eval/retrieval/texts"] == 12
    assert 0.0 <= evals[-1]["eval/retrieval/text_to_image_recall@10"] <= 1.0


def test_wrong_eval_data_stops_wit_train_before_it_starts(tmp_path: Path) -> None:
    shards = write_shards(tmp_path / "shards", [8])
    (tmp_path / "flat").mkdir()
    shape_image("red", "circle", 0).save(tmp_path / "flat" / "a.png")
    run = tmp_path / "run"
    result = wit("train", "--data", str(shards), "--out", str(run), "--eval-data", str(tmp_path / "flat"), "--quiet")
    assert_one_line_error(result, "1 image(s) but no class folders")
    assert not run.exists()
