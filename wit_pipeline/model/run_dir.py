"""The layout of a training run directory: its file names, ``RunDir`` and the ``is_run_dir`` predicate.

```
RUN/_config.toml            resolved build config of the run
RUN/model_config.json       the architecture (vocab and context from the tokenizer)
RUN/tokenizer.json          the tokenizer the model was trained with
RUN/metrics.jsonl           one JSON record per logged step
RUN/tensorboard/            TensorBoard event files, when asked for
RUN/checkpoints/step-NNNNNNN/   resumable checkpoints (see train/checkpoint.py); ``latest`` names the newest
RUN/model.safetensors       final weights, written when training finishes
RUN/checksums.json          sha256 of the final weights, model_config.json and tokenizer.json (checked on load)
RUN/summary.json            steps, samples, time and final loss of the finished run
RUN/eval.json               the latest ``wit eval`` of the run
```

A checkpoint directory holds ``model.safetensors``, ``train_state.pt``, ``state.json``, ``model_config.json``,
``tokenizer.json`` and ``checksums.json``. Every reader and writer of runs takes these names from here; this
module imports no torch, so ``wit inspect`` and ``wit report`` stay light.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from wit_pipeline.config import RESOLVED_CONFIG

MODEL_CONFIG = "model_config.json"
TOKENIZER = "tokenizer.json"
WEIGHTS = "model.safetensors"
CHECKSUMS = "checksums.json"
METRICS = "metrics.jsonl"
SUMMARY = "summary.json"
EVAL = "eval.json"
TENSORBOARD = "tensorboard"
CHECKPOINTS = "checkpoints"
LATEST = "latest"  # inside CHECKPOINTS: the name of the newest complete checkpoint
STATE = "state.json"  # inside a checkpoint: step, epoch, loader positions, Python/NumPy RNG
TRAIN_STATE = "train_state.pt"  # inside a checkpoint: optimiser, scaler and torch RNG tensors
STEP_DIR = re.compile(r"^step-(\d+)$")


def step_dir_name(step: int) -> str:
    """The directory name of the checkpoint taken at ``step`` (``step-0000100``)."""
    return f"step-{step:07d}"


class RunDir:
    """Paths inside a run directory."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.config = self.path / RESOLVED_CONFIG
        self.model_config = self.path / MODEL_CONFIG
        self.tokenizer = self.path / TOKENIZER
        self.metrics = self.path / METRICS
        self.checkpoints = self.path / CHECKPOINTS
        self.weights = self.path / WEIGHTS
        self.checksums = self.path / CHECKSUMS
        self.summary = self.path / SUMMARY
        self.eval = self.path / EVAL
        self.tensorboard = self.path / TENSORBOARD

    def latest_checkpoint(self) -> Path | None:
        """The newest complete checkpoint, or None."""
        return latest_checkpoint(self.checkpoints) if self.checkpoints.exists() else None

    def checkpoint_names(self) -> list[str]:
        """The names of the checkpoint directories (``step-NNNNNNN``), oldest first."""
        if not self.checkpoints.exists():
            return []
        return sorted(p.name for p in self.checkpoints.glob("step-*"))


def read_metrics(path: str | Path) -> list[dict]:
    """All records of a ``metrics.jsonl`` (none when the run has not logged any yet)."""
    path = Path(path)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def is_run_dir(path: str | Path) -> bool:
    """True for a wit training run (or one of its checkpoints): it has a model config or logged metrics."""
    path = Path(path)
    return (path / MODEL_CONFIG).exists() or (path / METRICS).exists()


def is_checkpoint(directory: Path) -> bool:
    """True when ``directory`` sits in a run's ``checkpoints/`` folder (rather than being the run itself)."""
    return directory.parent.name == CHECKPOINTS


def is_complete_checkpoint(path: str | Path) -> bool:
    """True for a checkpoint directory a resume can start from: its ``state.json`` is written."""
    return (Path(path) / STATE).is_file()


def latest_checkpoint(checkpoints: Path) -> Path | None:
    """The checkpoint ``latest`` names, or None when there is none yet."""
    pointer = checkpoints / LATEST
    if not pointer.exists():
        return None
    path = checkpoints / pointer.read_text(encoding="utf-8").strip()
    return path if is_complete_checkpoint(path) else None
