"""CLIP transforms: the crop's scale/ratio distribution, draft-mode decoding, eval crop, normalisation."""

from __future__ import annotations

import io
import math
import random

import numpy as np
import pytest
import torch
from PIL import Image

from loaders import image_decode, transforms
from loaders.transforms import (
    CLIP_MEAN,
    CLIP_STD,
    center_crop_resize,
    decode_crop,
    normalize_on_device,
    random_resized_crop,
    resize_crop,
    sample_crop_box,
)
from tests.loaders.helpers import jpeg


def ks_statistic(values: np.ndarray, cdf) -> float:
    values = np.sort(values)
    n = len(values)
    theory = cdf(values)
    return float(max(np.max(np.arange(1, n + 1) / n - theory), np.max(theory - np.arange(n) / n)))


def test_crop_scale_and_log_ratio_are_uniform_over_their_ranges() -> None:
    rng, n = random.Random(0), 6000
    scale, ratio = (0.08, 0.5), (3 / 4, 4 / 3)  # every attempt fits in a square, so no rejection bias
    boxes = [sample_crop_box(1000, 1000, scale, ratio, rng) for _ in range(n)]
    area = np.array([w * h / 1e6 for _, _, w, h in boxes])
    log_ratio = np.array([math.log(w / h) for _, _, w, h in boxes])
    lo, hi = math.log(ratio[0]), math.log(ratio[1])
    assert ks_statistic(area, lambda x: np.clip((x - scale[0]) / (scale[1] - scale[0]), 0, 1)) < 1.63 / math.sqrt(n)
    assert ks_statistic(log_ratio, lambda x: np.clip((x - lo) / (hi - lo), 0, 1)) < 1.63 / math.sqrt(n)
    assert all(0 <= x and 0 <= y and x + w <= 1000 and y + h <= 1000 for x, y, w, h in boxes)


def test_clip_crop_matches_its_rejection_distribution() -> None:
    # CLIP's (0.9, 1.0) on a square: an attempt (s, r) fits iff s <= r <= 1/s, so accepted scales have
    # density proportional to -log(s) on [0.9, 1]; failing ten attempts falls back to the whole image.
    rng, n = random.Random(1), 6000
    boxes = [sample_crop_box(1000, 1000, (0.9, 1.0), (3 / 4, 4 / 3), rng) for _ in range(n)]
    area = np.array([w * h / 1e6 for _, _, w, h in boxes])
    ratio = np.array([w / h for _, _, w, h in boxes])
    assert area.min() >= 0.9 - 2e-3 and area.max() <= 1.0
    assert ratio.min() >= 3 / 4 - 2e-3 and ratio.max() <= 4 / 3 + 2e-3
    grid = np.linspace(0.9, 1.0, 100_001)
    density = -np.log(grid)
    cdf = np.cumsum(density) / density.sum()
    accept = float(np.mean(np.log(1 / grid) / math.log(4 / 3)))  # P(attempt fits), averaged over s
    fallback = (1 - accept) ** 10
    full = area >= 1.0 - 1e-9
    assert abs(full.mean() - fallback) < 4 * math.sqrt(fallback * (1 - fallback) / n) + 2e-3
    assert ks_statistic(area[~full], lambda x: np.interp(x, grid, cdf)) < 1.63 / math.sqrt((~full).sum())


def test_crop_on_non_square_images_stays_inside_and_falls_back_centred() -> None:
    rng = random.Random(2)
    for _ in range(500):
        x, y, w, h = sample_crop_box(640, 360, (0.9, 1.0), (3 / 4, 4 / 3), rng)
        assert 0 <= x and 0 <= y and x + w <= 640 and y + h <= 360
    # a 4:1 panorama never fits a 0.9-area crop of ratio <= 4/3: centred crop of ratio 4/3
    assert sample_crop_box(400, 100, (0.9, 1.0), (3 / 4, 4 / 3), rng) == (133, 0, 133, 100)


def test_resize_matches_pil_bicubic() -> None:
    array = np.asarray(Image.open(io.BytesIO(jpeg(300, 200, 0))).convert("RGB"))
    ours = resize_crop(array, (10, 5, 180, 160), 64).permute(1, 2, 0).numpy().astype(int)
    pil = np.asarray(Image.fromarray(array).resize((64, 64), Image.BICUBIC, box=(10, 5, 190, 165))).astype(int)
    assert np.abs(ours - pil).max() <= 2 and np.abs(ours - pil).mean() < 0.1


