"""Each caption rule on hand-written captions it must reject and ones it must keep; bad input."""

from __future__ import annotations

import pyarrow as pa
import pytest

from filters.caption_rules import CaptionRules, CaptionStage
from tests.filters.helpers import manifest_rows, table_of

RULES = CaptionRules()


@pytest.mark.parametrize(
    ("caption", "reason"),
    [
        ("", "empty_caption"),
        ("   \t\n ", "empty_caption"),
        (None, "empty_caption"),
        ("nul\x00 inside a caption", "control_characters"),
        ("bell \x07 rings here", "control_characters"),
        ("lossy \ufffd decode happened here", "replacement_character"),
        ("word " * 20_000, "caption_too_long"),
        ("x" * 1001, "caption_too_long"),
        ("a <b>bold</b> red bicycle", "markup"),
        ("a red bicycle &nbsp;<br/>", "markup"),
        ("[img]http://x/y.jpg[/img] a red bicycle", "markup"),
        ("{{Infobox bicycle}} a red bicycle", "markup"),
        ("IMG_1234.jpg", "filename"),
        ("IMG_2034.JPG", "filename"),
        ("DSC0001", "filename"),
        ("DSCN0042 (2)", "filename"),
        ("P1010123", "filename"),
        ("PXL_20210304_102233123", "filename"),
        ("my holiday photo.jpeg", "filename"),
        ("3f2a9c0e1b7d4a6f8e0c", "filename"),
        ("/static/img/a photo of my dog.jpg", "filename"),
        ("../_images/x.png", "filename"),
        ("https://example.com/images/bike.html", "bare_url"),
        ("www.example.com", "bare_url"),
        ("shop.example.co.uk/bikes/red", "bare_url"),
        ("image", "generic_alt_text"),
        ("photo", "generic_alt_text"),
        ("Logo icon", "generic_alt_text"),
        ("icon", "generic_alt_text"),
        ("Click here", "generic_alt_text"),
        ("click here to view larger image", "generic_alt_text"),
        ("thumbnail", "generic_alt_text"),
        ("300x250", "generic_alt_text"),
        ("banner 728 x 90", "generic_alt_text"),
        ("Pаypal login page here", "mixed_script_word"),
        ("#### ---- 1234 5678 !!!", "too_few_letters"),
        ("2019-05-12 14:33:01", "too_few_letters"),
        ("buy buy buy buy now", "repeated_token"),
        ("ha ha ha", "repeated_token"),
        ("a b c", "too_few_chars"),
        ("red bicycle", "too_few_words"),
        ("bicycle", "too_few_words"),
    ],
)
def test_rule_rejects_with_its_reason(caption: str | None, reason: str) -> None:
    assert RULES.problem(caption)[0] == reason


@pytest.mark.parametrize(
    "caption",
    [
        "a red bicycle leaning on a wall",
        "备份数据库",  # "back up the database": 5 characters, 10 columns wide
        "言語の選択",  # "language selection"
        "SSH 客户端 SSH",
        "使用 GPG 签名和 GPG 加密邮件",
        "A photo of a dog on the beach",
        "Tom & Jerry cartoon still",
        "New York, New York skyline",
        "iPhone 12 Pro in pacific blue",
        "Москва, Красная площадь зимой",
        "東京タワーの夜景",
        "Ein kleiner Hund im Park",
        "Top 10 cars of 2019",
        "the logo of the Olympic games",
        "café terrace at night, Arles",
    ],
)
def test_real_captions_pass_every_rule(caption: str) -> None:
    assert RULES.problem(caption)[0] is None


def test_thresholds_are_configurable() -> None:
    lenient = CaptionRules(min_words=1, min_chars=1, max_chars=20)
    assert lenient.problem("bicycle")[0] is None
    assert lenient.problem("a red bicycle leaning on a wall")[0] == "caption_too_long"
    assert CaptionRules(min_words=3).problem("big red bicycle")[0] is None
    assert CaptionRules(min_words=4).problem("big red bicycle")[0] == "too_few_words"


def test_stage_normalises_kept_captions_and_keeps_originals_in_rejects() -> None:
    captions = ["  a  red bicycle  on grass ", "cafÃ© terrace at night", "IMG_1234.jpg", "x"]
    table = table_of(manifest_rows([(f"http://a.com/{i}.jpg", c) for i, c in enumerate(captions)]))
    result = CaptionStage()(table, 0)
    assert result.kept["caption"].to_pylist() == ["a red bicycle on grass", "café terrace at night"]
    assert result.kept["uid"].to_pylist() == table["uid"].to_pylist()[:2]
    assert result.rejected["caption"].to_pylist() == ["IMG_1234.jpg", "x"]
    assert result.rejected["reason"].to_pylist() == ["filename", "too_few_chars"]
    assert set(result.rejected["stage"].to_pylist()) == {"caption"}
    assert result.counters.extra["normalized"] == 2


def test_bad_input_is_a_reason_never_an_exception() -> None:
    surrogate = "\udc80".encode("utf-8", "surrogatepass")
    raw = [
        b"",
        b"w " * 50_000,
        "mixed Latin и кириллица ελληνικά".encode(),
        b"ctrl\x01chars in a caption",
        b"bad \xfe\xff utf8 caption text",
        b"lone " + surrogate + b" surrogate caption",
        b"a fine caption about cats",
    ]
    n = len(raw)
    table = pa.table(
        {
            "uid": [str(i) for i in range(n)],
            "url": [f"http://a.com/{i}" for i in range(n)],
            "caption": pa.array(raw, pa.binary()).cast(pa.string(), safe=False),
            "page_url": [None] * n,
            "source": ["test"] * n,
        }
    )
    result = CaptionStage()(table, 3)
    assert result.kept["uid"].to_pylist() == ["2", "6"]
    assert dict(zip(result.rejected["uid"].to_pylist(), result.rejected["reason"].to_pylist())) == {
        "0": "empty_caption",
        "1": "caption_too_long",
        "3": "control_characters",
        "4": "invalid_utf8",
        "5": "invalid_utf8",
    }
    c = result.counters
    assert c.rows_in == n == c.kept + c.rejected_total


def test_invalid_utf8_in_another_column_rejects_the_row() -> None:
    table = table_of(manifest_rows([("http://a.com/1.jpg", "a red bicycle on grass")] * 2))
    page = pa.array([b"http://p/\xff", b"http://p/ok"], pa.binary()).cast(pa.string(), safe=False)
    table = table.set_column(table.column_names.index("page_url"), "page_url", page)
    result = CaptionStage()(table, 0)
    assert result.rejected["reason"].to_pylist() == ["invalid_utf8"] and result.kept.num_rows == 1


def test_binary_caption_column_is_decoded_like_text() -> None:
    # A parquet writer may store captions as binary: valid UTF-8 is read as text, the rest is invalid_utf8.
    table = table_of(manifest_rows([(f"http://a.com/{i}.jpg", "x") for i in range(4)]))
    raw = [b"  a red  bicycle on grass", "café terrace at night".encode(), b"bad \xff bytes here", None]
    table = table.set_column(table.column_names.index("caption"), "caption", pa.array(raw, pa.binary()))
    result = CaptionStage()(table, 0)
    assert result.kept["caption"].to_pylist() == ["a red bicycle on grass", "café terrace at night"]
    assert result.kept.schema.field("caption").type == pa.string()
    assert result.rejected["reason"].to_pylist() == ["invalid_utf8", "empty_caption"]
    assert result.rejected["caption"].to_pylist() == ["bad \ufffd bytes here", None]
