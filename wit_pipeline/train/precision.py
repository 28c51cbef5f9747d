"""Numerics and transfers chosen by device: autocast, loss scaling, TF32, determinism, batch moves.

On CUDA the default is bf16 autocast (no loss scaler needed), TF32 matmuls, cuDNN autotuning,
and uint8 images copied from pinned memory without blocking, then normalised on the GPU (a
quarter of the bytes of float32 over PCIe). On CPU everything stays float32.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable

import torch

from wit_pipeline.config import PRECISIONS
from wit_pipeline.errors import WitError
from wit_pipeline.train.speed import to_channels_last


class Precision:
    """Autocast dtype and (for fp16 only) a gradient scaler for one device."""

    def __init__(self, mode: str, device: torch.device) -> None:
        if mode not in PRECISIONS:
            raise WitError(f"precision must be one of {', '.join(PRECISIONS)}, got {mode!r}")
        if mode == "auto":
            mode = "bf16" if device.type == "cuda" else "fp32"
        if mode == "fp16" and device.type != "cuda":
            raise WitError("precision fp16 needs a CUDA device (use bf16 or fp32 on CPU)")
        self.mode = mode
        self.device = device
        self.dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(mode)
        self.scaler = torch.amp.GradScaler("cuda") if mode == "fp16" else None

    def autocast(self) -> contextlib.AbstractContextManager:
        """Mixed-precision context for forward passes (a no-op in fp32)."""
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def backward(self, loss: torch.Tensor) -> None:
        """Backward, through the loss scaler when there is one."""
        (self.scaler.scale(loss) if self.scaler else loss).backward()

    def unscale(self, optimizer: torch.optim.Optimizer) -> None:
        """Bring scaled gradients back to true size before clipping."""
        if self.scaler:
            self.scaler.unscale_(optimizer)

    def step(self, optimizer: torch.optim.Optimizer) -> None:
        """Optimiser step (skipped by the scaler on inf/nan gradients in fp16)."""
        if self.scaler:
            self.scaler.step(optimizer)
            self.scaler.update()
        else:
            optimizer.step()


def configure_backends(device: torch.device, deterministic: bool) -> None:
    """TF32 and cuDNN autotuning on CUDA for speed, or deterministic kernels when asked."""
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False
    elif device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True


def batch_mover(
    device: torch.device,
    normalize: Callable[[torch.Tensor], torch.Tensor] | None = None,
    channels_last: bool = False,
) -> Callable[[tuple[torch.Tensor, torch.Tensor]], tuple[torch.Tensor, torch.Tensor]]:
    """A function moving an ``(images, tokens)`` batch to ``device``; uint8 images go through ``normalize``.

    ``channels_last`` gives the images NHWC layout (for the ResNet tower on CUDA). Nothing here waits for
    the device: copies from pinned memory are asynchronous, and the normalisation is queued after them.
    """
    non_blocking = device.type == "cuda"

    def move(batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        images, tokens = batch
        images = images.to(device, non_blocking=non_blocking)
        if images.dtype == torch.uint8:
            if normalize is None:
                raise ValueError("uint8 images need a normalize function")
            images = normalize(images)
        if channels_last:
            images = to_channels_last(images)
        return images, tokens.to(device, non_blocking=non_blocking)

    return move
