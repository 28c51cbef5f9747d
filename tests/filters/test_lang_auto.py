"""The auto backend: short alt text in the right language, priors, and wordfreq arbitration."""

from __future__ import annotations

from filters.lang_auto import arbitrate, word_log_likelihood
from filters.lang_backends import get_backend

# Short captions of the kind alt text is made of; langdetect's model alone gets most of the English wrong.
SHORT = {
    "a pink ring": "en",
    "a blue square": "en",
    "Red circle, digital art": "en",
    "Yellow star, digital art": "en",
    "my favourite blue square": "en",
    "un cuadrado azul sobre fondo claro": "es",
    "una media luna cian sobre fondo claro": "es",
    "un losange orange sur un fond clair": "fr",
    "une étoile jaune sur un fond clair": "fr",
    "ein roter Kreis auf hellem Hintergrund": "de",
}


def test_short_captions_get_their_language() -> None:
    langs, scores = get_backend("auto").detect(list(SHORT))
    assert dict(zip(SHORT, langs)) == SHORT
    assert all(s >= 0.5 for s in scores)


def test_auto_beats_both_of_its_parts_on_short_captions() -> None:
    def right(backend: str) -> int:
        langs, scores = get_backend(backend).detect(list(SHORT))
        return sum(lang == want and s >= 0.5 for lang, s, want in zip(langs, scores, SHORT.values()))

    assert right("auto") == len(SHORT)
    assert right("nb") <= len(SHORT) - 3
    assert right("cld2") <= len(SHORT) - 2


def test_text_without_letters_stays_undetected() -> None:
    langs, scores = get_backend("auto").detect(["", "2019 - 05 - 12"])
    assert all(lang is None or s < 0.5 for lang, s in zip(langs, scores))


def test_arbitration_prefers_the_language_whose_words_fit() -> None:
    assert arbitrate("una media luna cian sobre fondo claro", "en", "es") == "es"
    assert arbitrate("Red circle, digital art", "it", "en") == "en"
    assert arbitrate("Red circle, digital art", "en", "it") == "en"
    # A language wordfreq has no list for cannot be scored: the first answer stands.
    assert word_log_likelihood("any text", "an") is None
    assert arbitrate("any text", "an", "es") == "an"


def test_cjk_disagreements_need_no_optional_tokenizer() -> None:
    # wordfreq.tokenize would import jieba (Chinese) or MeCab (Japanese, Korean): not dependencies.
    cjk = {"海滩上玩耍的小狗和美丽的日落": "zh-cn", "日本語のテキストです": "ja", "한국어 문장입니다": "ko"}
    for text, lang in cjk.items():
        assert word_log_likelihood(text, lang) is not None
    # Unsegmented Chinese and Japanese runs are rare words in both languages: a tie keeps the first answer.
    zh, ja, ko = cjk
    assert arbitrate(zh, "zh-cn", "en") == "zh-cn" and arbitrate(zh, "en", "zh-cn") == "en"
    assert arbitrate(ja, "ja", "en") == "ja" and arbitrate(ja, "en", "ja") == "en"
    # Korean words are space-separated, so its own table scores them higher whichever answer came first.
    assert arbitrate(ko, "en", "ko") == "ko" == arbitrate(ko, "ko", "en")
    assert get_backend("auto").detect(list(cjk))[0] == list(cjk.values())
