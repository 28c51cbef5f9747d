"""The ``auto`` language backend: CLD2 where it is reliable, langdetect's model where it is not.

Alt text is short, and short text is where detectors fail: langdetect's model calls
"a pink ring" Lithuanian and "Red circle, digital art" Italian; CLD2 finds nothing reliable
in "a blue square" and, rarely, calls a Spanish caption English. ``auto`` combines them:

1. CLD2 answers when it says its answer is reliable (most captions of a few words or more).
2. Otherwise langdetect's model (``lang_nb``) answers.
3. When both answered and disagree, each answer's words are scored under wordfreq's word
   frequencies for that language, and the more likely one wins (a two-language unigram model;
   wordfreq lists load only for the languages that come up).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import wordfreq

if TYPE_CHECKING:  # lang_backends imports this module
    from filters.lang_backends import LangBackend

MIN_WORD_FREQUENCY = 1e-8
_WORDFREQ_CODES = {"tl": "fil", "no": "nb", "zh-cn": "zh", "zh-tw": "zh"}


@functools.cache
def _wordfreq_languages() -> frozenset[str]:
    return frozenset(wordfreq.available_languages("best"))


@functools.cache
def _frequencies(code: str) -> dict[str, float]:
    return wordfreq.get_frequency_dict(code, wordlist="best")


def word_log_likelihood(text: str, lang: str) -> float | None:
    """Log-probability of ``text``'s words under ``lang``'s word frequencies; None if wordfreq lacks ``lang``.

    Words come from wordfreq's language-independent ``simple_tokenize`` and are looked up in the
    frequency table directly: wordfreq's own per-language tokenizers need optional packages
    (jieba for Chinese, MeCab for Japanese and Korean). Unsegmented CJK runs then score as rare
    words in every language, which leaves such a tie to the first answer.
    """
    code = _WORDFREQ_CODES.get(lang, lang)
    if code not in _wordfreq_languages():
        return None
    frequencies = _frequencies(code)
    words = wordfreq.simple_tokenize(text)
    return sum(math.log(max(frequencies.get(w, 0.0), MIN_WORD_FREQUENCY)) for w in words)


def arbitrate(text: str, first: str, second: str) -> str:
    """The one of two disagreeing answers whose words are likelier; ``first`` when that cannot be told."""
    a, b = word_log_likelihood(text, first), word_log_likelihood(text, second)
    if a is None or b is None or a >= b:
        return first
    return second


class AutoBackend:
    """CLD2 + langdetect's model + wordfreq arbitration (see the module docstring)."""

    name = "auto"

    def __init__(self, cld2: LangBackend, nb: LangBackend, languages: frozenset[str]) -> None:
        self._cld2 = cld2
        self._nb = nb
        self.languages = languages

    def detect(self, texts: Sequence[str]) -> tuple[list[str | None], list[float]]:
        """Batch detection; the score is that of the detector whose answer was taken."""
        cld2_langs, cld2_scores = self._cld2.detect(texts)
        nb_langs, nb_scores = self._nb.detect(texts)
        langs: list[str | None] = []
        scores: list[float] = []
        for text, c_lang, c_score, n_lang, n_score in zip(texts, cld2_langs, cld2_scores, nb_langs, nb_scores):
            if c_lang is None or c_score <= 0.0:
                langs.append(n_lang)
                scores.append(n_score)
            elif n_lang is None or n_lang == c_lang or arbitrate(text, c_lang, n_lang) == c_lang:
                langs.append(c_lang)
                scores.append(c_score)
            else:
                langs.append(n_lang)
                scores.append(n_score)
        return langs, scores
