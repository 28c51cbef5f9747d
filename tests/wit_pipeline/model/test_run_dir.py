"""The run directory module against what training really writes: checkpoints, final weights, checksums."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.wit_pipeline.train.helpers import micro_config
from wit_pipeline.atomic_files import write_json
from wit_pipeline.errors import WitError
from wit_pipeline.model import run_dir
from wit_pipeline.model.device import resolve_device
from wit_pipeline.model.run_dir import RunDir, is_checkpoint, is_run_dir
from wit_pipeline.model.weights import resolve_weights, verify_checkpoint
from wit_pipeline.train.checkpoint import save_checkpoint, save_final_weights


def write_run(path: Path, steps: list[int]) -> RunDir:
    """A run as the trainer leaves it: model config, tokenizer, and a checkpoint at each of ``steps``."""
    run = RunDir(path)
    run.path.mkdir(parents=True)
    config = micro_config()
    write_json(run.model_config, config.to_dict())
    run.tokenizer.write_text("{}", encoding="utf-8")
    model = torch.nn.Linear(2, 2)
    for step in steps:
        save_checkpoint(run.checkpoints, step, model, config, run.tokenizer, {"rng": torch.zeros(1)}, {"step": step})
    return run


def test_a_written_run_is_read_through_its_names(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", [3, 7])
    latest = run.checkpoints / "step-0000007"
    assert run.checkpoint_names() == ["step-0000003", "step-0000007"]
    assert run.latest_checkpoint() == latest
    names = [run_dir.WEIGHTS, run_dir.TRAIN_STATE, run_dir.STATE, run_dir.MODEL_CONFIG, run_dir.TOKENIZER]
    assert sorted(p.name for p in latest.iterdir()) == sorted([*names, run_dir.CHECKSUMS])
    assert is_run_dir(run.path) and is_run_dir(latest)
    assert is_checkpoint(latest) and not is_checkpoint(run.path)
    assert resolve_weights(run.path) == (latest, latest / run_dir.WEIGHTS)  # unfinished: the newest checkpoint
    verify_checkpoint(latest)

    save_final_weights(torch.nn.Linear(2, 2), run.path)
    assert resolve_weights(run.path) == (run.path, run.weights)
    verify_checkpoint(run.path, "the run's final weights")
    run.weights.write_bytes(run.weights.read_bytes()[:-1])
    with pytest.raises(WitError, match="checksum mismatch"):
        verify_checkpoint(run.path, "the run's final weights")


def test_what_is_not_a_run(tmp_path: Path) -> None:
    assert not is_run_dir(tmp_path)
    (tmp_path / run_dir.METRICS).write_text("", encoding="utf-8")  # a run whose first step is still running
    assert is_run_dir(tmp_path)
    assert RunDir(tmp_path).checkpoint_names() == [] and RunDir(tmp_path).latest_checkpoint() is None


def test_latest_ignores_a_checkpoint_without_its_state(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", [5])
    (run.checkpoints / "step-0000005" / run_dir.STATE).unlink()
    assert run.latest_checkpoint() is None
    with pytest.raises(WitError, match="neither model.safetensors nor a checkpoint"):
        resolve_weights(run.path)


def test_the_layout_module_does_not_import_torch() -> None:
    code = "import sys, wit_pipeline.model.run_dir; sys.exit('torch' in sys.modules)"
    root = Path(__file__).resolve().parents[3]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0


def test_device_names() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(WitError, match="is not a device"):
        resolve_device("gpu0")
    if torch.cuda.is_available():
        assert resolve_device("auto").type == "cuda"
    else:
        assert resolve_device("auto") == torch.device("cpu")
        with pytest.raises(WitError, match="CUDA is not available"):
            resolve_device("cuda")
