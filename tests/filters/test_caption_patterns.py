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


@pytest.mark.parametrize(
    "text", ["/static/img/a photo of my dog.jpg", "../_images/x.png", "images//x.png", "C:\\photos\\beach.JPG"]
)
def test_paths_to_image_files_are_file_names(text: str) -> None:
    assert patterns.is_filename(text)


@pytest.mark.parametrize("text", ["https://example.com/a.jpg", "AC/DC on stage in 1979", "before/after the storm"])
def test_urls_and_slashes_in_prose_are_not_file_names(text: str) -> None:
    assert not patterns.is_filename(text)


def test_wide_characters_count_twice_towards_the_character_minimum() -> None:
    assert patterns.display_width("备份数据库") == 10 and patterns.display_width("言語の選択") == 10
    assert patterns.display_width("데이터베이스") == 12 and patterns.display_width("a red bicycle") == 13
    assert patterns.display_width("Thunderbird 电子邮件软件") == 12 + 12


def test_an_acronym_in_a_cjk_sentence_is_not_a_repeated_token() -> None:
    assert patterns.repeated_token_ratio("SSH 客户端 SSH") == pytest.approx(2 / 5)
    assert patterns.repeated_token_ratio("ha ha ha") == 1.0
