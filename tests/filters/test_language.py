"""The language stage: lang/lang_score columns, wanted languages, the undetected rule."""

from __future__ import annotations

import pyarrow as pa
import pytest

from filters.language import LanguageStage
from tests.filters.helpers import manifest_rows, table_of

CAPTIONS = {
    "en": "a small dog playing on the beach at sunset",
    "de": "ein kleiner Hund spielt am Strand bei Sonnenuntergang",
    "fr": "un petit chien qui joue sur la plage au coucher du soleil",
    "zh": "海滩上玩耍的小狗和美丽的日落",
    "digits": "2019 - 05 - 12",
}
FILE_NAME = "IMG_2034.jpg"


def run(stage: LanguageStage, captions: dict[str, str]):
    rows = manifest_rows([(f"http://a.com/{k}.jpg", c) for k, c in captions.items()])
    for row, key in zip(rows, captions):
        row["uid"] = key
    return stage(table_of(rows), 0)


def reasons(result) -> dict[str, str]:
    return dict(zip(result.rejected["uid"].to_pylist(), result.rejected["reason"].to_pylist()))


@pytest.mark.parametrize("backend", ["auto", "nb", "langdetect", "cld2"])
def test_keeps_wanted_languages_and_names_every_rejection(backend: str) -> None:
    result = run(LanguageStage(backend=backend, languages=("en", "de")), CAPTIONS)
    assert result.kept["uid"].to_pylist() == ["en", "de"]
    assert result.kept["lang"].to_pylist() == ["en", "de"]
    assert result.kept["lang_score"].type == pa.float32()
    assert all(s >= 0.5 for s in result.kept["lang_score"].to_pylist())
    got = reasons(result)
    assert got["fr"] == got["zh"] == "lang_not_wanted"
    assert got["digits"] == "lang_undetected"
    assert result.counters.rows_in == 5 == result.counters.kept + result.counters.rejected_total


def test_file_name_is_undetected_and_keep_rule_labels_it_und() -> None:
    # langdetect's model finds no language in a file name (CLD2 may call it English: file names are
    # the caption rules' job, which run before the language stage).
    assert reasons(run(LanguageStage(backend="nb"), {"file": FILE_NAME})) == {"file": "lang_undetected"}
    kept = run(LanguageStage(backend="nb", undetected="keep"), {"file": FILE_NAME, "fr": CAPTIONS["fr"]})
    assert kept.kept["uid"].to_pylist() == ["file"] and kept.kept["lang"].to_pylist() == ["und"]
    assert reasons(kept) == {"fr": "lang_not_wanted"}


def test_regional_codes_match_their_language_and_empty_list_keeps_all() -> None:
    zh = run(LanguageStage(languages=("zh",)), {"zh": CAPTIONS["zh"]})
    assert zh.kept["lang"].to_pylist() == ["zh-cn"]
    every = run(LanguageStage(languages=()), {k: CAPTIONS[k] for k in ("en", "de", "fr", "zh")})
    assert every.kept.num_rows == 4


def test_aragonese_is_handled_by_the_score_rule_not_an_exception() -> None:
    # langdetect's model lacks Aragonese: it reads as its nearest neighbours (Spanish, Catalan) with
    # a split posterior, which the min-score rule turns into lang_undetected (CLD2 calls it Occitan).
    aragonese = {"an1": "Zaragoza ye a capital d'Aragón", "an2": "L'aragonés ye una luenga romance"}
    result = run(LanguageStage(backend="nb", languages=("es", "ca"), min_score=0.9), aragonese)
    assert reasons(result) == {"an1": "lang_undetected", "an2": "lang_undetected"}
    assert all(lang == "und" for lang in result.rejected["lang"].to_pylist())


def test_existing_lang_columns_are_replaced_and_bad_bytes_rejected() -> None:
    table = table_of(manifest_rows([("http://a.com/1.jpg", CAPTIONS["en"])]))
    table = table.append_column("lang", pa.array(["xx"])).append_column("lang_score", pa.array([0.1], pa.float32()))
    out = LanguageStage()(table, 0)
    assert out.kept["lang"].to_pylist() == ["en"] and out.kept.column_names.count("lang") == 1
    bad = pa.array([b"caption \xff\xfe bytes"], pa.binary()).cast(pa.string(), safe=False)
    table = table.set_column(table.column_names.index("caption"), "caption", bad)
    assert reasons(LanguageStage()(table, 0)) == {table["uid"][0].as_py(): "invalid_utf8"}


def test_control_characters_do_not_break_cld2() -> None:
    result = run(LanguageStage(backend="cld2", languages=()), {"c1": "a dog\x85 on the beach at sunset\x9f"})
    assert result.kept["lang"].to_pylist() == ["en"]
