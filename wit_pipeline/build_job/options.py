"""Config sections → the option objects each source step takes (shared by the CLI and build), and the
check ``wit build`` makes of every step's settings before its first step runs."""

from __future__ import annotations

from dataclasses import fields
from typing import TypeVar

from crawlers.html_crawl_options import CrawlOptions, resolve_options
from crawlers.http_fetch import FetchLimits
from crawlers.url_list_import import ImportOptions
from crawlers.warc_crawl import WarcOptions
from wit_pipeline.config import BuildConfig, check_config
from wit_pipeline.errors import WitError
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


def check_build(config: BuildConfig) -> None:
    """Resolve and check every step ``wit build`` will run, so a bad setting fails before any output exists.

    Every section's bounds, choices and rules (``check_config``: a config changed in Python after it
    was loaded is checked too), then what each step checks of its own inputs before work starts: the
    sources (crawl seeds, contact), the filter settings (languages, query files), the download options,
    the image rules and their evaluation sets, the CLIP-score filter's settings and model when it is on, and
    the ``[train] model`` the same config will train.
    """
    from filters.settings import validate
    from wit_pipeline.download.flow import download_options, image_rules
    from wit_pipeline.model.config import get_model_config
    from wit_pipeline.shards.eval_sources import layout_of

    check_config(config)
    s = config.sources
    if not (s.lists or s.warc or s.seeds):
        raise WitError("config has no sources: set [sources] lists, warc or seeds")
    if s.seeds:
        resolve_options(crawl_options(config, s.seeds))
    validate(config.filters)
    download_options(config)
    try:
        get_model_config(config.train.model)
    except WitError as exc:
        raise WitError(f"'train.model': {exc}") from None
    for eval_set in image_rules(config).decontaminate:
        layout_of(eval_set)
    if config.filters.clip_model:
        from wit_pipeline.model.weights import resolve_weights
        from wit_pipeline.shards.clip_filter import clip_settings

        clip_settings(config.filters)
        resolve_weights(config.filters.clip_model)  # the model is there, not found after the download


def _from_section(cls: type[T], section: object, **extra: object) -> T:
    """``cls`` built from every field it shares with ``section`` (lists as tuples: options are hashable)."""
    shared = {f.name for f in fields(cls)} & {f.name for f in fields(section)} - set(extra)
    values = {name: getattr(section, name) for name in shared}
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}, **extra)
