"""MetaCLIP balancing: binomial bounds for capped queries, rare queries rescue pairs, global counts."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from filters.balance import (
    BalanceStage,
    balanced_keep,
    count_queries,
    keep_probabilities,
    uniform_draws,
    write_counts,
)
from wit_pipeline.layout.job_dir import is_complete


def uids(n: int, prefix: str = "row") -> list[str]:
    return [f"{prefix}-{i}" for i in range(n)]


def queries_array(rows: list[list[int]]) -> pa.Array:
    return pa.array(rows, pa.list_(pa.int32()))


def test_keep_probability_is_t_over_count_capped_at_one() -> None:
    p = keep_probabilities(np.array([0, 10, 400, 4000]), 400)
    assert p.tolist() == [1.0, 1.0, 1.0, 0.1]
    assert keep_probabilities(np.array([10**9]), 0).tolist() == [1.0]


def test_draws_are_uniform_and_depend_only_on_seed_uid_and_query() -> None:
    ids = uids(20_000)
    parents = np.arange(20_000)
    draws = uniform_draws(ids, np.zeros(20_000, dtype=np.int64), parents, seed=3)
    assert abs(draws.mean() - 0.5) < 0.01 and 0.0 <= draws.min() and draws.max() < 1.0
    assert np.histogram(draws, bins=10, range=(0, 1))[0].min() > 1800
    reordered = uniform_draws(ids[::-1], np.zeros(20_000, dtype=np.int64), parents, seed=3)
    assert np.array_equal(reordered[::-1], draws)
    other_query = uniform_draws(ids, np.ones(20_000, dtype=np.int64), parents, seed=3)
    other_seed = uniform_draws(ids, np.zeros(20_000, dtype=np.int64), parents, seed=4)
    assert abs(np.corrcoef(draws, other_query)[0, 1]) < 0.05 and not np.array_equal(draws, other_seed)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_common_query_keeps_about_t_rows_and_small_queries_keep_all(seed: int) -> None:
    cap, common, small = 400, 4000, 300
    rows = [[0]] * common + [[1]] * small
    counts = np.array([common, small])
    keep = balanced_keep(uids(len(rows)), queries_array(rows), keep_probabilities(counts, cap), seed)
    kept_common = int(keep[:common].sum())
    p = cap / common
    sd = math.sqrt(common * p * (1 - p))
    assert abs(kept_common - cap) <= 5 * sd
    assert keep[common:].all()


def test_pair_matching_a_rare_and_a_common_query_survives_through_the_rare_one() -> None:
    cap = 50
    rows = [[0]] * 5000 + [[0, 7]] * 40
    counts = np.zeros(8, dtype=np.int64)
    counts[0], counts[7] = 5040, 40
    keep = balanced_keep(uids(len(rows)), queries_array(rows), keep_probabilities(counts, cap), seed=0)
    assert keep[5000:].all()
    assert keep[:5000].sum() < 200


def test_any_of_several_capped_queries_can_keep_a_row() -> None:
    cap, n = 100, 10_000
    counts = np.array([n, n])
    both = balanced_keep(uids(n), queries_array([[0, 1]] * n), keep_probabilities(counts, cap), seed=0)
    expected = n * (1 - (1 - cap / n) ** 2)
    assert abs(int(both.sum()) - expected) <= 5 * math.sqrt(expected)


def write_parts(directory: Path, parts: list[list[list[int]]]) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, rows in enumerate(parts):
        path = directory / f"part-{i:05d}.parquet"
        pq.write_table(pa.table({"uid": uids(len(rows), f"p{i}"), "queries": queries_array(rows)}), path)
        paths.append(str(path))
    return paths


def test_global_counts_on_a_local_cluster_equal_a_plain_count(tmp_path: Path, dask_client) -> None:
    rng = np.random.default_rng(0)
    parts = [[list(rng.choice(50, size=rng.integers(1, 4), replace=False)) for _ in range(300)] for _ in range(5)]
    paths = write_parts(tmp_path / "in", parts)
    expected = np.bincount([q for part in parts for row in part for q in row], minlength=60)
    assert np.array_equal(count_queries(paths, 60, dask_client), expected)
    assert np.array_equal(count_queries(paths, 60, None), expected)
    write_counts(paths, 60, tmp_path / "counts", dask_client)
    assert is_complete(tmp_path / "counts")
    assert np.array_equal(np.load(tmp_path / "counts" / "matched.npy"), expected)


def test_stage_rejects_capped_rows_and_rows_without_queries(tmp_path: Path) -> None:
    counts_path = tmp_path / "matched.npy"
    np.save(counts_path, np.array([1000, 3]))
    table = pa.table({"uid": uids(1003), "queries": queries_array([[0]] * 1000 + [[1]] * 2 + [[]])})
    result = BalanceStage(str(counts_path), cap=100, seed=0)(table, 0)
    reasons = result.rejected["reason"].to_pylist()
    assert reasons.count("no_query_match") == 1
    assert 50 < result.kept.num_rows < 160 and reasons.count("query_cap") == 1003 - 1 - result.kept.num_rows
    assert result.counters.rows_in == 1003 == result.counters.kept + result.counters.rejected_total
