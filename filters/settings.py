"""The ``[filters]`` config section checked and turned into stages.

Every bad value is a ``WitError`` naming its key, raised before any work starts.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from filters.caption_rules import CaptionRules, CaptionStage
from filters.dedup import KEYS
from filters.lang_backends import BACKENDS, check_languages
from filters.language import UNDETECTED_RULES, LanguageStage
from filters.near_dup import SCOPES, NearDup
from filters.queries import canonical, read_entries
from wit_pipeline.config import FiltersConfig
from wit_pipeline.errors import WitError
from wit_pipeline.runtime import Stage

NO_BACKEND = "none"


def validate(config: FiltersConfig) -> None:
    """Check every ``[filters]`` value; the message names the key and what it accepts."""
    _one_of("dedup_key", config.dedup_key, KEYS)
    _one_of("lang_backend", config.lang_backend, (*BACKENDS, NO_BACKEND))
    _one_of("undetected_lang", config.undetected_lang, UNDETECTED_RULES)
    _one_of("near_dup_scope", config.near_dup_scope, SCOPES)
    for key in ("near_dup_threshold", "min_lang_score", "min_letter_ratio", "max_repeat_ratio"):
        value = getattr(config, key)
        if not 0.0 <= value <= 1.0:
            raise WitError(f"filters.{key}: must be between 0 and 1, got {value}")
    for key in ("min_words", "min_chars", "query_cap", "near_dup_min_chars"):
        if getattr(config, key) < 0:
            raise WitError(f"filters.{key}: must not be negative, got {getattr(config, key)}")
    if config.max_chars < 1:
        raise WitError(f"filters.max_chars: must be at least 1, got {config.max_chars}")
    if config.near_dup and config.dedup_key == "none":
        raise WitError("filters.near_dup: needs dedup (filters.dedup_key url or uid)")
    if config.lang_backend != NO_BACKEND:
        check_languages(config.lang_backend, config.languages)
    elif config.languages:
        raise WitError("filters.languages: keeping languages needs a filters.lang_backend other than none")
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
    if config.lang_backend != NO_BACKEND:
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


def _one_of(key: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise WitError(f"filters.{key}: expected one of {', '.join(allowed)}, got '{value}'")
