"""wit's eval transform is CLIP's preprocessing: checked against open_clip's eval transform on real JPEGs.

open_clip composes ``Resize(shortest side, bicubic) -> CenterCrop -> ToTensor -> Normalize(OpenAI mean/std)``;
the ops run here with torchvision's semantics on PIL (tests/stubs/torchvision). wit crops the centred square
first and resizes it with torch's antialiased bicubic (after a DCT-domain downscale for large JPEGs), which
is the same up to sub-pixel rounding: torchvision rounds the crop's offset in the resized image, so the two
grids can differ by up to half an output pixel. On these noisy test images (the worst case for resampling)
that is 0.3-2 levels of 255 on average with no bias, a few levels at the 99th percentile, and more only on
hard edges; an image that needs no resize is identical.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from loaders.transforms import CLIP_MEAN, CLIP_STD, normalize_on_device
from tests.open_clip_ref import import_open_clip
from wit_pipeline.eval.features import eval_transform


def photo_like(width: int, height: int, seed: int) -> bytes:
    """A JPEG with smooth gradients, edges and texture (what resampling differences show up on)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.stack([x / width * 255, y / height * 255, (np.sin(x / 17) * np.cos(y / 23) + 1) * 127], axis=-1)
    image[height // 3 : height // 2, width // 4 : width // 2] = rng.integers(0, 255, 3)
    image += rng.normal(0, 6, image.shape)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def test_open_clips_eval_transform_is_what_wit_implements() -> None:
    open_clip = import_open_clip()
    ops = open_clip.image_transform(224, is_train=False).transforms
    resize, crop, normalize = ops[0], ops[1], ops[-1]
    assert type(resize).__name__ == "Resize" and resize.size == 224 and resize.interpolation.name == "BICUBIC"
    assert type(crop).__name__ == "CenterCrop" and tuple(crop.size) == (224, 224)
    assert tuple(normalize.mean) == CLIP_MEAN and tuple(normalize.std) == CLIP_STD
    assert open_clip.OPENAI_DATASET_MEAN == CLIP_MEAN and open_clip.OPENAI_DATASET_STD == CLIP_STD


@pytest.mark.parametrize(("width", "height"), [(640, 480), (300, 500), (224, 224), (1600, 900), (120, 90)])
def test_wit_eval_pixels_equal_open_clips_within_resampling_rounding(width: int, height: int) -> None:
    open_clip = import_open_clip()
    data = photo_like(width, height, seed=width)
    reference = open_clip.image_transform(224, is_train=False)(Image.open(io.BytesIO(data)))
    got = normalize_on_device(eval_transform(224)(data).unsqueeze(0))[0]
    levels = ((got - reference) * torch.tensor(CLIP_STD).view(3, 1, 1) * 255).abs()
    assert got.shape == reference.shape == (3, 224, 224)
    signed = ((got - reference) * torch.tensor(CLIP_STD).view(3, 1, 1) * 255).mean().item()
    assert levels.mean().item() < 2.5 and abs(signed) < 0.25, (levels.mean().item(), signed)
    assert torch.quantile(levels.flatten(), 0.99).item() <= 16, torch.quantile(levels.flatten(), 0.99).item()
    if (width, height) == (224, 224):
        assert levels.max().item() < 1e-3
