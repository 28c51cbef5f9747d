"""PMI bigrams: counts and scores checked against hand-computed values, the manifest reduction on dask."""

from __future__ import annotations

import math
from pathlib import Path

from filters.query_builder import stopwords
from filters.query_pmi import caption_counts, manifest_counts, pmi_bigrams
from tests.filters.helpers import manifest_rows, write_manifest

CAPTIONS = ["hot dog on a plate"] * 6 + ["a dog in the park", "hot sun, dog"] + ["red car"] * 2


def test_counts_skip_stopwords_and_punctuation() -> None:
    counts = caption_counts(CAPTIONS, stopwords("en"))
    assert counts.words["dog"] == 8 and counts.words["hot"] == 7 and counts.words["a"] == 7
    assert counts.pairs[("hot", "dog")] == 6
    assert counts.pairs[("hot", "sun")] == 1
    assert ("sun", "dog") not in counts.pairs  # a comma breaks the pair
    assert ("dog", "on") not in counts.pairs and ("a", "dog") not in counts.pairs


def test_pmi_scores_match_the_hand_computed_values() -> None:
    counts = caption_counts(CAPTIONS, stopwords("en"))
    total = 6 * 5 + 5 + 3 + 2 * 2  # words of every caption
    assert sum(counts.words.values()) == total
    # hot dog: 6 pairs, hot 7, dog 8 -> log2(6 * 42 / 56) = 2.17; red car: log2(2 * 42 / 4) = 4.39
    assert math.isclose(math.log2(6 * total / (7 * 8)), 2.1699, abs_tol=1e-3)
    assert pmi_bigrams(counts, min_count=2, min_pmi=2.0) == ["red car", "hot dog"]
    assert pmi_bigrams(counts, min_count=2, min_pmi=3.0) == ["red car"]
    assert pmi_bigrams(counts, min_count=3, min_pmi=0.0) == ["hot dog"]


def test_manifest_counts_are_the_sum_of_the_parts(tmp_path: Path) -> None:
    rows = manifest_rows([(f"http://img.example/{i}.jpg", c) for i, c in enumerate(CAPTIONS)])
    manifest = write_manifest(tmp_path / "m", [rows[:3], rows[3:7], rows[7:]])
    counts = manifest_counts(str(manifest), stopwords("en"), client=None)
    assert counts == caption_counts(CAPTIONS, stopwords("en"))
