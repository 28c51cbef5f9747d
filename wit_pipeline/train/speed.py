"""What makes a step fast on CUDA, decided once per run: torch.compile, channels-last for the ResNet, fused AdamW.

None changes the mathematics of the step. ``compile`` is on by default on CUDA when the run has
enough steps to repay the compilation (tens of seconds for a ViT-B); ``TrainStep`` falls back to the
uncompiled model, with a warning, if the compiler fails. Convolutions run fastest on NHWC tensors under
cuDNN, so the ResNet tower's weights and its input images are kept channels-last on CUDA. The fused AdamW kernel
updates all parameters in one launch and keeps its step counters on the device (no host reads).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from wit_pipeline.model import ModelConfig

COMPILE_MIN_STEPS = 200  # below this, compiling (tens of seconds) costs more than it saves


@dataclass(frozen=True)
class SpeedSettings:
    """The speed-ups a ``Trainer`` applies; ``compile_backend`` is torch.compile's (tests use ``eager``)."""

    compile: bool = False
    compile_backend: str | Callable = "inductor"
    channels_last: bool = False
    fused_optimizer: bool = False


def compile_wanted(setting: bool | None, device: torch.device, total_steps: int) -> bool:
    """``train.compile`` resolved: as set, or (``None``, the default) on CUDA for runs of enough steps."""
    if setting is not None:
        return setting
    return device.type == "cuda" and total_steps >= COMPILE_MIN_STEPS


def speed_settings(
    compile_setting: bool | None, model_config: ModelConfig, device: torch.device, total_steps: int
) -> SpeedSettings:
    """The settings a run on ``device`` gets by default."""
    return SpeedSettings(
        compile=compile_wanted(compile_setting, device, total_steps),
        channels_last=device.type == "cuda" and model_config.vision.kind == "resnet",
        fused_optimizer=device.type == "cuda",
    )


def to_channels_last(images: torch.Tensor) -> torch.Tensor:
    """NHWC memory layout for a batch of images (same shape and values)."""
    return images.contiguous(memory_format=torch.channels_last)
