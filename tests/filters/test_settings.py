"""[filters] validation: each bad value is a one-line user error naming its key; stages follow the config."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from filters.caption_rules import CaptionStage
from filters.language import LanguageStage
from filters.settings import clean_stages, near_dup, validate
from wit_pipeline.config import FiltersConfig
from wit_pipeline.errors import WitError

DEFAULTS = FiltersConfig()


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"dedup_key": "md5"}, "filters.dedup_key"),
        ({"lang_backend": "fasttext"}, "filters.lang_backend"),
        ({"undetected_lang": "drop"}, "filters.undetected_lang"),
        ({"near_dup_scope": "site"}, "filters.near_dup_scope"),
        ({"near_dup_threshold": 1.5}, "filters.near_dup_threshold"),
        ({"min_lang_score": -0.1}, "filters.min_lang_score"),
        ({"min_words": -1}, "filters.min_words"),
        ({"query_cap": -5}, "filters.query_cap"),
        ({"max_chars": 0}, "filters.max_chars"),
        ({"near_dup": True, "dedup_key": "none"}, "filters.near_dup"),
        ({"languages": ["en", "an"]}, "filters.languages"),
        ({"lang_backend": "none"}, "filters.languages"),
    ],
)
def test_bad_values_name_their_key(changes: dict, key: str) -> None:
    with pytest.raises(WitError, match=key):
        validate(replace(DEFAULTS, **changes))


def test_query_files_are_checked_up_front(tmp_path: Path) -> None:
    with pytest.raises(WitError, match="not found"):
        validate(replace(DEFAULTS, queries=str(tmp_path / "missing.txt")))
    empty = tmp_path / "empty.json"
    empty.write_text("[]", encoding="utf-8")
    with pytest.raises(WitError, match="filters.extra_queries"):
        validate(replace(DEFAULTS, extra_queries=str(empty)))
    validate(replace(DEFAULTS, query_matching=False, queries=str(tmp_path / "missing.txt")))


def test_stages_follow_the_config() -> None:
    caption, language = clean_stages(replace(DEFAULTS, languages=["de"], min_words=5))
    assert isinstance(caption, CaptionStage) and caption.rules.min_words == 5
    assert isinstance(language, LanguageStage) and language.languages == ("de",)
    assert clean_stages(replace(DEFAULTS, caption_rules=False, lang_backend="none", languages=[])) == []
    assert near_dup(DEFAULTS) is None
    assert near_dup(replace(DEFAULTS, near_dup=True, near_dup_scope="domain")).scope == "domain"
