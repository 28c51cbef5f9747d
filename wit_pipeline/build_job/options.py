"""Config sections → the option objects each source step takes (shared by the CLI and build)."""

from __future__ import annotations

from crawlers.html_crawl_options import CrawlOptions
from crawlers.http_fetch import FetchLimits
from crawlers.url_list_import import ImportOptions
from crawlers.warc_crawl import WarcOptions
from wit_pipeline.config import BuildConfig
from wit_pipeline.manifest import ManifestLimits


def manifest_limits(config: BuildConfig) -> ManifestLimits:
    s = config.sources
    return ManifestLimits(max_url_length=s.max_url_length, max_caption_length=s.max_caption_length)


def import_options(config: BuildConfig) -> ImportOptions:
    """The URL-list import settings of a resolved config."""
    s = config.sources
    return ImportOptions(
        format=s.format,
        url_col=s.url_col,
        caption_col=s.caption_col,
        rows_per_part=s.rows_per_part,
        limits=manifest_limits(config),
        tsv_quoted=s.tsv_quoted,
    )


def warc_options(config: BuildConfig) -> WarcOptions:
    """The WARC/WAT reading settings of a resolved config."""
    s = config.sources
    return WarcOptions(rows_per_part=s.rows_per_part, max_bytes=s.max_bytes, limits=manifest_limits(config))


def crawl_options(config: BuildConfig, seeds: list[str]) -> CrawlOptions:
    """The HTML crawl settings of a resolved config."""
    s = config.sources
    return CrawlOptions(
        seeds=tuple(seeds),
        contact=s.contact,
        user_agent=s.user_agent,
        allowed_domains=tuple(s.allowed_domains),
        max_pages=s.max_pages,
        max_depth=s.max_depth,
        max_redirects=s.max_redirects,
        concurrency=s.concurrency,
        per_host_concurrency=s.per_host_concurrency,
        delay=s.delay,
        max_crawl_delay=s.max_crawl_delay,
        fetch=FetchLimits(s.connect_timeout, s.read_timeout, s.total_timeout, s.max_bytes),
        allow_private_network=s.allow_private_network,
        allow_networks=tuple(s.allow_networks),
        rows_per_part=s.rows_per_part,
        limits=manifest_limits(config),
    )
