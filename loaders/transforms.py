"""CLIP's image transforms without torchvision: random square crop for training, center crop for eval.

Training uses CLIP's ``RandomResizedCrop(scale=(0.9, 1.0), ratio=(3/4, 4/3), bicubic)``; eval resizes the
shortest side and center-crops, taken here as the centred square of side ``min(w, h)`` resized to ``size``
(identical up to sub-pixel rounding). The crop box is chosen from the JPEG header before decoding, so the
decoder can downscale in the DCT domain (libjpeg-turbo scaling through simplejpeg, or PIL's draft mode)
whenever the crop is much larger than ``size``; the remaining resize is torch's antialiased bicubic on
uint8, which matches PIL's bicubic to within one or two levels and is several times faster.
"""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from loaders.image_decode import decode_rgb, read_header

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
CLIP_SCALE = (0.9, 1.0)
CLIP_RATIO = (3 / 4, 4 / 3)

Box = tuple[int, int, int, int]  # left, top, width, height


def sample_crop_box(
    width: int, height: int, scale: tuple[float, float], ratio: tuple[float, float], rng: random.Random
) -> Box:
    """torchvision's RandomResizedCrop box: area fraction uniform in ``scale``, aspect log-uniform in ``ratio``.

    Ten attempts, then the centred crop with the ratio clamped into ``ratio`` (torchvision's fallback).
    """
    area = width * height
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target_area = area * rng.uniform(*scale)
        aspect = math.exp(rng.uniform(*log_ratio))
        w = round(math.sqrt(target_area * aspect))
        h = round(math.sqrt(target_area / aspect))
        if 0 < w <= width and 0 < h <= height:
            return rng.randint(0, width - w), rng.randint(0, height - h), w, h
    in_ratio = width / height
    if in_ratio < min(ratio):
        w, h = width, round(width / min(ratio))
    elif in_ratio > max(ratio):
        w, h = round(height * max(ratio)), height
    else:
        w, h = width, height
    return (width - w) // 2, (height - h) // 2, w, h


def center_square_box(width: int, height: int) -> Box:
    """The centred square of side ``min(width, height)``: shortest-side resize + center crop, in source pixels."""
    side = min(width, height)
    return (width - side) // 2, (height - side) // 2, side, side


def resize_crop(array: np.ndarray, box: Box, size: int) -> torch.Tensor:
    """Crop ``box`` out of an HWC uint8 array and resize it to ``size`` x ``size`` (antialiased bicubic).

    Returns a uint8 tensor [3, size, size] in channels-last memory (torch's fast uint8 path).
    """
    left, top, w, h = box
    crop = np.ascontiguousarray(array[top : top + h, left : left + w])
    if not crop.flags.writeable:  # a full-width crop of PIL's read-only buffer: torch wants writable memory
        crop = crop.copy()
    chw = torch.from_numpy(crop).permute(2, 0, 1).unsqueeze(0)
    if (h, w) == (size, size):
        return chw[0]
    return F.interpolate(chw, size=(size, size), mode="bicubic", antialias=True)[0]


def decode_crop(
    data: bytes,
    size: int,
    train: bool,
    rng: random.Random | None = None,
    scale: tuple[float, float] = CLIP_SCALE,
    ratio: tuple[float, float] = CLIP_RATIO,
    decoder: str = "auto",
) -> torch.Tensor:
    """Decode image bytes straight to a cropped, resized uint8 tensor [3, size, size].

    ``train`` picks CLIP's random square crop (drawn from ``rng``), else the eval center crop. Pixels come
    from ``loaders.image_decode`` (EXIF orientation, 16-bit, alpha, ICC handled as everywhere in wit);
    ``decoder`` is ``"auto"`` (simplejpeg for plain JPEGs when installed, PIL otherwise) or ``"pil"``. The
    decoder downscales by the largest factor of 2, 4 or 8 (DCT-domain scaling, as PIL's draft mode) that
    leaves the crop at least ``size`` pixels on each side.
    """
    header = read_header(data, decoder)
    width, height = header.width, header.height
    box = (
        sample_crop_box(width, height, scale, ratio, rng or random.Random())
        if train
        else center_square_box(width, height)
    )
    reduce = max((f for f in (8, 4, 2, 1) if box[2] >= size * f and box[3] >= size * f), default=1)
    array = decode_rgb(data, header, (math.ceil(width / reduce), math.ceil(height / reduce)))
    return resize_crop(array, scale_box(box, width, height, array.shape[1], array.shape[0]), size)


