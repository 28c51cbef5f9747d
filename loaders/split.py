"""Deterministic epoch plans: which samples each rank and DataLoader worker reads, batched how.

An epoch of a non-resampled loader is planned from the shard sizes alone, the same way on every rank:

1. The shards are put in a seeded order (a permutation of (seed, epoch) when shuffling, by name otherwise)
   and concatenated into one global sequence of ``N`` samples.
2. The epoch has ``K = ceil(N / (W * B))`` steps (``floor`` with ``drop_last``) for ``W`` ranks and batch
   size ``B``. Every step but the last takes ``W * B`` samples, ``B`` per rank. The last takes the remainder
   ``R``, split across ranks as evenly as possible (sizes differ by at most one); when ``R < W`` the last
   two steps share ``W * B + R`` samples so that no rank gets an empty batch, which is only unavoidable when
   ``N < W`` or ``B == 1``. With ``drop_last`` the tail of fewer than ``W * B`` samples is left out.
3. Rank ``r`` reads a contiguous range of the global sequence holding exactly its share, so every sample
   is read once by one rank, every rank yields ``K`` batches, and shards are split at sample level when a
   boundary falls inside one (fewer shards than ranks or workers is no special case).
4. Within a rank, batch ``j`` belongs to worker ``j % num_workers`` (the order in which torch's DataLoader
   collects batches from its workers); each worker reads a contiguous sub-range holding its batches' samples.

Resampled mode draws whole shards with replacement (weighted by size, seeded by (seed, epoch, rank, worker))
until each worker has ``B`` samples for each of its batches; every rank yields the same ``K`` batches.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate


@dataclass(frozen=True)
class Piece:
    """Samples ``start`` to ``stop - 1`` of shard ``shard`` (an index into the source's shard list)."""

    shard: int
    start: int
    stop: int


@dataclass(frozen=True)
class WorkerPlan:
    """What one DataLoader worker of one rank reads this epoch, and how it cuts its stream into batches."""

    pieces: tuple[Piece, ...]
    batch_sizes: tuple[int, ...]


def derive_seed(*parts: object) -> int:
    """A 63-bit seed that depends only on ``parts``, identical across processes and machines."""
    text = "\x1f".join(map(str, parts)).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big") >> 1


def seeded_rng(*parts: object) -> random.Random:
    """A ``random.Random`` seeded by ``parts`` (e.g. seed, epoch, rank, worker)."""
    return random.Random(derive_seed(*parts))


def step_sizes(total: int, world_size: int, batch_size: int, drop_last: bool) -> list[int]:
    """Samples taken by all ranks together at each step of an epoch of ``total`` samples (rule 2 above)."""
    full = world_size * batch_size
    if drop_last:
        return [full] * (total // full)
    if total == 0:
        return []
    steps = [full] * ((total - 1) // full) + [total - (total - 1) // full * full]
    if len(steps) >= 2 and steps[-1] < world_size:
        pair = steps[-2] + steps[-1]
        steps[-2:] = [pair - pair // 2, pair // 2]
    return steps


def rank_batch_sizes(total: int, world_size: int, batch_size: int, drop_last: bool) -> list[list[int]]:
    """Batch sizes per rank and step: ``[rank][step]``; every rank has the same number of steps."""
    steps = step_sizes(total, world_size, batch_size, drop_last)
    return [[g // world_size + (r < g % world_size) for g in steps] for r in range(world_size)]


def shard_order(num_shards: int, seed: int, epoch: int, shuffle: bool) -> list[int]:
    """The order in which shards are concatenated this epoch: seeded by (seed, epoch) when shuffling."""
    order = list(range(num_shards))
    if shuffle:
        seeded_rng(seed, epoch, "shards").shuffle(order)
    return order


def cut_ranges(order: Sequence[int], sizes: Sequence[int], bounds: Sequence[int]) -> list[tuple[Piece, ...]]:
    """The pieces covering each range ``bounds[k]`` to ``bounds[k + 1] - 1`` of the items (shards, parts) of
    ``sizes`` concatenated in ``order``; ``bounds`` ascend, so one pass over ``order`` cuts them all."""
    ranges: list[list[Piece]] = [[] for _ in bounds[1:]]
    k, position = 0, 0
    for item in order:
        if k == len(ranges):
            break
        end = position + sizes[item]
        while k < len(ranges):
            lo, hi = max(bounds[k], position), min(bounds[k + 1], end)
            if lo < hi:
                ranges[k].append(Piece(item, lo - position, hi - position))
            if bounds[k + 1] > end:
                break
            k += 1
        position = end
    return [tuple(pieces) for pieces in ranges]


def plan_rank(
    sizes: list[int],
    *,
    seed: int,
    epoch: int,
    rank: int,
    world_size: int,
    num_workers: int,
    batch_size: int,
    drop_last: bool,
    shuffle: bool,
) -> list[WorkerPlan]:
    """One ``WorkerPlan`` per worker of ``rank`` for a non-resampled epoch (rules 1-4 in the module doc)."""
    per_rank = rank_batch_sizes(sum(sizes), world_size, batch_size, drop_last)
    order = shard_order(len(sizes), seed, epoch, shuffle)
    begin = sum(sum(batches) for batches in per_rank[:rank])
    per_worker = [tuple(per_rank[rank][worker::num_workers]) for worker in range(num_workers)]
    bounds = list(accumulate((sum(batches) for batches in per_worker), initial=begin))
    return [WorkerPlan(pieces, batches) for pieces, batches in zip(cut_ranges(order, sizes, bounds), per_worker)]


def resampled_batches(samples: int, world_size: int, batch_size: int, drop_last: bool) -> int:
    """Batches per rank in resampled mode: ``samples`` rounded to whole steps of ``W * B`` (at least one)."""
    full = world_size * batch_size
    return max(1, samples // full if drop_last else math.ceil(samples / full))


def plan_rank_resampled(
    sizes: list[int],
    *,
    samples: int,
    seed: int,
    epoch: int,
    rank: int,
    world_size: int,
    num_workers: int,
    batch_size: int,
    drop_last: bool,
) -> list[WorkerPlan]:
    """One ``WorkerPlan`` per worker of ``rank`` for a resampled epoch: shards drawn with replacement."""
    num_batches = resampled_batches(samples, world_size, batch_size, drop_last)
    plans = []
    for worker in range(num_workers):
        batches = (batch_size,) * len(range(worker, num_batches, num_workers))
        rng, needed, pieces = seeded_rng(seed, epoch, rank, worker, "resample"), sum(batches), []
        while needed > 0:
            shard = rng.choices(range(len(sizes)), weights=sizes)[0]
            take = min(sizes[shard], needed)
            pieces.append(Piece(shard, 0, take))
            needed -= take
        plans.append(WorkerPlan(tuple(pieces), batches))
    return plans


def batches_before(position: int, num_workers: int, worker: int) -> int:
    """How many of a rank's first ``position`` batches belong to ``worker`` (batch ``j`` is worker ``j % n``'s)."""
    return len(range(worker, position, num_workers))
