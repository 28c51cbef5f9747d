"""Placeholder for the FrozenBatchNorm2d open_clip imports (used only to freeze ResNet towers)."""

from torch import nn


class FrozenBatchNorm2d(nn.Module):
    def __init__(self, *args, **kwargs) -> None:
        raise RuntimeError("FrozenBatchNorm2d comes from a torchvision stand-in; install torchvision")
