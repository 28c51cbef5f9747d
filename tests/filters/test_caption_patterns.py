"""The caption predicates on their own: what counts as a word, a letter, a URL, a file name."""

from __future__ import annotations

import pytest

from filters import caption_patterns as patterns


@pytest.mark.parametrize(
    ("text", "words"),
    [("a red bicycle", 3), ("東京タワー", 5), ("東京 tower at night", 5), ("สวัสดี ครับ", 10), ("", 0)],
)
def test_word_count_counts_characters_of_scripts_without_spaces(text: str, words: int) -> None:
    assert patterns.word_count(text) == words


def test_letter_ratio_and_repeated_tokens() -> None:
    assert patterns.letter_ratio("ab 12") == 0.5
    assert patterns.letter_ratio("---") == 0.0 and patterns.letter_ratio("") == 0.0
    assert patterns.repeated_token_ratio("Buy buy BUY now") == 0.75
    assert patterns.repeated_token_ratio("a red bicycle") == pytest.approx(1 / 3)


@pytest.mark.parametrize("text", ["see www.example.com for more", "e.g. a bike", "A.B. Smith portrait"])
def test_text_containing_a_url_or_dots_is_not_a_bare_url(text: str) -> None:
    assert not patterns.is_bare_url(text)


@pytest.mark.parametrize("text", ["image of a dog", "photo 2019 holiday in Rome", "IMG room interior design"])
def test_captions_mentioning_images_are_not_file_names_or_generic(text: str) -> None:
    assert not patterns.is_filename(text) and not patterns.is_generic(text)


@pytest.mark.parametrize("text", ["α-helix structure", "COVID-19 test", "ТВ-box Android", "東京 Tokyo"])
def test_scripts_side_by_side_are_not_mixed_script_words(text: str) -> None:
    assert not patterns.has_mixed_script_word(text)


def test_markup_needs_real_tags_not_comparisons() -> None:
    assert not patterns.has_markup("price < 5 and > 2")
    assert patterns.has_markup("<img src='x.jpg'>") and patterns.has_markup("it&#39;s")
