"""The download resizer: wit's decode under img2dataset's resize modes, with bounded output."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import webdataset as wds
from PIL import Image

from tests.loaders.image_corpus import Case, corpus, png_bytes, upright
from tests.wit_pipeline.download.image_server import image_server
from tests.wit_pipeline.download.test_download import options, write_manifest
from wit_pipeline.download.raw_shards import download_manifest
from wit_pipeline.download.resize import MAX_OUTPUT_ASPECT, ImageResizer, ResizeError
from wit_pipeline.layout.shard_dir import reason_of

CASES = corpus()


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


def png(width: int, height: int) -> bytes:
    return png_bytes(np.full((height, width, 3), 120, np.uint8), 8, 2)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_resizer_output_matches_the_reference_decode(case: Case) -> None:
    height, width = case.reference.shape[:2]
    side = min(width, height)
    resizer = ImageResizer(side, "center_crop", encode_format="png", encode_quality=1, min_image_size=0)
    out = resizer(case.data)
    top, left = (height - side) // 2, (width - side) // 2
    want = case.reference[top : top + side, left : left + side].astype(int)
    assert (out.original_width, out.original_height) == (width, height)
    assert np.abs(pixels(out.data) - want).max() <= 2, case.name


def test_downloaded_shards_hold_the_reference_pixels(tmp_path: Path) -> None:
    files = {f"/corpus/{case.name}": case.data for case in CASES}
    with image_server(files) as base:
        manifest = write_manifest(tmp_path / "m", [base + path for path in files], rows_per_part=50)
        settings = options(
            resize_mode="no", encode_format="png", encode_quality=1, min_image_size=0, samples_per_shard=64
        )
        download_manifest(manifest, tmp_path / "s", settings, progress=False)
    table = pd.concat(pd.read_parquet(p) for p in sorted((tmp_path / "s").glob("*.parquet")))
    assert (table["status"] == "success").all(), table["error_message"].tolist()
    names = {row.key: row.url.rsplit("/", 1)[-1] for row in table.itertuples()}
    by_name = {case.name: case for case in CASES}
    seen = 0
    for sample in wds.WebDataset(sorted(str(p) for p in (tmp_path / "s").glob("*.tar")), shardshuffle=False):
        case = by_name[names[sample["__key__"]]]
        got = pixels(sample["png"])
        assert got.shape == case.reference.shape and np.abs(got - case.reference).max() <= 2, case.name
        seen += 1
    assert seen == len(CASES)


def test_a_20000x1_banner_never_becomes_a_huge_image() -> None:
    banner = png(20000, 1)
    for mode in ("center_crop", "keep_ratio", "keep_ratio_largest", "border"):
        resizer = ImageResizer(256, mode, min_image_size=0, max_aspect_ratio=0)
        try:
            out = resizer(banner)
        except ResizeError as exc:
            assert exc.reason == "aspect_ratio_too_large"
            continue
        assert max(out.width, out.height) <= 256 * MAX_OUTPUT_ASPECT, mode
    with pytest.raises(ResizeError) as refused:
        ImageResizer(256)(banner)  # the default options
    assert refused.value.reason in ("too_small", "aspect_ratio_too_large")
    with pytest.raises(ResizeError) as refused:
        ImageResizer(256, min_image_size=0)(banner)
    assert refused.value.reason == "aspect_ratio_too_large"


def test_center_crop_cuts_before_resizing() -> None:
    out = ImageResizer(64, "center_crop", min_image_size=0, max_aspect_ratio=0)(png(4000, 10))
    assert (out.width, out.height) == (64, 64)


def test_small_images_are_too_small_not_upscaled() -> None:
    with pytest.raises(ResizeError) as refused:
        ImageResizer(256)(png(16, 16))
    assert refused.value.reason == "too_small"
    assert ImageResizer(256, min_image_size=0)(png(16, 16)).width == 256  # opted out: upscaled as asked


def test_too_small_is_counted_in_the_funnel(tmp_path: Path) -> None:
    files = {"/icon.png": png(16, 16), "/photo.png": png(300, 240), "/banner.png": png(1000, 210)}
    with image_server(files) as base:
        manifest = write_manifest(tmp_path / "m", [base + p for p in files])
        stats = download_manifest(
            manifest, tmp_path / "s", options(min_image_size=200, max_aspect_ratio=3), progress=False
        )
    table = pd.concat(pd.read_parquet(p) for p in sorted((tmp_path / "s").glob("*.parquet")))
    reasons = {u.rsplit("/", 1)[-1]: reason_of(m) if m else None for u, m in zip(table["url"], table["error_message"])}
    assert reasons == {"icon.png": "too_small", "photo.png": None, "banner.png": "aspect_ratio_too_large"}
    assert stats["funnel"][-1]["rejected"] == {"too_small": 1, "aspect_ratio_too_large": 1}


@pytest.mark.parametrize("mode", ["center_crop", "keep_ratio", "keep_ratio_largest", "border", "no"])
def test_resize_modes_give_img2dataset_sizes(mode: str) -> None:
    from img2dataset.resizer import Resizer

    for width, height, only_if_bigger in ((400, 300, False), (120, 90, False), (120, 90, True), (300, 400, True)):
        data = png_bytes(upright(width, height), 8, 2)  # gradients: interpolation differences would show
        theirs = Resizer(256, mode, only_if_bigger, encode_format="png", encode_quality=1)(io.BytesIO(data))
        ours = ImageResizer(256, mode, only_if_bigger, encode_format="png", encode_quality=1, min_image_size=0)(data)
        assert (ours.width, ours.height) == (theirs[1], theirs[2]), (mode, width, height, only_if_bigger)
        # center_crop cuts before resizing: the same picture up to sub-pixel placement (hard edges move)
        assert np.abs(pixels(ours.data) - pixels(theirs[0])).mean() <= 2
