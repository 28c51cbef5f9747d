"""Placeholders for the transform classes open_clip imports (never called by the benchmark)."""

import enum


class InterpolationMode(enum.Enum):
    NEAREST = "nearest"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"


class _Unavailable:
    def __init__(self, *args, **kwargs) -> None:
        raise RuntimeError(f"{type(self).__name__} comes from a torchvision stand-in; install torchvision")


Normalize = type("Normalize", (_Unavailable,), {})
Compose = type("Compose", (_Unavailable,), {})
RandomResizedCrop = type("RandomResizedCrop", (_Unavailable,), {})
ToTensor = type("ToTensor", (_Unavailable,), {})
Resize = type("Resize", (_Unavailable,), {})
CenterCrop = type("CenterCrop", (_Unavailable,), {})
ColorJitter = type("ColorJitter", (_Unavailable,), {})
Grayscale = type("Grayscale", (_Unavailable,), {})
