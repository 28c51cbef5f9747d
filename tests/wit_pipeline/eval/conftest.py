"""One torch thread per test (the suite shares two cores), and one short training run shared by the CLI tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.torch_threads import single_thread  # noqa: F401 - an autouse fixture, registered by the import
from tests.wit_pipeline.eval.helpers import wit, write_image_folder, write_micro_model
from tests.wit_pipeline.train.helpers import write_shards

TRAIN_STEPS, EVAL_EVERY = 75, 25


@dataclass(frozen=True)
class TrainedRun:
    """A run trained by ``wit train`` on shape shards, evaluated on ``folder`` during training."""

    run: Path
    shards: Path
    folder: Path


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory) -> TrainedRun:
    """75 CPU steps of a micro CLIP on 128 captioned shapes, zero-shot on 8 shape classes every 25 steps."""
    root = tmp_path_factory.mktemp("trained")
    shards = write_shards(root / "shards", [64, 64])
    folder = write_image_folder(root / "folder")
    run = root / "run"
    args = ["--data", str(shards), "--out", str(run), "--model", str(write_micro_model(root / "micro.json"))]
    args += ["--samples", str(TRAIN_STEPS * 32), "--batch-size", "32", "--lr", "3e-3", "--warmup", "5"]
    args += ["--log-every", str(EVAL_EVERY), "--loader-workers", "0", "--device", "cpu", "--quiet"]
    args += ["--eval-data", str(folder), "--eval-every", str(EVAL_EVERY), "--eval-templates", "ensemble"]
    result = wit("train", *args)
    assert result.returncode == 0, result.stderr
    return TrainedRun(run, shards, folder)
