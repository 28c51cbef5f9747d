"""Stand-in for ``torchvision.transforms.functional``: the PIL eval ops with torchvision's semantics."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image


def to_tensor(pic: Image.Image) -> torch.Tensor:
    """HWC uint8 -> CHW float in [0, 1], as torchvision's ``to_tensor``."""
    array = np.asarray(pic, dtype=np.uint8)
    if array.ndim == 2:
        array = array[:, :, None]
    return torch.from_numpy(array.copy()).permute(2, 0, 1).float().div(255)


def resize(img: Image.Image, size, interpolation) -> Image.Image:
    """torchvision's resize: an int resizes the shortest side, keeping the aspect (the long side truncated)."""
    width, height = img.size
    if isinstance(size, int) or len(size) == 1:
        short = size if isinstance(size, int) else size[0]
        if width <= height:
            new = (short, int(short * height / width))
        else:
            new = (int(short * width / height), short)
    else:
        new = (size[1], size[0])
    return img.resize(new, interpolation.pil)


def center_crop(img: Image.Image, output_size) -> Image.Image:
    """torchvision's center crop: top/left ``int(round((dim - crop) / 2))``."""
    crop_h, crop_w = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    width, height = img.size
    top, left = int(round((height - crop_h) / 2.0)), int(round((width - crop_w) / 2.0))
    return img.crop((left, top, left + crop_w, top + crop_h))


def normalize(tensor: torch.Tensor, mean, std) -> torch.Tensor:
    mean_t = torch.as_tensor(mean, dtype=tensor.dtype).view(-1, 1, 1)
    std_t = torch.as_tensor(std, dtype=tensor.dtype).view(-1, 1, 1)
    return (tensor - mean_t) / std_t
