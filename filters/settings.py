"""The ``[filters]`` config section checked and turned into stages.

Every bad value is a ``WitError`` naming its key, raised before any work starts.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from filters.caption_rules import CaptionRules, CaptionStage
from filters.lang_backends import check_languages
from filters.language import LanguageStage
from filters.near_dup import NearDup
from filters.queries import canonical, read_entries
from wit_pipeline.config import NO_LANG_BACKEND, FiltersConfig, check_section
from wit_pipeline.errors import WitError
from wit_pipeline.runtime import Stage


def validate(config: FiltersConfig) -> None:
    """Check every ``[filters]`` value; the message names the key and what it accepts.

    The bounds, choices and cross-key rules are the section's own (``check_section``, the same check a
    loaded config gets); on top, what only the filter library can tell: that the language backend
    knows the languages, and that the query lists can be read and hold entries.
    """
    check_section(config, "filter settings")
    if config.lang_backend != NO_LANG_BACKEND:
        check_languages(config.lang_backend, config.languages)
    if config.query_matching:
        for key in ("queries", "extra_queries"):
            path = getattr(config, key)
            if path and not canonical(read_entries(path), config.query_case_sensitive):
                raise WitError(f"{path}: the query list (filters.{key}) has no entries")


def clean_stages(config: FiltersConfig) -> list[Stage]:
    """The per-partition stages before dedup: caption rules, then language."""
    stages: list[Stage] = []
    if config.caption_rules:
        rules = CaptionRules(
            min_words=config.min_words,
            min_chars=config.min_chars,
            max_chars=config.max_chars,
            min_letter_ratio=config.min_letter_ratio,
            max_repeat_ratio=config.max_repeat_ratio,
        )
        stages.append(CaptionStage(rules))
    if config.lang_backend != NO_LANG_BACKEND:
        stages.append(
            LanguageStage(
                backend=config.lang_backend,
                languages=tuple(config.languages),
                min_score=config.min_lang_score,
                undetected=config.undetected_lang,
            )
        )
    return stages


def near_dup(config: FiltersConfig) -> NearDup | None:
    """The near-duplicate settings, or None when near-dup is off."""
    if not config.near_dup:
        return None
    return NearDup(config.near_dup_scope, config.near_dup_threshold, config.near_dup_min_chars)


def remove_intermediate(work: Path) -> None:
    """Delete the intermediate step outputs once the final output and query table are in place."""
    if work.exists():
        shutil.rmtree(work)
