"""Manifest → final shards: download (raw shards in ``OUT/_raw``), then the image stage into OUT.

Also turns the ``[download]`` and ``[shards]`` config sections into the options each step takes.
"""

from __future__ import annotations

from pathlib import Path

from distributed import Client

from wit_pipeline.config import BuildConfig
from wit_pipeline.download.download import download_manifest
from wit_pipeline.download.options import DownloadOptions
from wit_pipeline.shards.dedup_plan import ImageRules
from wit_pipeline.shards.image_filter import filter_shards
from wit_pipeline.shards.reshard import reshard

RAW_DIR = "_raw"
FILTERED_DIR = "_filtered"


def download_options(config: BuildConfig) -> DownloadOptions:
    d = config.download
    return DownloadOptions(
        samples_per_shard=config.shards.samples_per_shard,
        image_size=d.image_size,
        resize_mode=d.resize_mode,
        resize_only_if_bigger=d.resize_only_if_bigger,
        encode_format=d.encode_format,
        encode_quality=d.encode_quality,
        min_image_size=d.min_image_size,
        max_aspect_ratio=d.max_aspect_ratio,
        timeout=d.timeout,
        retries=d.retries,
        user_agent_token=d.user_agent_token,
        disallowed_header_directives=tuple(d.disallowed_header_directives),
        thread_count=d.thread_count,
        shard_deadline=d.shard_deadline,
        max_bytes=d.max_bytes,
        max_pixels=d.max_pixels,
        allow_private_network=d.allow_private_network,
        allow_networks=tuple(d.allow_networks),
    )


def image_rules(config: BuildConfig) -> ImageRules:
    s = config.shards
    return ImageRules(
        exact_dedup=s.exact_dedup,
        phash_dedup=s.phash_dedup,
        phash_distance=s.phash_distance,
        min_side=s.min_side,
        max_aspect_ratio=s.max_aspect_ratio,
    )


def manifest_to_shards(
    manifest_dir: str | Path,
    out_dir: str | Path,
    options: DownloadOptions,
    rules: ImageRules,
    client: Client | None = None,
    progress: bool = True,
    even_shards: bool = False,
) -> dict:
    """Download ``manifest_dir`` and write deduplicated, filtered shards to ``out_dir``.

    With ``even_shards`` the filtered shards are repacked to ``samples_per_shard`` each.
    """
    out = Path(out_dir)
    download_manifest(manifest_dir, out / RAW_DIR, options, client=client, progress=progress)
    if not even_shards:
        return filter_shards(out / RAW_DIR, out, rules, client=client, progress=progress)
    filter_shards(out / RAW_DIR, out / FILTERED_DIR, rules, client=client, progress=progress)
    return reshard(out / FILTERED_DIR, out, options.samples_per_shard, client=client, progress=progress)