@dataclass(frozen=True)
class ImageTransform:
    """A picklable ``decode_crop`` with its settings bound, run inside DataLoader workers."""

    size: int
    train: bool
    scale: tuple[float, float] = CLIP_SCALE
    ratio: tuple[float, float] = CLIP_RATIO
    decoder: str = "auto"

    def __call__(self, data: bytes, rng: random.Random | None = None) -> torch.Tensor:
        """Decoded, cropped and resized uint8 tensor [3, size, size] of one encoded image."""
        return decode_crop(data, self.size, self.train, rng, self.scale, self.ratio, self.decoder)


def scale_box(box: Box, width: int, height: int, new_width: int, new_height: int) -> Box:
    """Map a box in a ``width`` x ``height`` image onto the same image decoded at a smaller size."""
    if (new_width, new_height) == (width, height):
        return box
    sx, sy = new_width / width, new_height / height
    left, top = round(box[0] * sx), round(box[1] * sy)
    right = min(new_width, max(left + 1, round((box[0] + box[2]) * sx)))
    bottom = min(new_height, max(top + 1, round((box[1] + box[3]) * sy)))
    return left, top, right - left, bottom - top


def random_resized_crop(
    img: Image.Image | np.ndarray,
    size: int,
    scale: tuple[float, float] = CLIP_SCALE,
    ratio: tuple[float, float] = CLIP_RATIO,
    rng: random.Random | None = None,
) -> Image.Image | np.ndarray:
    """CLIP's training crop on a decoded image; returns the same kind (PIL image or HWC uint8 array)."""
    array = _as_array(img)
    box = sample_crop_box(array.shape[1], array.shape[0], scale, ratio, rng or random.Random())
    return _like(img, resize_crop(array, box, size))


def center_crop_resize(img: Image.Image | np.ndarray, size: int) -> Image.Image | np.ndarray:
    """Eval transform on a decoded image: shortest side to ``size``, center crop; returns the same kind."""
    array = _as_array(img)
    return _like(img, resize_crop(array, center_square_box(array.shape[1], array.shape[0]), size))


def to_uint8_tensor(img: Image.Image | np.ndarray) -> torch.Tensor:
    """An RGB image as a contiguous uint8 tensor [3, H, W]."""
    return torch.from_numpy(np.ascontiguousarray(_as_array(img))).permute(2, 0, 1).contiguous()


def normalize_on_device(images: torch.Tensor) -> torch.Tensor:
    """uint8 images [..., 3, H, W] to float32 normalised with CLIP's mean/std, on the images' device.

    Loaders built with ``uint8=True`` ship 4x fewer bytes between processes and to the GPU; call this there.
    The constants are made once per device (building them from Python floats on every call would copy
    them to the GPU synchronously each step), and the subtraction converts to float32 as it goes.
    """
    mean, inv_std = _normalize_constants(images.device)
    return torch.sub(images, mean).mul_(inv_std)  # one float32 temporary, made by the subtraction


@functools.lru_cache(maxsize=8)
def _normalize_constants(device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    mean = torch.tensor(CLIP_MEAN).view(3, 1, 1) * 255
    inv_std = 1 / (torch.tensor(CLIP_STD).view(3, 1, 1) * 255)
    return mean.to(device), inv_std.to(device)


def _as_array(img: Image.Image | np.ndarray) -> np.ndarray:
    if isinstance(img, Image.Image):
        return np.asarray(img.convert("RGB"))
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        raise ValueError(f"expected an HWC uint8 RGB array, got shape {img.shape} dtype {img.dtype}")
    return img


def _like(img: Image.Image | np.ndarray, chw: torch.Tensor) -> Image.Image | np.ndarray:
    hwc = np.ascontiguousarray(chw.permute(1, 2, 0).numpy())
    return Image.fromarray(hwc) if isinstance(img, Image.Image) else hwc
