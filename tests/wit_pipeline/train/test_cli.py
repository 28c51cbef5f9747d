"""``wit train`` through the real entry point: a run on shards, kill and resume, one-line errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from loaders import Tokenizer, shard_captions
from tests.wit_pipeline.train.helpers import free_port, write_shards
from wit_pipeline.config import BuildConfig
from wit_pipeline.errors import WitError
from wit_pipeline.model import load_run
from wit_pipeline.model.run_dir import RunDir, read_metrics
from wit_pipeline.train.launch import resume_point, run_training

ENV = {**os.environ, "OMP_NUM_THREADS": "1"}
RESUME_ARGS = ["--epochs", "2", "--batch-size", "8", "--checkpoint-every", "3", "--log-every", "1", "--warmup", "2"]
RESUME_ARGS += ["--loader-workers", "2", "--deterministic", "--device", "cpu", "--quiet", "--seed", "5"]


def wit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wit_pipeline.cli.main", *args], capture_output=True, text=True, env=ENV, timeout=240
    )


def assert_one_line_error(result: subprocess.CompletedProcess, fragment: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("wit: error:") and fragment in lines[0], result.stderr


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """56 samples in two shards, with the shards' own tokenizer (as the download stage leaves them)."""
    root = write_shards(tmp_path_factory.mktemp("shards") / "shards", [30, 26])
    Tokenizer.train(list(shard_captions(root)) * 2, vocab_size=600).save(root / "tokenizer.json")
    return root


def test_train_writes_a_self_contained_run_that_load_run_reads(tmp_path: Path) -> None:
    data = write_shards(tmp_path / "no_tokenizer", [20])
    run = tmp_path / "run"
    args = ["--data", str(data), "--out", str(run), "--samples", "40", "--batch-size", "8", "--quiet"]
    result = wit("train", *args, "--lr", "1e-3", "--warmup", "1", "--loader-workers", "0", "--device", "cpu")
    assert result.returncode == 0, result.stderr
    assert "wit train: 5 steps, 36 samples" in result.stdout  # batches of 8, 8, 4 per epoch of 20
    assert not (data / "tokenizer.json").exists()
    for name in ("_config.toml", "model_config.json", "tokenizer.json", "metrics.jsonl", "model.safetensors"):
        assert (run / name).is_file(), name
    assert (run / "checkpoints" / "latest").read_text().strip() == "step-0000005"
    assert 'data = "' in (run / "_config.toml").read_text()
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == 5 and summary["samples"] == 36 and summary["device"] == "cpu"
    assert summary["compiled"] is False  # compiling is a CUDA default
    model, tokenizer, config = load_run(run)
    assert config.vision.image_size == 64 and config.text.vocab_size == tokenizer.vocab_size
    with torch.no_grad():
        features = model.encode_text(tokenizer(["a red square", "a blue circle"]))
    assert features.shape == (2, config.embed_dim)
    checkpoint_model, _, _ = load_run(run / "checkpoints" / "step-0000005")
    assert torch.equal(checkpoint_model.logit_scale, model.logit_scale)


