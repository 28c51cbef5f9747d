"""Download settings: img2dataset's options plus wit's safety caps and deadlines."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from wit_pipeline.errors import WitError

RESIZE_MODES = ("no", "keep_ratio", "center_crop", "border", "keep_ratio_largest")
ENCODE_FORMATS = ("jpg", "png", "webp")
DEFAULT_DISALLOWED = ("noai", "noimageai", "noindex", "noimageindex")


@dataclass(frozen=True)
class DownloadOptions:
    """How images are fetched, checked, resized and written.

    ``max_aspect_ratio`` and ``min_image_size`` of 0 mean no limit. ``shard_deadline`` is a
    hard wall-clock limit per shard: samples still pending then fail with ``shard_deadline``.
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
    encode_quality: int = 95
    min_image_size: int = 0
    max_aspect_ratio: float = 0.0
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
        if self.resize_mode not in RESIZE_MODES:
            raise WitError(f"download.resize_mode: '{self.resize_mode}' is not one of {', '.join(RESIZE_MODES)}")
        if self.encode_format not in ENCODE_FORMATS:
            raise WitError(f"download.encode_format: '{self.encode_format}' is not one of {', '.join(ENCODE_FORMATS)}")
        for name in (
            "samples_per_shard",
            "image_size",
            "thread_count",
            "per_host_concurrency",
            "max_bytes",
            "max_pixels",
        ):
            if getattr(self, name) < 1:
                raise WitError(f"download.{name} must be at least 1, got {getattr(self, name)}")
        if self.timeout <= 0 or self.shard_deadline <= 0:
            raise WitError("download.timeout and download.shard_deadline must be positive")
        if not 0 <= self.max_retry_after < math.inf:
            raise WitError(f"download.max_retry_after must be a number of at least 0, got {self.max_retry_after}")
