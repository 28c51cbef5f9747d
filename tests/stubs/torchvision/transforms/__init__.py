"""Stand-in for ``torchvision.transforms``: the classes open_clip imports; only the eval ones work."""

from __future__ import annotations

import enum

from PIL import Image

from torchvision.transforms import functional as F


class InterpolationMode(enum.Enum):
    NEAREST = "nearest"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"

    @property
    def pil(self) -> int:
        return {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}[self.value]


class Compose:
    def __init__(self, transforms) -> None:
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img


class Resize:
    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True) -> None:
        self.size, self.interpolation = size, interpolation

    def __call__(self, img):
        return F.resize(img, self.size, self.interpolation)


class CenterCrop:
    def __init__(self, size) -> None:
        self.size = size

    def __call__(self, img):
        return F.center_crop(img, self.size)


class ToTensor:
    def __call__(self, pic):
        return F.to_tensor(pic)


class Normalize:
    def __init__(self, mean, std, inplace=False) -> None:
        self.mean, self.std = mean, std

    def __call__(self, tensor):
        return F.normalize(tensor, self.mean, self.std)


class _Unavailable:
    def __init__(self, *args, **kwargs) -> None:
        raise NotImplementedError(f"torchvision stand-in: {type(self).__name__} is not available in tests")


class RandomResizedCrop(_Unavailable):
    pass


class ColorJitter(_Unavailable):
    pass


class Grayscale(_Unavailable):
    pass
