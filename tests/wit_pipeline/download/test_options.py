"""Download options are checked once, at config load, against bounds declared in the config layer."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from tests.wit_pipeline.cli.test_cli import assert_one_line_error, wit
from wit_pipeline.config import apply_overrides, load_config
from wit_pipeline.download.flow import download_options
from wit_pipeline.download.options import DownloadOptions
from wit_pipeline.download.shard_task import make_resizer
from wit_pipeline.errors import WitError

BAD = [
    ("download.encode_quality", 1000, "'download.encode_quality' must be between 0 and 100 for jpg"),
    ("download.retries", -1, "'download.retries' must be between 0 and 100, got -1"),
    ("download.timeout", float("nan"), "'download.timeout' must be a finite number, got nan"),
    ("download.timeout", float("inf"), "'download.timeout' must be a finite number, got inf"),
    ("download.timeout", 0.0, "'download.timeout' must be greater than 0"),
    ("download.timeout", -3.0, "'download.timeout' must be greater than 0"),
    ("download.shard_deadline", 0.0, "'download.shard_deadline' must be greater than 0"),
    ("download.max_aspect_ratio", -2.0, "'download.max_aspect_ratio' must be at least 1 (or 0 for no limit)"),
    ("download.max_aspect_ratio", 0.5, "'download.max_aspect_ratio' must be at least 1 (or 0 for no limit)"),
    ("shards.max_aspect_ratio", -1.0, "'shards.max_aspect_ratio' must be at least 1"),
    ("shards.phash_distance", 65, "'shards.phash_distance' must be between 0 and 64, got 65"),
    ("shards.phash_distance", -1, "'shards.phash_distance' must be between 0 and 64, got -1"),
    ("download.image_size", 0, "'download.image_size' must be at least 1"),
    ("download.thread_count", 0, "'download.thread_count' must be between 1 and 1024"),
    ("download.min_image_size", -5, "'download.min_image_size' must be at least 0"),
    ("download.max_bytes", 0, "'download.max_bytes' must be at least 1"),
    ("shards.samples_per_shard", 0, "'shards.samples_per_shard' must be at least 1"),
    ("download.resize_mode", "stretch", "'download.resize_mode' must be one of no, keep_ratio"),
    ("download.encode_format", "gif", "'download.encode_format' must be one of jpg, webp, png"),
]


@pytest.mark.parametrize(("key", "value", "message"), BAD)
def test_each_out_of_range_option_is_a_one_line_error_at_load(key: str, value, message: str) -> None:
    with pytest.raises(WitError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        apply_overrides(load_config(None), {key: value})
    assert "\n" not in str(info.value)


def test_a_config_file_is_checked_when_loaded(tmp_path: Path) -> None:
    path = tmp_path / "build.toml"
    path.write_text("[download]\ntimeout = nan\n")
    with pytest.raises(WitError, match=f"{path}: 'download.timeout' must be a finite number"):
        load_config(path)
    path.write_text('[download]\nencode_format = "png"\nencode_quality = 95\n')
    with pytest.raises(WitError, match="between 0 and 9 for png .the PNG compression level"):
        load_config(path)


def test_library_options_check_the_same_bounds() -> None:
    for kwargs in ({"retries": -1}, {"timeout": float("nan")}, {"encode_quality": 0, "encode_format": "webp"}):
        with pytest.raises(WitError, match="download options: 'download."):
            DownloadOptions(**kwargs)
    with pytest.raises(WitError, match="'shards.samples_per_shard'"):
        DownloadOptions(samples_per_shard=0)


@pytest.mark.parametrize(
    ("fmt", "quality", "expected"), [("png", None, 6), ("png", 9, 9), ("jpg", None, 95), ("webp", 80, 80)]
)
def test_every_format_encodes_with_its_default_or_given_quality(fmt: str, quality, expected: int) -> None:
    config = apply_overrides(
        load_config(None),
        {
            "download.encode_format": fmt,
            "download.encode_quality": quality,
            "download.image_size": 16,
            "download.min_image_size": 0,
        },
    )
    options = download_options(config)
    assert options.quality == expected
    source = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(source, "PNG")
    resized = make_resizer(options)(source.getvalue())
    assert (resized.width, resized.height) == (16, 16)
    assert Image.open(io.BytesIO(resized.data)).format == {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}[fmt]


def test_cli_flags_are_checked_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    for flags, fragment in (
        (["--encode-quality", "1000"], "'download.encode_quality' must be between 0 and 100 for jpg (the jpg quality)"),
        (["--timeout", "nan"], "'download.timeout' must be a finite number"),
    ):
        result = wit("download", str(tmp_path / "m"), "--out", str(tmp_path / "s"), "--workers", "1", *flags)
        assert_one_line_error(result, fragment)
        assert not (tmp_path / "s").exists()
