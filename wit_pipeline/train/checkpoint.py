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

This module writes; the names are ``wit_pipeline.model.run_dir``'s, and reading back (``load_weights``,
``verify_checkpoint``, ``load_run``) is ``wit_pipeline.model.weights``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file
from torch import nn

from wit_pipeline.atomic_files import is_tmp, tmp_name, write_json, write_text
from wit_pipeline.errors import WitError
from wit_pipeline.model import ModelConfig
from wit_pipeline.model.run_dir import (
    CHECKSUMS,
    LATEST,
    MODEL_CONFIG,
    STATE,
    STEP_DIR,
    TOKENIZER,
    TRAIN_STATE,
    WEIGHTS,
    latest_checkpoint,
    step_dir_name,
)
from wit_pipeline.model.weights import file_sha256, save_weights
from wit_pipeline.runtime.faults import fault_point


def save_final_weights(model: nn.Module, run: Path) -> Path:
    """Write ``run/model.safetensors`` with ``run/checksums.json`` (weights, model config, tokenizer) before it."""
    path = run / WEIGHTS
    tmp = tmp_name(path)
    save_file({k: v.detach().contiguous() for k, v in model.state_dict().items()}, tmp, metadata={"format": "pt"})
    digests = {name: file_sha256(run / name) for name in (MODEL_CONFIG, TOKENIZER) if (run / name).is_file()}
    write_json(run / CHECKSUMS, {"sha256": {**digests, WEIGHTS: file_sha256(tmp)}})
    os.replace(tmp, path)
    return path


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
    final = checkpoints / step_dir_name(step)
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
