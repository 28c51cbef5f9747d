"""wit's matching and balancing against MetaCLIP's published algorithm (facebookresearch/MetaCLIP,
``substr_matching.py`` and ``balancing.py``), restated here from its description:

* matching: the caption is padded with one space each side, each of ``, . ; : ? ! ``` gets a space
  on both sides, tab/newline/CR become spaces; an entry matches when `` entry `` is a substring.
  Entries are used as written (not spaced), and the comparison is case-sensitive.
* balancing: ``count`` = rows matching each entry; ``p = t / max(count, t)``; a row is kept when
  for any of its entries ``random() < p`` (one draw per entry, in the row's entry order).

wit agrees exactly on the cases MetaCLIP's rule covers, and differs, on purpose, where this file
shows it (runs of spaces, entries with punctuation, case by default).
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
import pyarrow as pa

from benchmarks.bench_filters import metaclip_spacing
from filters.balance import balanced_keep, entry_distribution, keep_probabilities
from filters.queries import write_queries
from filters.query_match import match_ids, matcher

T = 20_000


def metaclip_match(text: str, entries: list[str]) -> list[int]:
    spaced = metaclip_spacing(text)
    return [i for i, e in enumerate(entries) if f" {e} " in spaced]


def wit_matcher(tmp_path: Path, entries: list[str], case_sensitive: bool):
    path = tmp_path / "q.json"
    digest = write_queries(entries, path)
    return matcher(str(path), digest, case_sensitive)


def test_matching_equals_metaclip_on_single_spaced_text(tmp_path: Path) -> None:
    entries = ["dog", "hot dog", "Dog", "sea", "red car", "car", "a", "on the", "New York", "york"]
    automaton = wit_matcher(tmp_path, entries, case_sensitive=True)
    rng = random.Random(0)
    words = ["dog", "hot", "Dog", "sea", "seal", "red", "car", "cars", "a", "on", "the", "New", "York", "york", "dogs"]
    separators = [" ", ", ", ". ", "!", "?", ";", ":", "`", "\t", "\n"]
    for _ in range(3000):
        n = rng.randint(1, 8)
        text = "".join(rng.choice(words) + (rng.choice(separators) if i < n - 1 else "") for i in range(n))
        if "  " in metaclip_spacing(text).strip():
            continue  # runs of spaces: a documented difference, below
        assert match_ids(automaton, text, case_sensitive=True) == metaclip_match(text, entries), text


def test_documented_differences_from_metaclip(tmp_path: Path) -> None:
    entries = ["red car", "St. Louis", "new york"]
    cased = wit_matcher(tmp_path, entries, case_sensitive=True)
    # a run of spaces (or a tab beside a space): MetaCLIP misses the entry, wit collapses spaces
    assert metaclip_match("a red  car", entries) == [] and match_ids(cased, "a red  car", True) == [0]
    # an entry with punctuation: MetaCLIP spaces only the caption, so it can never match
    assert metaclip_match("visit St. Louis", entries) == [] and match_ids(cased, "visit St. Louis", True) == [1]
    # case: MetaCLIP is case-sensitive; wit folds case unless asked not to
    assert metaclip_match("New York", entries) == [] and match_ids(cased, "New York", True) == []
    folded = wit_matcher(tmp_path, entries, case_sensitive=False)
    assert match_ids(folded, "New York", False) == [2]


def test_keep_probability_is_metaclips() -> None:
    counts = np.array([0, 1, 19_999, 20_000, 20_001, 100_000, 7_000_000], dtype=np.int64)
    metaclip = counts.copy()
    metaclip[metaclip < T] = T
    assert np.allclose(keep_probabilities(counts, T), T / metaclip)


def test_balancing_on_known_counts_matches_metaclip_in_expectation() -> None:
    """Entries with known counts: 0 matched by 100k rows, 1 by 55k (head), 2 by 5k (tail, t = 20k).

    Expected kept rows = the sum over rows of 1 - prod(1 - p) over the row's entries, MetaCLIP's
    "any entry keeps it" rule; wit and a MetaCLIP-rule reference with Python's random both land there.
    """
    rows = [[0]] * 60_000 + [[1]] * 10_000 + [[0, 1]] * 40_000 + [[1, 2]] * 5_000
    counts = np.bincount([q for r in rows for q in r], minlength=3)
    assert counts.tolist() == [100_000, 55_000, 5_000]
    p = keep_probabilities(counts, T)
    expected = np.array([1 - np.prod([1 - p[q] for q in r]) for r in rows])
    mean, sd = expected.sum(), math.sqrt((expected * (1 - expected)).sum())

    uids = [f"row-{i}" for i in range(len(rows))]
    keep = balanced_keep(uids, pa.array(rows, pa.list_(pa.int32())), p, seed=0)
    rng = random.Random(0)
    reference = [any(rng.random() < p[q] for q in r) for r in rows]

    for kept in (int(keep.sum()), sum(reference)):
        assert abs(kept - mean) <= 5 * sd
    assert keep[-5_000:].all() and all(reference[-5_000:])  # the tail entry keeps every row it matches
    kept_counts = np.bincount([q for r, k in zip(rows, keep) if k for q in r], minlength=3)
    # entry 0 alone keeps ~t = 20k of its 100k; rows it shares with entry 1 are rescued more often
    assert abs(kept_counts[0] - (60_000 * p[0] + 40_000 * (1 - (1 - p[0]) * (1 - p[1])))) <= 5 * math.sqrt(
        100_000 * 0.25
    )
    head, tail, everything = entry_distribution(counts, kept_counts, T)
    assert (head["count"], tail["count"], everything["count"]) == (2, 1, 3)
    assert head["pairs_before"] == 155_000 and tail["pairs_before"] == tail["pairs_after"] == 5_000
    assert head["pairs_after"] < 0.45 * head["pairs_before"]
