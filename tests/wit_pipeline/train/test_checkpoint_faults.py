"""Training faults: killed mid-checkpoint-write, resume from the last complete one; corruption is caught."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from tests.wit_pipeline.train.helpers import SyntheticLoader
from tests.wit_pipeline.train.test_trainer import make_run, restore_determinism, trainer  # noqa: F401 - fixture
from wit_pipeline.errors import WitError
from wit_pipeline.model import load_run
from wit_pipeline.model.run_dir import CHECKSUMS, RunDir, read_metrics
from wit_pipeline.model.weights import verify_checkpoint
from wit_pipeline.train.checkpoint import read_state

REPO = Path(__file__).resolve().parents[3]
BATCHES = 6  # 2 epochs of 6 steps, a checkpoint every 2 steps


def train(path: str, resume: bool = False) -> None:
    """Train the run at ``path`` (new, or resumed from its latest checkpoint); the subprocess entry point."""
    torch.set_num_threads(1)
    run = RunDir(path) if resume else make_run(Path(path))
    trainer(run, SyntheticLoader(4, BATCHES), resume=run.latest_checkpoint() if resume else None).fit()


def train_killed_at(path: Path, point: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIT_FAULT")}
    code = f"from tests.wit_pipeline.train.test_checkpoint_faults import train; train({str(path)!r})"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env={**env, "WIT_FAULT": point}, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> tuple[list, dict]:
    run = tmp_path_factory.mktemp("full") / "run"
    train(str(run))
    return [(r["step"], r["loss"]) for r in read_metrics(RunDir(run).metrics)], load_file(RunDir(run).weights)


@pytest.mark.parametrize(
    ("phase", "latest_step"),
    [("weights", 4), ("written", 4), ("renamed", 4)],
    ids=["after-weights", "all-files-before-rename", "renamed-before-latest"],
)
def test_kill_mid_checkpoint_write_resumes_from_last_complete_one(
    tmp_path: Path, uninterrupted, phase: str, latest_step: int
) -> None:
    expected_metrics, expected_weights = uninterrupted
    path = tmp_path / "run"
    done = train_killed_at(path, f"checkpoint:6:{phase}")
    assert done.returncode == -signal.SIGKILL, done.stderr
    run = RunDir(path)
    latest = run.latest_checkpoint()
    assert latest is not None and read_state(latest)["step"] == latest_step
    leftovers = sorted(p.name for p in run.checkpoints.iterdir())
    if phase == "renamed":
        assert "step-0000006" in leftovers  # complete, but `latest` was never moved on to it
    else:
        assert "step-0000006" not in leftovers and any(".tmp-" in n for n in leftovers)
    train(str(path), resume=True)
    assert [(r["step"], r["loss"]) for r in read_metrics(run.metrics)] == expected_metrics
    weights = load_file(run.weights)
    assert all(torch.equal(weights[k], expected_weights[k]) for k in expected_weights)
    assert not any(".tmp-" in p.name for p in run.checkpoints.iterdir())


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("done") / "run"
    train(str(run))
    return run


@pytest.mark.parametrize("name", ["model.safetensors", "train_state.pt", "state.json", "tokenizer.json"])
def test_a_corrupted_checkpoint_is_a_clear_error_naming_the_file(finished_run: Path, name: str) -> None:
    latest = RunDir(finished_run).latest_checkpoint()
    target = latest / name
    original = target.read_bytes()
    damaged = bytearray(original)
    damaged[len(damaged) // 2] ^= 0x01  # one bit
    target.write_bytes(bytes(damaged))
    try:
        with pytest.raises(WitError, match=f"{target}: checksum mismatch, the checkpoint is corrupted") as caught:
            trainer(RunDir(finished_run), SyntheticLoader(4, BATCHES), resume=latest)
        assert "\n" not in str(caught.value)
        with pytest.raises(WitError, match="checksum mismatch"):
            load_run(latest)
    finally:
        target.write_bytes(original)
    verify_checkpoint(latest)  # intact again


def test_a_checkpoint_without_its_checksums_is_refused(finished_run: Path, tmp_path: Path) -> None:
    import shutil

    copy = Path(shutil.copytree(RunDir(finished_run).latest_checkpoint(), tmp_path / "step-0000012"))
    (copy / CHECKSUMS).unlink()
    with pytest.raises(WitError, match="not a complete wit checkpoint"):
        trainer(RunDir(finished_run), SyntheticLoader(4, BATCHES), resume=copy)
    (copy / "train_state.pt").unlink()
    shutil.copyfile(RunDir(finished_run).latest_checkpoint() / CHECKSUMS, copy / CHECKSUMS)
    with pytest.raises(WitError, match="train_state.pt: missing from the checkpoint"):
        trainer(RunDir(finished_run), SyntheticLoader(4, BATCHES), resume=copy)