def test_run_killed_mid_epoch_resumes_with_identical_losses(shards: Path, tmp_path: Path) -> None:
    full, killed = tmp_path / "full", tmp_path / "killed"
    result = wit("train", "--data", str(shards), "--out", str(full), *RESUME_ARGS)
    assert result.returncode == 0, result.stderr
    expected = [(r["step"], r["loss"]) for r in read_metrics(full / "metrics.jsonl")]
    assert [step for step, _ in expected] == list(range(1, 15))

    command = [sys.executable, "-m", "wit_pipeline.cli.main", "train", "--data", str(shards), "--out", str(killed)]
    proc = subprocess.Popen(command + RESUME_ARGS, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    latest = killed / "checkpoints" / "latest"
    deadline = time.monotonic() + 200
    while not (latest.exists() and latest.read_text().strip() >= "step-0000006"):
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    proc.stderr.close()
    assert not (killed / "model.safetensors").exists()

    resumed = wit("train", "--out", str(killed), "--resume", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert [(r["step"], r["loss"]) for r in read_metrics(killed / "metrics.jsonl")] == expected
    final_full, final_resumed = load_file(full / "model.safetensors"), load_file(killed / "model.safetensors")
    assert all(torch.equal(final_full[k], final_resumed[k]) for k in final_full)


def test_torchrun_trains_on_two_cpu_processes_and_records_both_positions(shards: Path, tmp_path: Path) -> None:
    run = tmp_path / "ddp"
    torchrun = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc-per-node",
        "2",
        "--master-port",
        str(free_port()),
    ]
    args = ["--data", str(shards), "--out", str(run), "--samples", "48", "--batch-size", "8", "--quiet"]
    args += ["--checkpoint-every", "2", "--loader-workers", "1", "--device", "cpu"]
    result = subprocess.run(
        [*torchrun, "-m", "wit_pipeline.cli.main", "train", *args], capture_output=True, text=True, env=ENV, timeout=240
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("wit train: 3 steps, 48 samples") == 1
    state = json.loads((run / "checkpoints" / "step-0000002" / "state.json").read_text())
    assert state["world_size"] == 2 and state["global_batch"] == 16 and state["samples"] == 32
    assert [position["batches"] for position in state["loader"]] == [2, 2]
    assert len(state["rng"]) == 2
    single = wit("train", "--out", str(run), "--resume", str(run / "checkpoints" / "step-0000002"), "--quiet")
    assert_one_line_error(single, "written by 2 process(es) with a global batch of 16; resume with the same")


def test_bad_data_is_a_one_line_error(tmp_path: Path) -> None:
    assert_one_line_error(wit("train", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "r")), "nope")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_line_error(wit("train", "--data", str(empty), "--out", str(tmp_path / "r")), "no .tar shards")
    assert not (tmp_path / "r").exists()


def test_shards_without_samples_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "sizes.json").write_text('{"00000.tar": 0}')
    (empty / "00000.tar").write_bytes(b"\0" * 1024)
    config = BuildConfig()
    config.train.data = str(empty)
    with pytest.raises(WitError, match="hold no samples"):
        run_training(config, tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_resume_points(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "run")
    assert resume_point(run, None) is None
    with pytest.raises(WitError, match="no run to resume"):
        resume_point(run, "latest")
    with pytest.raises(WitError, match="not a checkpoint directory"):
        resume_point(run, str(tmp_path / "elsewhere"))
    run.path.mkdir()
    run.weights.write_bytes(b"")
    with pytest.raises(WitError, match="already holds a training run: pass --resume"):
        resume_point(run, None)


@pytest.mark.parametrize("flags, expected", [([], None), (["--compile"], True), (["--no-compile"], False)])
def test_compile_flags(tmp_path: Path, flags: list[str], expected: bool | None) -> None:
    from wit_pipeline.cli.common import resolve_config
    from wit_pipeline.cli.main import build_parser

    args = build_parser().parse_args(["train", "--out", str(tmp_path / "run"), *flags])
    assert resolve_config(args).train.compile is expected
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--out", str(tmp_path / "run"), "--compile", "--no-compile"])


@pytest.mark.parametrize("choice", ["clip", "train", ""])
def test_tokenizer_choice_of_a_new_run(shards: Path, tmp_path: Path, choice: str) -> None:
    from wit_pipeline.cli.common import resolve_config
    from wit_pipeline.cli.main import build_parser
    from wit_pipeline.train.launch import prepare_run

    args = build_parser().parse_args(
        ["train", "--data", str(shards), "--out", str(tmp_path / "run"), "--tokenizer", choice]
    )
    config = resolve_config(args)
    assert config.train.tokenizer == choice
    config.train.vocab_size = 600
    run = RunDir(tmp_path / "run")
    prepare_run(run, config, str(shards), resuming=False)
    tok, model_config = Tokenizer.load(run.tokenizer), json.loads(run.model_config.read_text())
    assert model_config["text"]["vocab_size"] == tok.vocab_size
    if choice == "clip":
        assert tok.merges() == Tokenizer.clip().merges()
    elif choice == "train":
        assert tok.merges() == Tokenizer.train(shard_captions(shards), vocab_size=600).merges()
    else:
        assert run.tokenizer.read_bytes() == (shards / "tokenizer.json").read_bytes()
