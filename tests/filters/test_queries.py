"""Query lists: files in both published forms, the wordfreq default, canonical form and ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from filters.queries import build_queries, canonical, load_queries, read_entries, write_queries
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


def test_default_list_is_the_shipped_content_word_list() -> None:
    default = build_queries("", "")
    assert len(default) > 200_000
    assert {"dog", "hot dog", "new york", "circle"} <= set(default)
    assert not {"a", "the", "of", "of the"} & set(default)


def test_gzip_list_reads_like_plain_lines(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "q.txt.gz"
    path.write_bytes(gzip.compress(b"dog\nhot dog\n"))
    assert read_entries(path) == ["dog", "hot dog"]
    (tmp_path / "bad.txt.gz").write_bytes(b"not gzip")
    with pytest.raises(WitError, match="cannot read"):
        read_entries(tmp_path / "bad.txt.gz")


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
