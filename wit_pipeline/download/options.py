"""Download settings: img2dataset's options plus wit's safety caps and deadlines."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from wit_pipeline.config import ENCODE_FORMATS, RESIZE_MODES, DownloadConfig, ShardsConfig, check_bounds, encode_quality
from wit_pipeline.download.resize import MAX_ASPECT_RATIO, MIN_IMAGE_SIZE

__all__ = ["DEFAULT_DISALLOWED", "ENCODE_FORMATS", "RESIZE_MODES", "DownloadOptions"]
DEFAULT_DISALLOWED = ("noai", "noimageai", "noindex", "noimageindex")


@dataclass(frozen=True)
class DownloadOptions:
    """How images are fetched, checked, resized and written.

    Image defaults follow DataComp's basic filter for web image-text data: a shortest side of at
    least ``min_image_size`` = 200 px (smaller images are icons and thumbnails, rejected as
    ``too_small`` rather than upscaled) and a ``max_aspect_ratio`` of 3 (banners and strips,
    ``aspect_ratio_too_large``); 0 turns either off (the resize output stays bounded, see
    ``download.resize``). ``shard_deadline`` is a hard wall-clock limit per shard: samples not
    fetched and resized by then fail with ``shard_deadline``.
    ``encode_quality`` None is the format's default (``wit_pipeline.config.ENCODE_QUALITY``). Every
    number is checked against the bounds ``[download]`` and ``[shards]`` declare in the config layer.
    Politeness (per shard task, so concurrent shards add up): ``per_host_concurrency`` requests
    to one host at a time, the host's robots.txt honoured unless ``respect_robots_txt`` is off,
    a 429/503 ``Retry-After`` honoured up to ``max_retry_after`` seconds, and ``contact`` (an
    email or URL) put in the user agent.
    """

    samples_per_shard: int = 10_000
    image_size: int = 256
    resize_mode: str = "center_crop"
    resize_only_if_bigger: bool = False
    encode_format: str = "jpg"
    encode_quality: int | None = None
    min_image_size: int = MIN_IMAGE_SIZE
    max_aspect_ratio: float = MAX_ASPECT_RATIO
    timeout: float = 10.0
    retries: int = 0
    user_agent_token: str = "wit"
    contact: str | None = None
    disallowed_header_directives: tuple[str, ...] = DEFAULT_DISALLOWED
    thread_count: int = 32
    per_host_concurrency: int = 8
    respect_robots_txt: bool = True
    max_retry_after: float = 60.0
    shard_deadline: float = 600.0
    max_bytes: int = 20_000_000
    max_pixels: int = 89_478_485
    allow_private_network: bool = False
    allow_networks: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        values = asdict(self)
        check_bounds(
            ShardsConfig, {"samples_per_shard": values.pop("samples_per_shard")}, "shards.", "download options"
        )
        check_bounds(DownloadConfig, values, "download.", "download options")

    @property
    def quality(self) -> int:
        """The quality (jpg, webp) or PNG compression level the resizer encodes with."""
        return encode_quality(self.encode_format, self.encode_quality)
