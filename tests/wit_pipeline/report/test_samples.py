"""Report thumbnails show the pixels training sees: upright, alpha on white, 16-bit and ICC handled."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from tests.loaders.image_corpus import corpus
from wit_pipeline.report.samples import MAX_PIXELS, thumbnail

SIZE = 32


def pixels_of(uri: str) -> np.ndarray:
    prefix = "data:image/jpeg;base64,"
    assert uri.startswith(prefix)
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri[len(prefix) :]))).convert("RGB"))


def shrunk(reference: np.ndarray) -> np.ndarray:
    """``reference`` as a thumbnail would show it: fit in SIZE x SIZE, through the same JPEG encoding."""
    image = Image.fromarray(reference)
    image.thumbnail((SIZE, SIZE))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85)
    return np.asarray(Image.open(buf).convert("RGB"))


@pytest.mark.parametrize("case", corpus(), ids=lambda c: c.name)
def test_thumbnail_is_the_reference_decode_shrunk(case) -> None:
    """EXIF 1-8 upright, 16-bit not white, alpha on white, ICC in sRGB (a wrong decode is 3-125 levels off)."""
    got, want = pixels_of(thumbnail(case.data, SIZE)), shrunk(case.reference)
    assert got.shape == want.shape, case.name
    assert np.abs(got.astype(int) - want.astype(int)).mean() < 1.5, case.name


def test_an_exif_rotated_thumbnail_is_upright_not_sideways() -> None:
    """The rotated photo's thumbnail is landscape and far from its stored (sideways) pixels."""
    rotated = next(c for c in corpus() if c.name == "exif_6")
    got = pixels_of(thumbnail(rotated.data, SIZE))
    assert got.shape[1] > got.shape[0]
    stored = shrunk(np.asarray(Image.open(io.BytesIO(rotated.data)).convert("RGB")))
    assert stored.shape != got.shape


def test_undecodable_or_huge_images_have_no_thumbnail() -> None:
    assert thumbnail(b"\xff\xd8 not a jpeg", SIZE) is None
    assert thumbnail(b"", SIZE) is None
    side = int(MAX_PIXELS**0.5) + 1
    header = Image.new("L", (side, side))  # a real PNG over the pixel cap: refused before decoding
    buf = io.BytesIO()
    header.save(buf, "PNG")
    assert thumbnail(buf.getvalue(), SIZE) is None
