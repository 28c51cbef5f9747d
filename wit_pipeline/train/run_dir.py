"""The layout of a training run directory, and ``load_run`` to rebuild a model from one.

```
RUN/_config.toml            resolved build config of the run
RUN/model_config.json       the architecture (vocab and context from the tokenizer)
RUN/tokenizer.json          the tokenizer the model was trained with
RUN/metrics.jsonl           one JSON record per logged step
RUN/checkpoints/step-NNNNNNN/   resumable checkpoints (see checkpoint.py); ``latest`` names the newest
RUN/model.safetensors       final weights, written when training finishes
RUN/checksums.json          sha256 of the final weights, model_config.json and tokenizer.json (checked on load)
RUN/summary.json            steps, samples, time and final loss of the finished run
```
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from wit_pipeline.config import RESOLVED_CONFIG
from wit_pipeline.errors import WitError
from wit_pipeline.model import CLIP, ModelConfig
from wit_pipeline.model.pretrained import find_pretrained, load_pretrained
from wit_pipeline.train import checkpoint as ckpt


class RunDir:
    """Paths inside a run directory."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.config = self.path / RESOLVED_CONFIG
        self.model_config = self.path / ckpt.MODEL_CONFIG
        self.tokenizer = self.path / ckpt.TOKENIZER
        self.metrics = self.path / "metrics.jsonl"
        self.checkpoints = self.path / "checkpoints"
        self.weights = self.path / ckpt.WEIGHTS
        self.summary = self.path / "summary.json"
        self.tensorboard = self.path / "tensorboard"

    def latest_checkpoint(self) -> Path | None:
        """The newest complete checkpoint, or None."""
        return ckpt.latest_checkpoint(self.checkpoints) if self.checkpoints.exists() else None


def resolve_weights(path: str | Path) -> tuple[Path, Path]:
    """``(directory with model_config.json and tokenizer.json, weights file)`` for a run, checkpoint or weights file.

    A run directory gives its final weights, or its latest checkpoint while training is unfinished. A
    pretrained model (see ``wit_pipeline.model.pretrained``) gives its directory and weights file.
    """
    p = Path(path).expanduser()
    pretrained = find_pretrained(p)
    if pretrained is not None:
        return pretrained.weights.parent, pretrained.weights
    if p.is_file() and p.suffix == ".safetensors":
        return p.parent, p
    if not p.is_dir():
        raise WitError(
            f"{p}: no such run directory, checkpoint or pretrained model "
            "(.pt/.pth/.bin/.safetensors in OpenAI's layout, or an open_clip model directory)"
        )
    if (p / ckpt.WEIGHTS).exists():
        return p, p / ckpt.WEIGHTS
    latest = RunDir(p).latest_checkpoint()
    if latest is None:
        raise WitError(f"{p}: neither {ckpt.WEIGHTS} nor a checkpoint (is it a wit training run?)")
    return latest, latest / ckpt.WEIGHTS


def read_model_config(directory: Path) -> ModelConfig:
    """The ``model_config.json`` stored in a run or checkpoint directory."""
    path = directory / ckpt.MODEL_CONFIG
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WitError(f"{path}: cannot read the model config ({exc})") from None
    return ModelConfig.from_dict(data, origin=str(path))


def load_run(path: str | Path, device: str | torch.device = "cpu") -> tuple[CLIP, Any, ModelConfig]:
    """``(model, tokenizer, model_config)`` from a run directory, a checkpoint or a ``.safetensors`` file, or a
    pretrained model: an OpenAI-layout checkpoint (``.pt``/``.bin``/``.safetensors``) or an open_clip directory.

    The model is in eval mode on ``device``; the tokenizer is a ``loaders.Tokenizer``. No code is unpickled:
    weights are safetensors or tensor-only pickles, configs JSON.
    """
    from loaders import Tokenizer

    pretrained = find_pretrained(path)
    if pretrained is not None:
        return load_pretrained(pretrained, device)
    directory, weights = resolve_weights(path)
    if (directory / ckpt.CHECKSUMS).exists():
        if directory.parent.name == "checkpoints":
            ckpt.verify_checkpoint(directory)
        else:
            remedy = f"retrain, or load a checkpoint ({directory / 'checkpoints'}/step-N)"
            ckpt.verify_checkpoint(directory, "the run's final weights", remedy)
    config = read_model_config(directory)
    model = CLIP(config)
    ckpt.load_weights(model, weights)
    tokenizer_file = directory / ckpt.TOKENIZER
    if not tokenizer_file.exists():
        raise WitError(f"{directory}: {ckpt.TOKENIZER} is missing")
    return model.to(device).eval(), Tokenizer.load(tokenizer_file), config
