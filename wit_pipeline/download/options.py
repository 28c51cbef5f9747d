"""Download settings: img2dataset's options plus wit's safety caps and deadlines."""

from __future__ import annotations

from dataclasses import dataclass, field

from wit_pipeline.download.resize import MAX_ASPECT_RATIO, MIN_IMAGE_SIZE
from wit_pipeline.errors import WitError

RESIZE_MODES = ("no", "keep_ratio", "center_crop", "border", "keep_ratio_largest")
ENCODE_FORMATS = ("jpg", "png", "webp")
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
    """

    samples_per_shard: int = 10_000
    image_size: int = 256
    resize_mode: str = "center_crop"
    resize_only_if_bigger: bool = False
    encode_format: str = "jpg"
    encode_quality: int = 95
    min_image_size: int = MIN_IMAGE_SIZE
    max_aspect_ratio: float = MAX_ASPECT_RATIO
    timeout: float = 10.0
    retries: int = 0
    user_agent_token: str = "wit"
    disallowed_header_directives: tuple[str, ...] = DEFAULT_DISALLOWED
    thread_count: int = 32
    shard_deadline: float = 600.0
    max_bytes: int = 20_000_000
    max_pixels: int = 89_478_485
    allow_private_network: bool = False
    allow_networks: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.resize_mode not in RESIZE_MODES:
            raise WitError(f"download.resize_mode: '{self.resize_mode}' is not one of {', '.join(RESIZE_MODES)}")
        if self.encode_format not in ENCODE_FORMATS:
            raise WitError(f"download.encode_format: '{self.encode_format}' is not one of {', '.join(ENCODE_FORMATS)}")
        for name in ("samples_per_shard", "image_size", "thread_count", "max_bytes", "max_pixels"):
            if getattr(self, name) < 1:
                raise WitError(f"download.{name} must be at least 1, got {getattr(self, name)}")
        if self.timeout <= 0 or self.shard_deadline <= 0:
            raise WitError("download.timeout and download.shard_deadline must be positive")
