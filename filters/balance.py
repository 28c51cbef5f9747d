"""MetaCLIP balancing: cap every query at ``t`` rows by seeded sampling, counted globally with dask.

A query matched by ``c`` rows keeps each of its rows with probability ``min(1, t / c)``; a row
survives if any of its matched queries keeps it, so a row matching a rare query always survives
whatever common queries it also matches. Counts come from one dask bag reduction over every
partition's ``queries`` column. The draw for (row, query) is a hash of (seed, row uid, query id),
never a stream of random numbers, so which rows survive does not depend on partitioning or on
the order rows are processed in.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from distributed import Client

from filters.global_step import compute, run_step
from wit_pipeline.runtime import StageResult, split_rows
from wit_pipeline.runtime.seeds import derive_seed

STAGE = "balance"
COUNTS_FILE = "matched.npy"
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def part_counts(path: str, n_queries: int) -> np.ndarray:
    """How many rows of one manifest part match each query."""
    queries = pq.read_table(path, columns=["queries"])["queries"].combine_chunks()
    ids = pc.list_flatten(queries).to_numpy(zero_copy_only=False)
    return np.bincount(ids, minlength=n_queries).astype(np.int64)


def count_queries(paths: Sequence[str], n_queries: int, client: Client | None) -> np.ndarray:
    """Rows matching each query over all ``paths``: a tree reduction of per-part counts on dask."""
    import dask.bag as db

    bag = db.from_sequence(list(paths), npartitions=max(1, len(paths)))
    total = bag.map(part_counts, n_queries).fold(np.add, initial=np.zeros(n_queries, dtype=np.int64))
    return compute(total, client)


def write_counts(paths: Sequence[str], n_queries: int, out: Path, client: Client | None) -> None:
    """Global step: the before-balancing count of every query, as ``out/matched.npy``."""
    run_step(out, lambda tmp: np.save(tmp / COUNTS_FILE, count_queries(paths, n_queries, client)))


def keep_probabilities(counts: np.ndarray, cap: int) -> np.ndarray:
    """``min(1, cap / count)`` per query (1 for unmatched queries); no cap when ``cap`` is 0."""
    if cap <= 0:
        return np.ones(len(counts))
    return np.minimum(1.0, cap / np.maximum(counts, 1))


def entry_distribution(matched: np.ndarray, kept: np.ndarray, cap: int) -> list[dict]:
    """MetaCLIP's head/tail view: entries matched more than ``cap`` times (head) and 1..cap times (tail),
    with their (row, entry) pairs before and after balancing; a row counts once per entry it matches."""
    matched, kept = np.asarray(matched, dtype=np.int64), np.asarray(kept, dtype=np.int64)
    groups = [("head", matched > cap), ("tail", (matched > 0) & (matched <= cap))] if cap > 0 else []
    groups.append(("all matched", matched > 0))
    return [
        {
            "entries": name,
            "count": int(m.sum()),
            "pairs_before": int(matched[m].sum()),
            "pairs_after": int(kept[m].sum()),
        }
        for name, m in groups
    ]


def uniform_draws(uids: Sequence[str], query_ids: np.ndarray, parents: np.ndarray, seed: int) -> np.ndarray:
    """A uniform [0, 1) number per (row, query) pair, a pure function of (seed, uid, query id)."""
    key = f"{derive_seed(seed, STAGE):016x}"[:16]
    row_hash = pd.util.hash_array(np.asarray(uids, dtype=object), hash_key=key, categorize=False)
    with np.errstate(over="ignore"):
        x = row_hash[parents] ^ ((query_ids.astype(np.uint64) + np.uint64(1)) * _GOLDEN)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def balanced_keep(uids: Sequence[str], queries: pa.Array, probabilities: np.ndarray, seed: int) -> np.ndarray:
    """Which rows survive balancing: any matched query's draw falls under its keep probability."""
    query_ids = pc.list_flatten(queries).to_numpy(zero_copy_only=False).astype(np.int64)
    parents = pc.list_parent_indices(queries).to_numpy(zero_copy_only=False).astype(np.int64)
    kept_pairs = uniform_draws(uids, query_ids, parents, seed) < probabilities[query_ids]
    return np.bincount(parents[kept_pairs], minlength=len(uids)) > 0


@functools.lru_cache(maxsize=2)
def _probabilities(counts_path: str, cap: int) -> np.ndarray:
    return keep_probabilities(np.load(counts_path), cap)


@dataclass(frozen=True)
class BalanceStage:
    """Per-partition stage: reject rows the cap samples out as ``query_cap``."""

    counts_path: str
    cap: int
    seed: int
    name: str = STAGE

    def __call__(self, table: pa.Table, partition: int) -> StageResult:
        """Apply the global keep probabilities to this partition's rows."""
        queries = table["queries"].combine_chunks()
        keep = balanced_keep(table["uid"].to_pylist(), queries, _probabilities(self.counts_path, self.cap), self.seed)
        reasons = [None if k else "query_cap" for k in keep.tolist()]
        matched = pc.list_value_length(queries).fill_null(0).to_numpy(zero_copy_only=False)
        for i in np.flatnonzero(matched == 0).tolist():
            reasons[i] = "no_query_match"
        return split_rows(table, reasons, self.name)
