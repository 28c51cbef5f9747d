"""Manifest → final shards: download (raw shards in ``OUT/_raw``), then the image stage into OUT.

Also turns the ``[download]`` and ``[shards]`` config sections into the options each step takes.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from distributed import Client

from wit_pipeline.config import BuildConfig
from wit_pipeline.download.options import DownloadOptions
from wit_pipeline.download.raw_shards import download_manifest
from wit_pipeline.layout.shard_dir import FILTERED_DIR, RAW_DIR
from wit_pipeline.shards.dedup_plan import ImageRules
from wit_pipeline.shards.image_filter import filter_shards
from wit_pipeline.shards.reshard import reshard
from wit_pipeline.staging import local_output


def download_options(config: BuildConfig) -> DownloadOptions:
    """``[download]`` plus the shard size from ``[shards]`` (checked like a loaded config)."""
    return DownloadOptions(samples_per_shard=config.shards.samples_per_shard, **vars(config.download))


def image_rules(config: BuildConfig) -> ImageRules:
    """The image-stage rules of ``[shards]`` (lists as tuples: the rules are hashable)."""
    values = {f.name: getattr(config.shards, f.name) for f in fields(ImageRules)}
    return ImageRules(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


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

    With ``even_shards`` the filtered shards are repacked to ``samples_per_shard`` each. The manifest
    may be a path or an fsspec URL; ``out_dir`` is local (for a URL see ``wit_pipeline.staging``).
    """
    out = local_output(out_dir, "manifest_to_shards")
    download_manifest(manifest_dir, out / RAW_DIR, options, client=client, progress=progress)
    if not even_shards:
        return filter_shards(out / RAW_DIR, out, rules, client=client, progress=progress)
    filter_shards(out / RAW_DIR, out / FILTERED_DIR, rules, client=client, progress=progress)
    return reshard(out / FILTERED_DIR, out, options.samples_per_shard, client=client, progress=progress)
