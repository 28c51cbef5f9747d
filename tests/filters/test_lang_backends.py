"""Backends: codes in langdetect's convention, determinism, refusing languages a backend lacks."""

from __future__ import annotations

import pytest

from filters.lang_backends import check_languages, get_backend, supported_languages
from filters.lang_nb import NaiveBayesDetector
from wit_pipeline.errors import WitError


@pytest.mark.parametrize("backend", ["auto", "nb", "langdetect", "cld2"])
def test_codes_follow_langdetect_conventions(backend: str) -> None:
    codes = get_backend(backend).languages
    assert {"en", "de", "he", "zh-cn", "zh-tw"} <= codes
    assert "iw" not in codes and "zh-Hant" not in codes


def test_languages_known_without_a_model_match_the_model() -> None:
    assert supported_languages("nb") == frozenset(NaiveBayesDetector().languages)


def test_langdetect_backend_is_seeded_and_deterministic() -> None:
    texts = ["ha ha", "photo", "Bar admit address.", "un petit chien"]
    first = get_backend("langdetect").detect(texts)
    assert get_backend("langdetect").detect(texts) == first
    assert get_backend("langdetect").detect([""]) == ([None], [0.0])


def test_cld2_answers_hebrew_and_traditional_chinese_in_langdetect_codes() -> None:
    found = get_backend("cld2").detect(["שלום עולם, זהו משפט בעברית על כלב קטן", "這是一隻在海灘上玩耍的小狗"])
    assert found[0] == ["he", "zh-tw"]


def test_unknown_language_or_backend_is_a_user_error() -> None:
    with pytest.raises(WitError, match="filters.languages: 'an'"):
        check_languages("langdetect", ["en", "an"])
    with pytest.raises(WitError, match="filters.lang_backend"):
        get_backend("fasttext")
    check_languages("nb", ["en", "zh"])
