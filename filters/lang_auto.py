"""The ``auto`` language backend: CLD2 where it is reliable, langdetect's model where it is not.

Alt text is short, and short text is where detectors fail: langdetect's model calls
"a pink ring" Lithuanian and "Red circle, digital art" Italian; CLD2 finds nothing reliable
in "a blue square" and, rarely, calls a Spanish caption English. ``auto`` combines them:

1. CLD2 answers when it says its answer is reliable (most captions of a few words or more).
2. Otherwise langdetect's model (``lang_nb``) answers.
3. When both answered and disagree, each answer's words are scored under wordfreq's word
   frequencies for that language, and the more likely one wins (a two-language unigram model;
   wordfreq lists load only for the languages that come up). This also holds when CLD2 answered
   but called its answer unreliable: that answer is weighed, not thrown away, and taken with
   CLD2's own percentage as its score when it wins.
4. Text written mostly in CJK characters is decided by its script, whatever Latin words it holds
   ("Thunderbird 电子邮件软件", "Ubuntu の設定"): kana make it Japanese, Hangul Korean, Han alone
   Chinese, simplified (``zh-cn``) or traditional (``zh-tw``) by which characters only one of
   the GB2312 and Big5 character sets holds. Statistical models get such mixtures wrong, as the
   Latin words pull them towards English or any Latin-script language.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from typing import Protocol

import wordfreq

MIN_WORD_FREQUENCY = 1e-8
_WORDFREQ_CODES = {
    "tl": "fil",
    "no": "nb",
    "nn": "nb",
    "zh-cn": "zh",
    "zh-tw": "zh",
    "sr": "sh",
    "hr": "sh",
    "bs": "sh",
}
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
_CJK = re.compile(f"{_KANA.pattern}|{_HANGUL.pattern}|{_HAN.pattern}")
_LATIN_WORD = re.compile("[A-Za-z\u00c0-\u024f]+")
_MAYBE_CJK = re.compile("[\u1100-\u11ff\u3040-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003ffff]")


def script_language(text: str) -> str | None:
    """The language CJK script alone tells, for text mostly in CJK characters; else None.

    "Mostly": at least as many CJK characters as Latin words (one character carries about a
    word's information), so an English caption quoting one character stays with the models.
    """
    cjk = _CJK.findall(text)
    if not cjk or len(cjk) < len(_LATIN_WORD.findall(text)):
        return None
    if any(_KANA.fullmatch(c) for c in cjk):
        return "ja"
    if any(_HANGUL.fullmatch(c) for c in cjk):
        return "ko"
    return chinese_variant("".join(cjk))


def chinese_variant(han: str) -> str:
    """``zh-tw`` when more of the characters exist only in Big5 (traditional) than only in GB2312
    (simplified), else ``zh-cn``; characters both sets hold decide nothing."""
    not_big5 = han.encode("big5", errors="replace").count(b"?")
    not_gb2312 = han.encode("gb2312", errors="replace").count(b"?")
    return "zh-tw" if not_gb2312 > not_big5 else "zh-cn"


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


class Detector(Protocol):
    """What ``auto`` asks of langdetect's model: codes (None: no language) and scores for a batch."""

    def detect(self, texts: Sequence[str]) -> tuple[list[str | None], list[float]]: ...


class ShareDetector(Protocol):
    """What ``auto`` asks of CLD2: codes, scores (0 when unreliable) and each answer's share for a batch."""

    def detect_all(self, texts: Sequence[str]) -> tuple[list[str | None], list[float], list[float]]: ...


class AutoBackend:
    """CLD2 + langdetect's model + wordfreq arbitration (see the module docstring).

    The detectors are passed in (``lang_backends`` builds them), so this module depends on neither.
    """

    name = "auto"

    def __init__(self, cld2: ShareDetector, nb: Detector, languages: frozenset[str]) -> None:
        self._cld2 = cld2
        self._nb = nb
        self.languages = languages

    def detect(self, texts: Sequence[str]) -> tuple[list[str | None], list[float]]:
        """Batch detection; the score is that of the detector whose answer was taken (1.0 for script)."""
        cld2_langs, cld2_scores, cld2_shares = self._cld2.detect_all(texts)
        nb_langs, nb_scores = self._nb.detect(texts)
        langs: list[str | None] = []
        scores: list[float] = []
        rows = zip(texts, cld2_langs, cld2_scores, cld2_shares, nb_langs, nb_scores)
        for text, c_lang, c_score, c_share, n_lang, n_score in rows:
            script = script_language(text) if not text.isascii() and _MAYBE_CJK.search(text) else None
            if script is not None:
                lang, score = script, 1.0
            elif c_lang is None:
                lang, score = n_lang, n_score
            elif c_score > 0.0:  # reliable: kept unless langdetect's answer has likelier words
                keep = n_lang is None or n_lang == c_lang or arbitrate(text, c_lang, n_lang) == c_lang
                lang, score = (c_lang, c_score) if keep else (n_lang, n_score)
            elif n_lang is None or n_lang == c_lang:  # unreliable, but uncontested
                lang, score = c_lang, max(c_share, n_score if n_lang == c_lang else 0.0)
            elif arbitrate(text, n_lang, c_lang) == n_lang:  # unreliable: weighed, ties to langdetect
                lang, score = n_lang, n_score
            else:
                lang, score = c_lang, c_share
            langs.append(lang)
            scores.append(score)
        return langs, scores
