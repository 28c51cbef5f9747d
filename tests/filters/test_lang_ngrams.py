"""langdetect's n-grams: the replayed state machine, and the vectorised windows used for speed."""

from __future__ import annotations

import random

import pytest
from langdetect.utils.ngram import NGram

from filters.lang_ngrams import gram_key, has_upper_pair, normalization_table, window_keys, word_ngrams

WORDS = ["bicycle", "Bicycle", "NASA", "iPhone", "ABCdef", "xYZw", "СССР", "Москва", "été", "a", "東京タワー", "ℂℝ"]


def langdetect_ngrams(text: str) -> list[str]:
    """What langdetect's own NGram loop extracts from ``text``."""
    ngram, out = NGram(), []
    for ch in text:
        ngram.add_char(ch)
        if ngram.capitalword:
            continue
        for n in range(1, NGram.N_GRAM + 1):
            if len(ngram.grams) < n:
                break
            w = ngram.grams[-n:]
            if w and w != " ":
                out.append(w)
    return out


@pytest.mark.parametrize("word", WORDS)
@pytest.mark.parametrize("followed", [True, False])
def test_word_ngrams_match_langdetects_state_machine(word: str, followed: bool) -> None:
    normalized = word.translate(normalization_table())
    assert sorted(word_ngrams(normalized, followed)) == sorted(langdetect_ngrams(word + (" " if followed else "")))


def test_vectorised_windows_equal_the_state_machine_for_words_without_capital_runs() -> None:
    rng = random.Random(0)
    alphabet = "abcXYZéßжЖ東京ああ" + "ℂ"
    words = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 9))) for _ in range(400)] + WORDS
    words = [w for w in words if not has_upper_pair(w)]
    flags = [rng.random() < 0.5 for _ in words]
    keys, owner = window_keys([" " + w + (" " if f else "") for w, f in zip(words, flags)])
    for i, (word, followed) in enumerate(zip(words, flags)):
        expected = sorted(gram_key(g) for g in word_ngrams(word, followed))
        assert sorted(keys[owner == i].tolist()) == expected, word


def test_upper_pairs_follow_str_isupper_in_every_script() -> None:
    assert [has_upper_pair(w) for w in ["NASA", "iPhone", "СССР", "Москва", "ℂℝ", "東京"]] == [
        True,
        False,
        True,
        False,
        True,
        False,
    ]


def test_keys_are_distinct_and_normalisation_matches_langdetect() -> None:
    grams = ["a", " a", "a ", " a ", "ab", "abc", "東京", "ж"]
    assert len({gram_key(g) for g in grams}) == len(grams)
    table = normalization_table()
    for ch in "a.Zあア가中,\u3000\u2019":
        assert ch.translate(table) == NGram.normalize(ch)