@pytest.mark.parametrize("decoder", ["auto", "pil"])
def test_draft_decoding_of_large_jpegs_matches_full_decode(decoder: str, monkeypatch) -> None:
    data = jpeg(1024, 768, 3, quality=95)
    full = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    reference = center_crop_resize(full, 96).astype(int)
    decoded_shapes = []
    real_asarray = np.asarray
    monkeypatch.setattr(
        image_decode.np,
        "asarray",
        lambda a, *args, **kw: decoded_shapes.append(a.size) or real_asarray(a, *args, **kw),
    )
    if image_decode.simplejpeg is not None:
        real = image_decode.simplejpeg.decode_jpeg
        monkeypatch.setattr(
            image_decode.simplejpeg,
            "decode_jpeg",
            lambda *a, **kw: (lambda out: decoded_shapes.append(out.shape[1::-1]) or out)(real(*a, **kw)),
        )
    ours = decode_crop(data, 96, train=False, decoder=decoder).permute(1, 2, 0).numpy().astype(int)
    assert decoded_shapes and max(decoded_shapes[-1]) <= 256, "decoded at 1/4 or 1/8 scale, not in full"
    assert ours.shape == (96, 96, 3) and np.abs(ours - reference).mean() < 2.0


def test_train_and_eval_crops_of_a_small_image(monkeypatch) -> None:
    data = jpeg(40, 30, 5)
    train = decode_crop(data, 24, train=True, rng=random.Random(0))
    again = decode_crop(data, 24, train=True, rng=random.Random(0))
    assert train.shape == (3, 24, 24) and train.dtype == torch.uint8 and torch.equal(train, again)
    pil = decode_crop(data, 24, train=False, decoder="pil")
    auto = decode_crop(data, 24, train=False)
    assert (pil.int() - auto.int()).abs().float().mean() < 1.0


@pytest.mark.parametrize("mode", ["L", "CMYK", "RGBA", "P"])
def test_other_colour_modes_and_formats_decode_to_rgb(mode: str) -> None:
    flat = Image.new("RGB", (50, 40), (200, 30, 60))
    image = flat.quantize(2) if mode == "P" else flat.convert(mode)
    buf = io.BytesIO()
    image.save(buf, "JPEG" if mode in ("L", "CMYK") else "PNG")
    out = decode_crop(buf.getvalue(), 16, train=True, rng=random.Random(0))
    expected = torch.tensor(Image.open(io.BytesIO(buf.getvalue())).convert("RGB").getpixel((25, 20)), dtype=torch.float)
    assert out.shape == (3, 16, 16)
    assert (out.float().mean(dim=(1, 2)) - expected).abs().max() < 3


def test_corrupt_bytes_and_decompression_bombs_raise(monkeypatch) -> None:
    with pytest.raises((OSError, ValueError)):
        decode_crop(b"\xff\xd8\xff\xe0 definitely not a jpeg", 16, train=False)
    with pytest.raises((OSError, ValueError)):
        decode_crop(jpeg(64, 64, 0)[:200], 16, train=False)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ValueError, match="decompression-bomb"):
        decode_crop(jpeg(64, 64, 0), 16, train=False)


def test_pil_and_numpy_inputs_return_their_own_kind() -> None:
    image = Image.open(io.BytesIO(jpeg(64, 48, 1))).convert("RGB")
    as_pil = random_resized_crop(image, 32, rng=random.Random(3))
    as_np = random_resized_crop(np.asarray(image), 32, rng=random.Random(3))
    assert isinstance(as_pil, Image.Image) and as_pil.size == (32, 32)
    assert isinstance(as_np, np.ndarray) and as_np.shape == (32, 32, 3)
    assert np.array_equal(np.asarray(as_pil), as_np)
    centre = center_crop_resize(image, 48)
    assert np.array_equal(np.asarray(centre), np.asarray(image)[:, 8:56])
    with pytest.raises(ValueError, match="HWC uint8"):
        center_crop_resize(np.zeros((4, 4), np.uint8), 2)


def test_normalize_on_device_uses_clip_mean_and_std() -> None:
    images = torch.randint(0, 256, (2, 3, 5, 5), dtype=torch.uint8)
    mean, std = torch.tensor(CLIP_MEAN).view(3, 1, 1), torch.tensor(CLIP_STD).view(3, 1, 1)
    expected = (images.float() / 255 - mean) / std
    assert torch.allclose(normalize_on_device(images), expected, atol=1e-5)
    assert transforms.to_uint8_tensor(np.zeros((4, 6, 3), np.uint8)).shape == (3, 4, 6)
