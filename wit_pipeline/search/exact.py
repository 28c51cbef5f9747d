"""Exact cosine top-k over stored embeddings, a block at a time, in bounded memory.

The stored features are unit length, so cosine similarity is a dot product. Each block (one shard's
memory-mapped array, cut into ``rows`` rows) is converted to float32, scored against every query and its
best ``k`` merged into the running best. Ties rank the smaller global position first, so results never
depend on block sizes.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch

BLOCK_ROWS = 65_536


def merge_top_k(
    scores: np.ndarray, positions: np.ndarray, new_scores: np.ndarray, new_positions: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The best ``k`` of two candidate sets per query (``[Q, *]`` each), best first, ties by position."""
    all_scores = np.concatenate([scores, new_scores], axis=1)
    all_positions = np.concatenate([positions, new_positions], axis=1)
    order = np.lexsort((all_positions, -all_scores.astype(np.float64)), axis=1)[:, :k]
    return np.take_along_axis(all_scores, order, 1), np.take_along_axis(all_positions, order, 1)


def top_k(
    queries: np.ndarray, blocks: Iterable[tuple[int, np.ndarray]], k: int, rows: int = BLOCK_ROWS
) -> tuple[np.ndarray, np.ndarray]:
    """``(scores [Q, k'], positions [Q, k'])`` of the best matches of unit-length ``queries`` [Q, D].

    ``blocks`` yields ``(global position of the first row, [n, D] features)``; k' = min(k, rows seen).
    """
    query = torch.from_numpy(np.ascontiguousarray(queries, dtype=np.float32))
    best_scores = np.zeros((query.shape[0], 0), np.float32)
    best_positions = np.zeros((query.shape[0], 0), np.int64)
    for start, block in blocks:
        for offset in range(0, block.shape[0], rows):
            part = torch.from_numpy(np.asarray(block[offset : offset + rows], dtype=np.float32))
            scores = query @ part.T
            take = min(k, part.shape[0])
            values, indices = scores.topk(take, dim=1, sorted=True)
            # topk may cut a tie at position k; widen to every candidate scoring at least the k-th value
            kth = values[:, -1:]
            wide = (scores >= kth).sum(dim=1).max().item()
            if wide > take:
                values, indices = scores.topk(int(wide), dim=1, sorted=True)
            positions = indices.numpy().astype(np.int64) + start + offset
            best_scores, best_positions = merge_top_k(best_scores, best_positions, values.numpy(), positions, k)
    return best_scores, best_positions
