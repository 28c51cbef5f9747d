"""Weights on disk: safetensors save/load, sha256 checksums, and ``load_run`` to rebuild a model from a run.

A run's final weights and every checkpoint carry a ``checksums.json`` (the sha256 of each file beside it),
verified before ``load_run`` or a resume reads anything: a corrupted or truncated file is a one-line error
naming it. No code is unpickled: weights are safetensors or tensor-only pickles, configs JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from wit_pipeline.atomic_files import tmp_name
from wit_pipeline.errors import WitError
from wit_pipeline.model.clip import CLIP
from wit_pipeline.model.config import ModelConfig
from wit_pipeline.model.pretrained import find_pretrained, load_pretrained
from wit_pipeline.model.run_dir import CHECKSUMS, MODEL_CONFIG, TOKENIZER, WEIGHTS, RunDir, is_checkpoint


def save_weights(model: nn.Module, path: Path) -> None:
    """Write ``model``'s state dict as safetensors, atomically."""
    tmp = tmp_name(path)
    save_file({k: v.detach().contiguous() for k, v in model.state_dict().items()}, tmp, metadata={"format": "pt"})
    os.replace(tmp, path)


def load_weights(model: nn.Module, path: Path, device: torch.device | str = "cpu") -> None:
    """Load safetensors weights into ``model`` (every key must match); an unreadable file is a one-line error."""
    try:
        tensors = load_file(path, device=str(device))
    except (OSError, SafetensorError) as exc:
        raise WitError(f"{path}: not readable safetensors weights ({_one_line(exc)})") from None
    model.load_state_dict(tensors, strict=True)


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def file_sha256(path: Path) -> str:
    """The hex sha256 of the file at ``path``, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_checkpoint(checkpoint: Path, what: str = "the checkpoint", remedy: str = "") -> None:
    """Check every file of ``checkpoint`` against its ``checksums.json``; a one-line error if any differs.

    ``what`` names the directory in the message (a checkpoint, or a run's final weights), ``remedy`` what to do.
    """
    remedy = remedy or "resume from another one (--resume PATH)"
    try:
        expected = json.loads((checkpoint / CHECKSUMS).read_text(encoding="utf-8"))["sha256"]
        expected = dict(expected)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        complete = "not a complete wit checkpoint" if what == "the checkpoint" else f"cannot verify {what}"
        raise WitError(f"{checkpoint / CHECKSUMS}: unreadable ({exc}); {complete}") from None
    for name, digest in sorted(expected.items()):
        path = checkpoint / name
        if not path.is_file():
            raise WitError(f"{path}: missing from {what}; {remedy}")
        if file_sha256(path) != digest:
            raise WitError(f"{path}: checksum mismatch, {what} is corrupted or truncated; {remedy}")


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
    if (p / WEIGHTS).exists():
        return p, p / WEIGHTS
    latest = RunDir(p).latest_checkpoint()
    if latest is None:
        raise WitError(f"{p}: neither {WEIGHTS} nor a checkpoint (is it a wit training run?)")
    return latest, latest / WEIGHTS


def read_model_config(directory: Path) -> ModelConfig:
    """The ``model_config.json`` stored in a run or checkpoint directory."""
    path = directory / MODEL_CONFIG
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WitError(f"{path}: cannot read the model config ({exc})") from None
    return ModelConfig.from_dict(data, origin=str(path))


def load_run(path: str | Path, device: str | torch.device = "cpu") -> tuple[CLIP, Any, ModelConfig]:
    """``(model, tokenizer, model_config)`` from a run directory, a checkpoint or a ``.safetensors`` file, or a
    pretrained model: an OpenAI-layout checkpoint (``.pt``/``.bin``/``.safetensors``) or an open_clip directory.

    The model is in eval mode on ``device``; the tokenizer is a ``loaders.Tokenizer``.
    """
    from loaders import Tokenizer

    pretrained = find_pretrained(path)
    if pretrained is not None:
        return load_pretrained(pretrained, device)
    directory, weights = resolve_weights(path)
    if (directory / CHECKSUMS).exists():
        if is_checkpoint(directory):
            verify_checkpoint(directory)
        else:
            remedy = f"retrain, or load a checkpoint ({RunDir(directory).checkpoints}/step-N)"
            verify_checkpoint(directory, "the run's final weights", remedy)
    config = read_model_config(directory)
    model = CLIP(config)
    load_weights(model, weights)
    tokenizer_file = directory / TOKENIZER
    if not tokenizer_file.exists():
        raise WitError(f"{directory}: {TOKENIZER} is missing")
    return model.to(device).eval(), Tokenizer.load(tokenizer_file), config
