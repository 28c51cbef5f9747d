"""Epoch plans: exactly-once coverage, equal batch counts per rank, seeded orders, resampling."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from loaders.split import (
    Piece,
    batches_before,
    cut_ranges,
    plan_rank,
    plan_rank_resampled,
    rank_batch_sizes,
    shard_order,
    step_sizes,
)


def all_plans(sizes, world_size, num_workers, batch_size, drop_last, seed=0, epoch=0):
    return [
        plan_rank(
            sizes,
            seed=seed,
            epoch=epoch,
            rank=rank,
            world_size=world_size,
            num_workers=num_workers,
            batch_size=batch_size,
            drop_last=drop_last,
            shuffle=True,
        )
        for rank in range(world_size)
    ]


def samples_of(pieces: tuple[Piece, ...]) -> list[tuple[int, int]]:
    return [(p.shard, i) for p in pieces for i in range(p.start, p.stop)]


@settings(max_examples=120, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 25), min_size=1, max_size=7),
    world_size=st.integers(1, 4),
    num_workers=st.integers(1, 4),
    batch_size=st.integers(1, 6),
    seed=st.integers(0, 3),
)
def test_every_sample_once_and_equal_batch_counts(sizes, world_size, num_workers, batch_size, seed) -> None:
    total = sum(sizes)
    plans = all_plans(sizes, world_size, num_workers, batch_size, drop_last=False, seed=seed)
    read = Counter(s for rank in plans for w in rank for s in samples_of(w.pieces))
    assert read == Counter((shard, i) for shard, n in enumerate(sizes) for i in range(n))
    counts = {sum(len(w.batch_sizes) for w in rank) for rank in plans}
    assert len(counts) == 1
    for rank in plans:
        for worker in rank:
            assert sum(worker.batch_sizes) == len(samples_of(worker.pieces))
            assert all(0 <= p.start < p.stop <= sizes[p.shard] for p in worker.pieces)
    per_step = rank_batch_sizes(total, world_size, batch_size, drop_last=False)
    for step in zip(*per_step):
        assert max(step) - min(step) <= 1 and max(step) <= batch_size
        if total >= world_size and batch_size > 1:
            assert min(step) >= 1, "no rank gets an empty batch unless fewer samples than ranks or batch size 1"


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 25), min_size=1, max_size=7),
    world_size=st.integers(1, 4),
    num_workers=st.integers(1, 4),
    batch_size=st.integers(1, 6),
)
def test_drop_last_gives_full_batches_without_duplicates(sizes, world_size, num_workers, batch_size) -> None:
    plans = all_plans(sizes, world_size, num_workers, batch_size, drop_last=True)
    read = [s for rank in plans for w in rank for s in samples_of(w.pieces)]
    steps = sum(sizes) // (world_size * batch_size)
    assert len(read) == len(set(read)) == steps * world_size * batch_size
    for rank in plans:
        sizes_seen = [b for w in rank for b in w.batch_sizes]
        assert sizes_seen == [batch_size] * steps


def test_last_two_steps_share_a_small_remainder() -> None:
    # 2 ranks, batch 4: 9 samples would leave 1 for the second step; the two steps share 9 instead
    assert step_sizes(9, 2, 4, drop_last=False) == [5, 4]
    assert rank_batch_sizes(9, 2, 4, drop_last=False) == [[3, 2], [2, 2]]
    assert step_sizes(17, 2, 4, drop_last=False) == [8, 5, 4]
    assert step_sizes(3, 4, 4, drop_last=False) == [3]  # fewer samples than ranks: one rank's batch is empty
    assert step_sizes(20, 2, 4, drop_last=True) == [8, 8]


def test_workers_take_batches_round_robin() -> None:
    (rank0,) = all_plans([10, 10], world_size=1, num_workers=3, batch_size=3, drop_last=False)[:1]
    assert [w.batch_sizes for w in rank0] == [(3, 3, 2), (3, 3), (3, 3)]
    assert [batches_before(5, 3, w) for w in range(3)] == [2, 2, 1]
    assert [batches_before(0, 3, w) for w in range(3)] == [0, 0, 0]


def test_shard_order_is_seeded_by_seed_and_epoch() -> None:
    assert shard_order(50, seed=1, epoch=0, shuffle=True) == shard_order(50, seed=1, epoch=0, shuffle=True)
    assert shard_order(50, seed=1, epoch=0, shuffle=True) != shard_order(50, seed=1, epoch=1, shuffle=True)
    assert shard_order(50, seed=1, epoch=0, shuffle=True) != shard_order(50, seed=2, epoch=0, shuffle=True)
    assert sorted(shard_order(50, seed=1, epoch=3, shuffle=True)) == list(range(50))
    assert shard_order(5, seed=1, epoch=3, shuffle=False) == [0, 1, 2, 3, 4]


def test_cut_ranges_splits_shards_at_sample_level() -> None:
    assert cut_ranges([2, 0, 1], [4, 5, 6], [3, 9]) == [(Piece(2, 3, 6), Piece(0, 0, 3))]
    assert cut_ranges([0], [4], [4, 4]) == [()]
    assert cut_ranges([0, 1], [3, 3], [0, 2, 2, 4, 6]) == [
        (Piece(0, 0, 2),),
        (),
        (Piece(0, 2, 3), Piece(1, 0, 1)),
        (Piece(1, 1, 3),),
    ]


@settings(max_examples=100, deadline=None)
@given(sizes=st.lists(st.integers(0, 9), max_size=6), cuts=st.lists(st.integers(0, 60), max_size=6), data=st.data())
def test_cut_ranges_match_the_samples_in_order(sizes, cuts, data) -> None:
    order = data.draw(st.permutations(range(len(sizes))))
    samples = [(shard, i) for shard in order for i in range(sizes[shard])]
    bounds = sorted(min(c, len(samples)) for c in cuts)
    ranges = cut_ranges(order, sizes, bounds)
    assert [samples_of(pieces) for pieces in ranges] == [samples[a:b] for a, b in zip(bounds, bounds[1:])]
    assert all(p.start < p.stop for pieces in ranges for p in pieces)


def test_resampled_plans_fill_equal_full_batches_from_drawn_shards() -> None:
    sizes = [5, 0, 9, 2]
    common = dict(samples=37, seed=0, epoch=0, world_size=2, num_workers=3, batch_size=4, drop_last=False)
    plans = [plan_rank_resampled(sizes, rank=r, **common) for r in range(2)]
    for rank in plans:
        assert sum(len(w.batch_sizes) for w in rank) == 5  # ceil(37 / 8)
        for worker in rank:
            assert set(worker.batch_sizes) <= {4}
            assert sum(p.stop - p.start for p in worker.pieces) == sum(worker.batch_sizes)
            assert all(p.shard != 1 and p.stop <= sizes[p.shard] for p in worker.pieces)
    assert plans[0] != plans[1]
    assert plan_rank_resampled(sizes, rank=0, **common) == plans[0]
    assert plan_rank_resampled(sizes, rank=0, **{**common, "epoch": 1}) != plans[0]
    drop = plan_rank_resampled(sizes, rank=0, **{**common, "drop_last": True})
    assert sum(len(w.batch_sizes) for w in drop) == 4
