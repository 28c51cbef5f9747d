"""Download settings: the ``[download]`` section plus the shard size from ``[shards]``.

``DownloadOptions`` is not a second definition of the settings: its fields, defaults, bounds and
choices are ``DownloadConfig``'s (``wit_pipeline.config``), and ``samples_per_shard`` is
``[shards] samples_per_shard``.
"""

from __future__ import annotations

from dataclasses import dataclass

from wit_pipeline.config import ENCODE_FORMATS, RESIZE_MODES, DownloadConfig, ShardsConfig, check_bounds, check_section
from wit_pipeline.config import encode_quality as format_quality

__all__ = ["ENCODE_FORMATS", "RESIZE_MODES", "DownloadOptions"]
ORIGIN = "download options"


@dataclass
class DownloadOptions(DownloadConfig):
    """How images are fetched, checked, resized and written: ``[download]`` plus ``samples_per_shard``.

    Image defaults follow DataComp's basic filter for web image-text data: a shortest side of at
    least ``min_image_size`` = 200 px (smaller images are icons and thumbnails, rejected as
    ``too_small`` rather than upscaled) and a ``max_aspect_ratio`` of 3 (banners and strips,
    ``aspect_ratio_too_large``); 0 turns either off (the resize output stays bounded, see
    ``download.resize``). ``shard_deadline`` is a hard wall-clock limit per shard: samples not
    fetched and resized by then fail with ``shard_deadline``.
    ``encode_quality`` None is the format's default (``wit_pipeline.config.ENCODE_QUALITY``).
    Politeness (per shard task, so concurrent shards add up): ``per_host_concurrency`` requests
    to one host at a time, the host's robots.txt honoured unless ``respect_robots_txt`` is off,
    a 429/503 ``Retry-After`` honoured up to ``max_retry_after`` seconds, and ``contact`` (an
    email or URL) put in the user agent. Built directly in Python, the options are checked against
    the bounds the config sections declare, with the same messages.
    """

    samples_per_shard: int = ShardsConfig.samples_per_shard

    def __post_init__(self) -> None:
        check_bounds(ShardsConfig, {"samples_per_shard": self.samples_per_shard}, "shards.", ORIGIN)
        check_section(self, ORIGIN, "download.")

    @property
    def quality(self) -> int:
        """The quality (jpg, webp) or PNG compression level the resizer encodes with."""
        return format_quality(self.encode_format, self.encode_quality)
