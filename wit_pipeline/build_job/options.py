"""Config sections → the option objects each source step takes (shared by the CLI and build)."""

from __future__ import annotations

from dataclasses import fields
from typing import TypeVar

from crawlers.html_crawl_options import CrawlOptions
from crawlers.http_fetch import FetchLimits
from crawlers.url_list_import import ImportOptions
from crawlers.warc_crawl import WarcOptions
from wit_pipeline.config import BuildConfig
from wit_pipeline.manifest import ManifestLimits

T = TypeVar("T")


def manifest_limits(config: BuildConfig) -> ManifestLimits:
    """The manifest field caps of ``[sources]``."""
    return _from_section(ManifestLimits, config.sources)


def import_options(config: BuildConfig) -> ImportOptions:
    """The URL-list import settings of a resolved config."""
    return _from_section(ImportOptions, config.sources, limits=manifest_limits(config))


def warc_options(config: BuildConfig) -> WarcOptions:
    """The WARC/WAT reading settings of a resolved config."""
    return _from_section(WarcOptions, config.sources, limits=manifest_limits(config))


def crawl_options(config: BuildConfig, seeds: list[str]) -> CrawlOptions:
    """The HTML crawl settings of a resolved config."""
    fetch = _from_section(FetchLimits, config.sources)
    return _from_section(CrawlOptions, config.sources, seeds=tuple(seeds), fetch=fetch, limits=manifest_limits(config))


def _from_section(cls: type[T], section: object, **extra: object) -> T:
    """``cls`` built from every field it shares with ``section`` (lists as tuples: options are hashable)."""
    shared = {f.name for f in fields(cls)} & {f.name for f in fields(section)} - set(extra)
    values = {name: getattr(section, name) for name in shared}
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}, **extra)
