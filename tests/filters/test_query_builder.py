"""The query builder: WordNet, wordfreq unigrams, stopword handling, the shipped default list."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from filters.query_builder import (
    SHIPPED_QUERIES,
    build_query_list,
    content_entry,
    default_entries,
    stopwords,
    wordfreq_unigrams,
    write_list,
)
from filters.wordnet_lemmas import SHIPPED, read_database, shipped_lemmas
from wit_pipeline.errors import WitError

WORDNET_DIR = Path("/usr/share/wordnet")


def test_stopword_only_and_letterless_entries_are_dropped() -> None:
    stops = stopwords("en")
    assert {"a", "the", "of"} <= stops
    for entry in ["a", "The", "of the", "in  the", "!", "12", "0,000", ". ,"]:
        assert not content_entry(entry.lower(), stops), entry
    for entry in ["dog", "the who band", "st. louis", "a dog", "b2"]:
        assert content_entry(entry, stops), entry


def test_sources_in_metaclip_order_with_counts() -> None:
    result = build_query_list("en", min_zipf=6.0, wordnet=True, bigrams=["hot dog", "of the", "dog", "Red  Car"])
    assert result.entries[: len(shipped_lemmas())] != []
    wordnet = result.sources["wordnet"]
    assert wordnet.candidates == len(shipped_lemmas()) and wordnet.added + wordnet.dropped <= wordnet.candidates
    bigrams = result.sources["bigrams"]
    # "hot dog" and "dog" are WordNet lemmas (already in), "of the" is stopwords only, "red car" is new
    assert (bigrams.candidates, bigrams.dropped, bigrams.added) == (4, 1, 1)
    assert result.entries[-1] == "red car"
    assert len(result.entries) == len({e for e in result.entries})
    assert not {"a", "the", "of", "and"} & set(result.entries)


def test_another_threshold_builds_afresh() -> None:
    built = default_entries(min_zipf=6.5)
    assert built == build_query_list("en", 6.5).entries and len(built) < len(default_entries())


def test_unigrams_follow_the_zipf_threshold_and_drop_digit_tokens() -> None:
    common = wordfreq_unigrams("en", min_zipf=5.0)
    wider = wordfreq_unigrams("en", min_zipf=4.0)
    assert {"the", "dog", "house"} <= set(wider) and set(common) < set(wider)
    assert not any(any(c.isdigit() for c in w) for w in wider)
    with pytest.raises(WitError, match="no word frequencies"):
        wordfreq_unigrams("xx", 3.0)


def test_other_languages_use_frequency_stopwords_and_no_wordnet() -> None:
    result = build_query_list("de", min_zipf=4.5)
    assert result.sources["wordnet"].candidates == 0
    assert {"hund", "haus"} <= set(result.entries)
    assert not {"der", "die", "und"} & set(result.entries)


def test_shipped_default_list_is_what_the_builder_makes() -> None:
    with gzip.open(SHIPPED_QUERIES, "rt", encoding="utf-8") as fh:
        shipped = fh.read().splitlines()
    assert shipped == build_query_list().entries
    assert default_entries() == shipped


@pytest.mark.skipif(
    not WORDNET_DIR.exists(),
    reason="WordNet database not installed: `make test` installs Debian's wordnet-base as root",
)
def test_shipped_wordnet_list_matches_the_database() -> None:
    assert shipped_lemmas() == read_database(WORDNET_DIR)
    assert {"dog", "new york", "hot dog"} <= set(shipped_lemmas())


def test_missing_wordnet_database_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(WitError, match="index.noun: not found"):
        read_database(tmp_path)


def test_written_lists_are_reproducible(tmp_path: Path) -> None:
    write_list(["dog", "hot dog"], tmp_path / "a.txt.gz")
    write_list(["dog", "hot dog"], tmp_path / "b.txt.gz")
    assert (tmp_path / "a.txt.gz").read_bytes() == (tmp_path / "b.txt.gz").read_bytes()
    assert gzip.decompress((tmp_path / "a.txt.gz").read_bytes()) == b"dog\nhot dog\n"
    assert SHIPPED.exists()
