"""Bigrams with high pointwise mutual information, counted over a manifest's captions on dask.

CLIP added "bigrams with high pointwise mutual information" from Wikipedia to its queries, and
MetaCLIP kept Wikipedia bigrams of PMI >= 30 (nltk's ``log2(n(xy) N / (n(x) n(y)))`` over its
counts). Here the corpus is the user's own crawl: captions are put in the matcher's form
(lower case, MetaCLIP's spacing), split on spaces, and adjacent word pairs counted (a
punctuation token breaks a pair, a stopword is never half of one). A pair is kept when seen at
least ``min_count`` times with ``PMI = log2(n(xy) N / (n(x) n(y))) >= min_pmi``, N the word count.
A caption corpus is far smaller than Wikipedia, so the PMI threshold is lower than MetaCLIP's and
the count floor is what keeps chance pairs of rare words out.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
from distributed import Client

from filters.global_step import compute
from filters.query_match import match_form
from wit_pipeline import storage
from wit_pipeline.manifest import decode_utf8_column, list_parts

DEFAULT_MIN_COUNT = 5
DEFAULT_MIN_PMI = 5.0


@dataclass
class NgramCounts:
    """Word and adjacent-pair counts of some captions."""

    words: Counter
    pairs: Counter

    def merge(self, other: NgramCounts) -> NgramCounts:
        """The counts of both, as a new object (a fold's initial value is shared between its partitions)."""
        words, pairs = Counter(self.words), Counter(self.pairs)
        words.update(other.words)
        pairs.update(other.pairs)
        return NgramCounts(words, pairs)


def caption_counts(captions: Sequence[str | None], stops: frozenset[str]) -> NgramCounts:
    """Words and adjacent content-word pairs of ``captions``."""
    words: Counter = Counter()
    pairs: Counter = Counter()
    for caption in captions:
        if not caption:
            continue
        previous = None
        for token in match_form(caption).split():
            if not any(c.isalpha() for c in token):
                previous = None
                continue
            words[token] += 1
            if token in stops:
                previous = None
                continue
            if previous is not None:
                pairs[(previous, token)] += 1
            previous = token
    return NgramCounts(words, pairs)


def part_counts(path: str, stops: frozenset[str]) -> NgramCounts:
    """Counts of one manifest part's captions."""
    column = storage.read_parquet(path, columns=["caption"])["caption"]
    captions, invalid = decode_utf8_column(column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column)
    return caption_counts([None if bad else c for bad, c in zip(invalid, captions.to_pylist())], stops)


def pmi_bigrams(counts: NgramCounts, min_count: int = DEFAULT_MIN_COUNT, min_pmi: float = DEFAULT_MIN_PMI) -> list[str]:
    """Pairs seen ``min_count`` times with PMI at least ``min_pmi``, highest PMI first (ties by text)."""
    total = sum(counts.words.values())
    scored = []
    for (x, y), n in counts.pairs.items():
        if n < min_count:
            continue
        pmi = math.log2(n * total / (counts.words[x] * counts.words[y]))
        if pmi >= min_pmi:
            scored.append((-pmi, f"{x} {y}"))
    return [text for _, text in sorted(scored)]


def manifest_counts(manifest: str, stops: frozenset[str], client: Client | None) -> NgramCounts:
    """Counts over every part of ``manifest``: one task per part, folded by a dask bag reduction."""
    import dask.bag as db

    paths = [str(p) for p in list_parts(manifest)]
    bag = db.from_sequence(paths, npartitions=len(paths))
    empty = NgramCounts(Counter(), Counter())
    total = bag.map(part_counts, stops).fold(NgramCounts.merge, initial=empty)
    return compute(total, client)
