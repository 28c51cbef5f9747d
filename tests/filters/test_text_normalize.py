"""Caption normalisation and the invalid-UTF-8 check."""

from __future__ import annotations

import ftfy
import pyarrow as pa
import pytest

from filters.text_normalize import CONTROL_CHARS, decode_text_columns, needs_ftfy, normalize_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  a   red\tbicycle \n", "a red bicycle"),
        ("cafÃ© au lait", "café au lait"),
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("\u201csmart quotes\u201d", '"smart quotes"'),
        ("zero\u200bwidth\ufeff text", "zerowidth text"),
        ("e\u0301te\u0301", "été"),
        ("ＦＵＬＬ width", "FULL width"),
        ("\u00a0nbsp\u00a0spaces\u00a0", "nbsp spaces"),
    ],
)
def test_normalize_fixes_encoding_entities_and_whitespace(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize("text", ["plain ascii caption", "price: $5 (50% off!)", "a/b\\c <> {x} ~"])
def test_ascii_fast_path_matches_ftfy(text: str) -> None:
    assert normalize_text(text) == " ".join(ftfy.fix_text(text).split())


def test_control_characters_are_c0_and_del_but_not_whitespace() -> None:
    assert CONTROL_CHARS.search("bad\x00byte") and CONTROL_CHARS.search("del\x7f")
    assert not CONTROL_CHARS.search("tab\tnewline\ncr\r")


def test_decode_text_columns_flags_invalid_utf8_and_encoded_surrogates() -> None:
    raw = pa.array([b"fine", b"bad \xff byte", "\udc80".encode("utf-8", "surrogatepass"), None], pa.binary())
    table = pa.table({"caption": raw.cast(pa.string(), safe=False), "n": [1, 2, 3, 4]})
    decoded, flags = decode_text_columns(table)
    assert flags == [False, True, True, False]
    assert decoded["caption"].to_pylist()[0] == "fine"
    assert "\ufffd" in decoded["caption"].to_pylist()[1]
    assert decoded["n"].to_pylist() == [1, 2, 3, 4]


def test_decode_text_columns_leaves_valid_tables_untouched() -> None:
    table = pa.table({"caption": ["a", "b"], "blob": pa.array([b"\xff", b"\x00"], pa.binary())})
    decoded, flags = decode_text_columns(table)
    assert flags == [False, False] and decoded.equals(table)


def multilingual_corpus() -> list[str]:
    """Word sequences in 20 languages (wordfreq vocabularies) plus damaged and decorated text."""
    import random

    import wordfreq

    rng = random.Random(0)
    corpus = []
    for lang in ["en", "de", "fr", "es", "pt", "it", "nl", "pl", "cs", "ru", "uk", "el", "ar", "fa", "he", "ja", "zh"]:
        words = wordfreq.top_n_list(lang, 3000)
        corpus += [" ".join(rng.choice(words) for _ in range(rng.randint(2, 10))) for _ in range(150)]
    corpus += ["cafÃ© crÃ¨me", "â€œquotedâ€\x9d", "ﬁne ligature", "ＦＵＬＬ", "it’s", "a\u2028b", "x\x85y", "e\u0301"]
    corpus += ["Tom &amp; Jerry", "\x1b[31mred\x1b[0m", "Ã\xa0 la carte", "naïve façade déjà vu", "Straße über"]
    return corpus


def test_skipping_ftfy_never_changes_the_result() -> None:
    corpus = multilingual_corpus()
    skipped = [t for t in corpus if not needs_ftfy(t)]
    assert len(skipped) > len(corpus) // 2
    for text in skipped:
        assert ftfy.fix_text(text) == text, text
    assert all(needs_ftfy(t) for t in corpus[-13:-2])
