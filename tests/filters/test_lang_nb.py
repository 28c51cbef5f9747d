"""The exact naive-Bayes detector reproduces langdetect's n-grams and its answers."""

from __future__ import annotations

import random

import langdetect
import pytest
from faker import Faker
from langdetect import DetectorFactory

import filters.lang_nb as lang_nb
from filters.lang_nb import NaiveBayesDetector

LOCALES = ["en_US", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL", "ru_RU", "el_GR", "ja_JP", "ar_AA"]


@pytest.fixture(scope="module")
def detector() -> NaiveBayesDetector:
    return NaiveBayesDetector()


def multilingual_captions(per_locale: int) -> list[str]:
    rng = random.Random(7)
    captions = []
    for locale in LOCALES:
        fake = Faker(locale)
        fake.seed_instance(11)
        captions += [fake.sentence(nb_words=rng.randint(4, 12)) for _ in range(per_locale)]
    return captions


def test_agrees_with_langdetect_where_langdetect_is_confident(detector: NaiveBayesDetector) -> None:
    DetectorFactory.seed = 0
    captions = multilingual_captions(15)
    ours, _ = detector.detect(captions)
    confident = agree = 0
    for text, found in zip(captions, ours):
        best = langdetect.detect_langs(text)[0]
        if best.prob >= 0.9:
            confident += 1
            agree += found == best.lang
    assert confident >= 0.8 * len(captions)
    assert agree / confident >= 0.98


@pytest.mark.parametrize(
    ("text", "lang"),
    [("a dog on the beach at sunset", "en"), ("Ein kleiner Hund im Park", "de"), ("東京タワーの夜景", "ja")],
)
def test_detects_clear_cases_confidently(detector: NaiveBayesDetector, text: str, lang: str) -> None:
    assert detector.detect([text])[0] == [lang] and detector.detect([text])[1][0] > 0.99


def test_text_without_features_is_undetected(detector: NaiveBayesDetector) -> None:
    langs, scores = detector.detect(["", "12345 !!!", "a dog on the beach", "   ", "!"])
    assert langs == [None, None, "en", None, None] and scores[:2] == [0.0, 0.0]


def test_urls_and_mail_addresses_are_ignored_like_langdetect(detector: NaiveBayesDetector) -> None:
    plain = detector.detect(["Ein kleiner Hund im Park"])
    noisy = detector.detect(["Ein kleiner Hund im Park https://example.com/some/english/words me@mail.com"])
    assert noisy[0] == plain[0] == ["de"] and noisy[1][0] == pytest.approx(plain[1][0])


def test_results_do_not_depend_on_batching_or_cache_resets(monkeypatch: pytest.MonkeyPatch) -> None:
    captions = multilingual_captions(4)
    reference = NaiveBayesDetector().detect(captions)
    monkeypatch.setattr(lang_nb, "BATCH", 5)
    monkeypatch.setattr(lang_nb, "WORD_CACHE_LIMIT", 7)
    small = NaiveBayesDetector()
    assert small.detect(captions) == reference
    langs, scores = small.detect(list(reversed(captions)))
    assert langs[::-1] == reference[0] and scores[::-1] == reference[1]
