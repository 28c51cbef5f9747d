"""The auto backend: short alt text in the right language, priors, and wordfreq arbitration."""

from __future__ import annotations

from filters.lang_auto import arbitrate, chinese_variant, script_language, word_log_likelihood
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


# Mixed-script captions from the issue (gettext catalogs of Debian's desktop): CJK with Latin product names.
MIXED_SCRIPT = {
    "Thunderbird 电子邮件软件": "zh-cn",
    "Thunderbird 電子郵件軟體": "zh-tw",
    "添加 APT 軟體庫": "zh-tw",
    "URI“ ”不是使用“file”方案的绝对 URI": "zh-cn",
    "Ubuntu の設定を変更する": "ja",
    "ローカル設定: backspace-space-backspace として削除文字をエコー": "ja",
    "Firefox 웹 브라우저": "ko",
    "orig-head를 읽을 수 없습니다": "ko",
    "备份数据库": "zh-cn",
    "言語の選択": "ja",
    "格林尼治市": "zh-cn",  # CLD2 calls this Japanese (reliable, 94%): there is no kana in it
}


def test_cjk_with_latin_words_is_decided_by_script() -> None:
    langs, scores = get_backend("auto").detect(list(MIXED_SCRIPT))
    assert dict(zip(MIXED_SCRIPT, langs)) == MIXED_SCRIPT
    assert all(s >= 0.5 for s in scores)
    assert [script_language(t) for t in MIXED_SCRIPT] == list(MIXED_SCRIPT.values())


def test_a_character_quoted_in_english_stays_english() -> None:
    assert script_language("the Chinese character 爱 means love") is None
    assert get_backend("auto").detect(["the Chinese character 爱 means love"])[0] == ["en"]


def test_chinese_variant_by_the_character_sets_that_hold_the_text() -> None:
    assert chinese_variant("电子邮件软件") == "zh-cn" and chinese_variant("電子郵件軟體") == "zh-tw"
    assert chinese_variant("中文") == "zh-cn"  # in both sets: nothing tells, the default stands


def test_cld2_unreliable_but_right_answer_is_weighed_not_dropped() -> None:
    # CLD2 calls these unreliable (Latin words inside); langdetect's model guesses mk, bg and English.
    texts = {"директива .usepv не имеет типа": "ru", "md_apply_fix: невідомий r_type 0x": "uk"}
    cld2 = get_backend("cld2")
    langs, scores, shares = cld2.detect_all(list(texts))
    assert langs == list(texts.values()) and scores == [0.0, 0.0] and all(s > 0 for s in shares)
    assert get_backend("nb").detect(list(texts))[0] != list(texts.values())
    assert get_backend("auto").detect(list(texts))[0] == list(texts.values())


def test_danish_and_norwegian_apart() -> None:
    texts = {
        "Jeg kan ikke åbne filen, fordi den er beskadiget": "da",
        "Vælg et sprog til brugerfladen": "da",
        "Jeg kan ikke åpne filen fordi den er skadet": "no",
        "Velg et språk for brukergrensesnittet": "no",
    }
    assert get_backend("cld2").detect(list(texts))[0][0] == "no"  # CLD2 alone calls the first Norwegian
    assert get_backend("auto").detect(list(texts))[0] == list(texts.values())
