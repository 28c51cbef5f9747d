"""Query lists: files in both published forms, the wordfreq default, canonical form and ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from filters.queries import build_queries, canonical, load_queries, read_entries, wordfreq_entries, write_queries
from wit_pipeline.errors import WitError


def test_reads_lines_and_metaclip_json(tmp_path: Path) -> None:
    lines = tmp_path / "q.txt"
    lines.write_text("dog\n\nhot dog\nSt. Louis\n", encoding="utf-8")
    assert read_entries(lines) == ["dog", "hot dog", "St. Louis"]
    published = tmp_path / "metadata.json"
    published.write_text(json.dumps(["dog", "New York"]), encoding="utf-8")
    assert read_entries(published) == ["dog", "New York"]


@pytest.mark.parametrize(
    ("content", "message"),
    [('["dog", 3]', "array of strings"), ('["dog",', "invalid JSON"), ("[1, 2]", "array of strings")],
)
def test_bad_query_files_are_user_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(WitError, match=message):
        read_entries(path)


def test_missing_or_empty_list_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(WitError, match="not found"):
        read_entries(tmp_path / "nope.txt")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n", encoding="utf-8")
    with pytest.raises(WitError, match="empty"):
        build_queries(str(empty), "")


def test_wordfreq_default_is_frequent_words_without_digit_tokens() -> None:
    common = wordfreq_entries("en", min_zipf=5.0)
    wider = wordfreq_entries("en", min_zipf=4.0)
    assert {"the", "dog", "house"} <= set(wider) and "the" in common
    assert set(common) < set(wider)
    assert not any(any(c.isdigit() for c in w) for w in wider)
    assert len(wordfreq_entries("en")) > 100_000


def test_canonical_form_dedupes_after_case_folding_and_spacing(tmp_path: Path) -> None:
    assert canonical(["Dog", "dog", " hot  dog ", "St. Louis", ""]) == ["dog", "hot dog", "st . louis"]
    assert canonical(["Dog", "dog"], case_sensitive=True) == ["Dog", "dog"]
    extra = tmp_path / "extra.txt"
    extra.write_text("hot dog\nfrisbee golf\n", encoding="utf-8")
    base = tmp_path / "base.txt"
    base.write_text("dog\nhot dog\n", encoding="utf-8")
    assert build_queries(str(base), str(extra)) == ["dog", "hot dog", "frisbee golf"]


def test_written_list_reads_back_with_a_content_digest(tmp_path: Path) -> None:
    digest = write_queries(["dog", "café"], tmp_path / "q.json")
    assert load_queries(tmp_path / "q.json") == ["dog", "café"]
    assert write_queries(["dog", "café"], tmp_path / "again.json") == digest
    assert write_queries(["dog"], tmp_path / "other.json") != digest
