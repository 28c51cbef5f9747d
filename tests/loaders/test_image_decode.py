"""The one image decode: every corpus case decodes to its reference pixels, on the loader and eval paths too."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from loaders import image_decode
from loaders.image_decode import decode_rgb, jpeg_segments, read_header
from loaders.transforms import decode_crop
from tests.loaders.image_corpus import HEIGHT, WIDTH, Case, corpus, exif_jpeg, icc_cases, upright
from wit_pipeline.eval.features import eval_transform

CASES = corpus()
TOLERANCE = 2  # levels, per pixel


def centre_square(pixels: np.ndarray) -> np.ndarray:
    height, width = pixels.shape[:2]
    side = min(width, height)
    top, left = (height - side) // 2, (width - side) // 2
    return pixels[top : top + side, left : left + side]


def assert_close(got: np.ndarray, want: np.ndarray, name: str) -> None:
    assert got.shape == want.shape, f"{name}: shape {got.shape} != {want.shape}"
    worst = int(np.abs(got.astype(int) - want.astype(int)).max())
    assert worst <= TOLERANCE, f"{name}: off by {worst} levels"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@pytest.mark.parametrize("decoder", ["auto", "pil"])
def test_decode_matches_the_reference(case: Case, decoder: str) -> None:
    header = read_header(case.data, decoder)
    assert (header.width, header.height) == (case.reference.shape[1], case.reference.shape[0])
    assert_close(decode_rgb(case.data, header), case.reference, case.name)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_loader_and_eval_paths_give_the_same_pixels(case: Case) -> None:
    side = min(case.reference.shape[:2])  # crop side == output size: no interpolation between the paths
    want = centre_square(case.reference)
    loader = decode_crop(case.data, side, train=False).permute(1, 2, 0).numpy()
    assert_close(loader, want, f"{case.name} (loader decode_crop)")
    evaluated = eval_transform(side)(case.data).permute(1, 2, 0).numpy()  # wit eval, wit embed, wit search
    assert_close(evaluated, want, f"{case.name} (eval/embed transform)")


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_rotated_photos_are_upright_not_just_equal_to_pil(orientation: int) -> None:
    decoded = decode_rgb(exif_jpeg(orientation).data)
    assert decoded.shape == (HEIGHT, WIDTH, 3)
    assert np.abs(decoded.astype(int) - upright().astype(int)).mean() < 3


def test_sixteen_bit_and_transparent_images_are_not_white_or_black() -> None:
    by_name = {case.name: case for case in CASES}
    for name in ("rgb16", "grey16", "rgba16"):
        assert decode_rgb(by_name[name].data).mean() < 200, f"{name} decoded (nearly) all white"
    rgba = decode_rgb(by_name["rgba"].data)
    assert (rgba[:, :5] == 255).all(), "fully transparent pixels are the white background"


def test_icc_profile_changes_the_pixels() -> None:
    for case in icc_cases():
        plain = np.asarray(Image.open(io.BytesIO(case.data)).convert("RGB")).astype(int)
        converted = decode_rgb(case.data).astype(int)
        assert np.abs(converted - plain).mean() > 3, f"{case.name}: the profile was not applied"


def test_plain_and_oriented_jpegs_stay_on_the_fast_path_and_profiled_ones_leave_it() -> None:
    plain = io.BytesIO()
    Image.fromarray(upright()).save(plain, "JPEG", quality=90)
    fast = image_decode.simplejpeg is not None
    assert read_header(plain.getvalue()).fast_jpeg is fast
    for orientation in range(1, 9):
        header = read_header(exif_jpeg(orientation).data)
        assert header.fast_jpeg is fast and header.orientation == (orientation if fast else 1)
    assert not read_header(icc_cases()[0].data).fast_jpeg


@pytest.mark.parametrize("orientation", range(1, 9))
def test_the_header_walk_reads_the_orientation_pil_reads(orientation: int) -> None:
    data = exif_jpeg(orientation).data
    found, has_icc, scan = jpeg_segments(data)
    assert found == Image.open(io.BytesIO(data)).getexif()[0x0112] == orientation
    assert not has_icc and scan > 0


def test_jpeg_segments_skip_the_exif_thumbnail() -> None:
    thumb = io.BytesIO()
    Image.fromarray(upright(16, 16)).save(thumb, "JPEG")
    exif = Image.Exif()
    exif[0x0112] = 1
    body = io.BytesIO()
    Image.fromarray(upright()).save(body, "JPEG", exif=exif.tobytes() + thumb.getvalue())
    data = body.getvalue()
    _, _, scan = jpeg_segments(data)
    assert scan > data.index(thumb.getvalue()[-2:])  # the main scan, after the embedded thumbnail


def test_a_truncated_or_foreign_byte_string_raises() -> None:
    with pytest.raises((OSError, ValueError)):
        decode_rgb(b"GIF89a not really")
    with pytest.raises((OSError, ValueError)):
        decode_rgb(exif_jpeg(6).data[:300])
