"""The auto backend on real translations: the machine's gettext catalogs, read at test time.

The full comparison with fastText is ``benchmarks/bench_language.py``; this keeps the languages of the
issue's cases honest (CJK with Latin product names, Cyrillic neighbours) on human-written text.
"""

from __future__ import annotations

import re

import pytest

from benchmarks.lang_catalogs import load_corpus
from filters.lang_backends import get_backend

LANGUAGES = frozenset({"zh-cn", "zh-tw", "ja", "ko", "ru", "mk", "de"})
_LATIN_WORD = re.compile("[A-Za-z]{2,}")


@pytest.fixture(scope="module")
def corpus() -> dict[str, list[str]]:
    found = {code: texts for code, texts in load_corpus(80, languages=LANGUAGES).items() if len(texts) >= 40}
    if len(found) < 3:
        pytest.skip("fewer than 3 of the languages have gettext catalogs (/usr/share/locale) on this machine")
    return found


def test_each_language_is_named_at_least_85_percent_of_the_time(corpus: dict[str, list[str]]) -> None:
    backend = get_backend("auto")
    for code, texts in corpus.items():
        langs, _ = backend.detect(texts)
        right = sum(lang == code for lang in langs) / len(texts)
        assert right >= 0.85, f"{code}: {right:.0%} of {len(texts)} translations"


def test_cjk_translations_with_latin_words_keep_their_language(corpus: dict[str, list[str]]) -> None:
    mixed = [
        (code, t) for code in ("zh-cn", "zh-tw", "ja", "ko") for t in corpus.get(code, []) if _LATIN_WORD.search(t)
    ]
    if len(mixed) < 20:
        pytest.skip("too few CJK translations holding Latin words in this machine's catalogs")
    langs, _ = get_backend("auto").detect([t for _, t in mixed])
    right = sum(lang == code for (code, _), lang in zip(mixed, langs))
    assert right >= 0.9 * len(mixed), f"{right} of {len(mixed)}"
