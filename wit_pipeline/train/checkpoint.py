"""Checkpoints that resume exactly and load without unpickling code.

A checkpoint is a directory ``checkpoints/step-NNNNNNN/`` holding:

- ``model.safetensors``: the weights (and BatchNorm buffers);
- ``train_state.pt``: optimiser, loss-scaler and torch RNG states, only tensors and plain
  containers, so ``torch.load(weights_only=True)`` reads it;
- ``state.json``: step, epoch, samples seen, each rank's loader position and Python/NumPy RNG;
- ``model_config.json`` and ``tokenizer.json``: so the directory alone rebuilds the model;
- ``checksums.json``, written last: the sha256 of every other file, checked before a resume
  loads anything, so a corrupted checkpoint is a one-line error naming the file.

It is written under a temporary name and renamed into place, then ``checkpoints/latest`` is
rewritten atomically to name it, so a kill at any moment leaves the previous one usable.

A run's final weights are checked the same way: ``RUN/checksums.json`` holds the sha256 of
``RUN/model.safetensors``, ``model_config.json`` and ``tokenizer.json``, written before the weights
are renamed into place (a kill leaves no final weights without their checksum), and verified
before ``load_run`` reads them: a corrupted or truncated file is a one-line error naming it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from wit_pipeline.errors import WitError
from wit_pipeline.model import ModelConfig
from wit_pipeline.runtime.atomic import is_tmp, tmp_name, write_json, write_text
from wit_pipeline.runtime.faults import fault_point

WEIGHTS = "model.safetensors"
TRAIN_STATE = "train_state.pt"
STATE = "state.json"
MODEL_CONFIG = "model_config.json"
TOKENIZER = "tokenizer.json"
CHECKSUMS = "checksums.json"
LATEST = "latest"
STEP_DIR = re.compile(r"^step-(\d+)$")


def save_weights(model: nn.Module, path: Path) -> None:
    """Write ``model``'s state dict as safetensors, atomically."""
    tmp = tmp_name(path)
    save_file({k: v.detach().contiguous() for k, v in model.state_dict().items()}, tmp, metadata={"format": "pt"})
    os.replace(tmp, path)


def save_final_weights(model: nn.Module, run: Path) -> Path:
    """Write ``run/model.safetensors`` with ``run/checksums.json`` (weights, model config, tokenizer) before it."""
    path = run / WEIGHTS
    tmp = tmp_name(path)
    save_file({k: v.detach().contiguous() for k, v in model.state_dict().items()}, tmp, metadata={"format": "pt"})
    digests = {name: file_sha256(run / name) for name in (MODEL_CONFIG, TOKENIZER) if (run / name).is_file()}
    write_json(run / CHECKSUMS, {"sha256": {**digests, WEIGHTS: file_sha256(tmp)}})
    os.replace(tmp, path)
    return path


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


def save_checkpoint(
    checkpoints: Path,
    step: int,
    model: nn.Module,
    model_config: ModelConfig,
    tokenizer_file: Path,
    tensors: dict[str, Any],
    state: dict[str, Any],
) -> Path:
    """Write checkpoint ``step`` under ``checkpoints`` and point ``latest`` at it; returns its path."""
    final = checkpoints / f"step-{step:07d}"
    tmp = tmp_name(final)
    tmp.mkdir(parents=True)
    save_weights(model, tmp / WEIGHTS)
    fault_point("checkpoint", step, "weights")
    torch.save(tensors, tmp / TRAIN_STATE)
    write_json(tmp / STATE, state)
    write_json(tmp / MODEL_CONFIG, model_config.to_dict())
    shutil.copyfile(tokenizer_file, tmp / TOKENIZER)
    write_json(tmp / CHECKSUMS, {"sha256": {p.name: file_sha256(p) for p in sorted(tmp.iterdir()) if p.is_file()}})
    fault_point("checkpoint", step, "written")
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    fault_point("checkpoint", step, "renamed")
    write_text(checkpoints / LATEST, final.name + "\n")
    return final


def file_sha256(path: Path) -> str:
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


def latest_checkpoint(checkpoints: Path) -> Path | None:
    """The checkpoint ``latest`` names, or None when there is none yet."""
    pointer = checkpoints / LATEST
    if not pointer.exists():
        return None
    path = checkpoints / pointer.read_text(encoding="utf-8").strip()
    return path if (path / STATE).exists() else None


def read_state(checkpoint: Path) -> dict[str, Any]:
    """The JSON part of a checkpoint (step, epoch, loader positions, ...)."""
    try:
        return json.loads((checkpoint / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WitError(f"{checkpoint}: not a readable checkpoint ({exc})") from None


def read_train_state(checkpoint: Path, device: torch.device | str = "cpu") -> dict[str, Any]:
    """Optimiser/scaler/RNG tensors, loaded with ``weights_only=True`` (no code is unpickled)."""
    return torch.load(checkpoint / TRAIN_STATE, map_location=device, weights_only=True)


def prune_checkpoints(checkpoints: Path, keep: int) -> None:
    """Delete all but the ``keep`` newest checkpoints (never the latest), and stale temporary ones."""
    latest = latest_checkpoint(checkpoints)
    for path in checkpoints.iterdir():
        if is_tmp(path):
            shutil.rmtree(path, ignore_errors=True)
    steps = sorted((p for p in checkpoints.iterdir() if STEP_DIR.match(p.name)), key=lambda p: p.name)
    for path in steps[: max(0, len(steps) - max(keep, 1))]:
        if path != latest:
            shutil.rmtree(path, ignore_errors=True)
