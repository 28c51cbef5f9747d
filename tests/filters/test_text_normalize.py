"""Caption normalisation and the invalid-UTF-8 check."""

from __future__ import annotations

import ftfy
import pyarrow as pa
import pytest

from filters.text_normalize import CONTROL_CHARS, decode_text_columns, normalize_text


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
