"""Exact top-k over blocks: the same answer as a full sort, whatever the block sizes; ties by position."""

from __future__ import annotations

import numpy as np

from wit_pipeline.search.exact import top_k


def blocks_of(features: np.ndarray, sizes: list[int]) -> list[tuple[int, np.ndarray]]:
    out, start = [], 0
    for size in sizes:
        out.append((start, features[start : start + size]))
        start += size
    return out


def test_top_k_equals_a_full_sort_for_any_blocking() -> None:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(500, 16)).astype(np.float32)
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    queries = features[[3, 250, 499]] + 0.1 * rng.normal(size=(3, 16)).astype(np.float32)
    expected = np.argsort(-(queries @ features.T), axis=1, kind="stable")[:, :7]
    for sizes, rows in (([500], 65536), ([100, 0, 250, 150], 64), ([1] * 500, 1)):
        scores, positions = top_k(queries, blocks_of(features, sizes), k=7, rows=rows)
        assert (positions == expected).all()
        np.testing.assert_allclose(scores, np.take_along_axis(queries @ features.T, expected, 1), rtol=1e-5)


def test_ties_rank_the_smaller_position_first_and_k_is_capped() -> None:
    features = np.array([[1, 0], [0, 1], [1, 0], [1, 0]], dtype=np.float16)
    scores, positions = top_k(np.array([[1.0, 0.0]]), blocks_of(features, [1, 3]), k=10, rows=2)
    assert positions.tolist() == [[0, 2, 3, 1]] and scores.tolist() == [[1.0, 1.0, 1.0, 0.0]]
    _, positions = top_k(np.array([[1.0, 0.0]]), blocks_of(features[::-1].copy(), [2, 2]), k=2, rows=1)
    assert positions.tolist() == [[0, 1]]
