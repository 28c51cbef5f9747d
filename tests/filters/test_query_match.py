"""MetaCLIP's spacing rule with Aho-Corasick: word boundaries, punctuation, ids per row."""

from __future__ import annotations

from pathlib import Path

import pytest

from filters.queries import write_queries
from filters.query_match import QueryMatchStage, match_form, match_ids, matcher
from tests.filters.helpers import manifest_rows, table_of

QUERIES = ["dog", "hot dog", "new york", "st . louis", "c++", "york"]


@pytest.fixture
def automaton(tmp_path: Path):
    path = tmp_path / "queries.json"
    return matcher(str(path), write_queries(QUERIES, path), False)


def test_match_form_spaces_punctuation_like_metaclip() -> None:
    assert match_form("Dog, cat.\tBird!") == "dog , cat . bird !"
    assert match_form("Dog", case_sensitive=True) == "Dog"


@pytest.mark.parametrize(
    ("caption", "ids"),
    [
        ("A dog.", [0]),
        ("dog,cat", [0]),
        ("my dogs and a hotdog", []),
        ("Hot dog stand in New York, NY", [0, 1, 2, 5]),
        ("Yorkshire terrier", []),
        ("Arch in St. Louis", [3]),
        ("learning C++ fast", [4]),
        ("DOG", [0]),
    ],
)
def test_entries_match_on_word_boundaries_only(automaton, caption: str, ids: list[int]) -> None:
    assert match_ids(automaton, caption) == ids


def test_case_sensitive_matching(tmp_path: Path) -> None:
    path = tmp_path / "cased.json"
    cased = matcher(str(path), write_queries(["Apple", "apple"], path), True)
    assert match_ids(cased, "Apple pie", case_sensitive=True) == [0]
    assert match_ids(cased, "apple pie", case_sensitive=True) == [1]


def test_stage_stores_ids_and_rejects_rows_without_a_match(tmp_path: Path) -> None:
    path = tmp_path / "queries.json"
    stage = QueryMatchStage(str(path), write_queries(QUERIES, path))
    rows = manifest_rows([("http://a/1", "a hot dog with mustard"), ("http://a/2", "a cat on a mat")])
    result = stage(table_of(rows), 0)
    assert result.kept["queries"].to_pylist() == [[0, 1]]
    assert result.rejected["reason"].to_pylist() == ["no_query_match"]
    assert result.rejected["queries"].to_pylist() == [[]]
    assert result.counters.rows_in == 2
