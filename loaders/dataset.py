"""The stream one DataLoader worker produces: planned pieces → shuffle buffer → planned batches → decode.

Each worker follows its ``WorkerPlan`` (see ``loaders.split``), so the batches it yields, their number and
their content depend only on (seed, epoch, rank, worker), never on timing. A bad sample is counted and
left out of its batch (the batch is one smaller), so a rank always yields its planned number of batches.
The stream does not stop at the end of an epoch: each worker goes on with its share of the next one, so the
DataLoader's worker processes live across epochs and the next epoch's first batches (and shuffle buffers)
are ready when the last ones of the previous epoch are consumed. torch collects batches from its workers
round-robin, so DataLoader worker ``i`` serves batches ``i, i + n, i + 2n, ...`` of the stream; the stream
starts at batch ``k`` of epoch ``e``, so in epoch ``e + d`` worker ``i`` plays planned worker
``(i + k - d * K) % n`` (``K`` batches per epoch), and in the first epoch drops its batches before ``k``
without decoding them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain, count, islice

import torch
from torch.utils.data import IterableDataset, get_worker_info
from webdataset import filters

from loaders.shard_source import ShardList
from loaders.skips import CountingHandler, Handler, SampleError
from loaders.split import (
    WorkerPlan,
    batches_before,
    plan_rank,
    plan_rank_resampled,
    resampled_batches,
    seeded_rng,
    step_sizes,
)
from loaders.tar_reader import RawSample, read_piece
from loaders.tokenizer import Tokenizer
from loaders.transforms import ImageTransform, normalize_on_device

Slot = tuple[int, RawSample]  # (position in the worker's stream, sample)


@dataclass
class PlannedBatches(IterableDataset):
    """An IterableDataset yielding whole ``(images, tokens)`` batches of one rank, as planned for its epoch."""

    shards: ShardList
    transform: ImageTransform
    tokenizer: Tokenizer
    batch_size: int
    seed: int
    rank: int
    world_size: int
    workers: int  # planned workers per rank: DataLoader num_workers, or 1 without worker processes
    drop_last: bool
    shuffle: bool
    shuffle_buffer: int
    resampled: bool
    samples: int
    uint8: bool
    handler: Handler | None = None
    epoch: int = 0  # where the stream starts: epoch and batch within it
    start_batch: int = 0
    _sizes: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._sizes = list(self.shards.sizes)

    @property
    def num_batches(self) -> int:
        """Batches every rank yields per epoch."""
        if self.resampled:
            return resampled_batches(self.samples, self.world_size, self.batch_size, self.drop_last)
        return len(step_sizes(self.shards.num_samples, self.world_size, self.batch_size, self.drop_last))

    @property
    def num_samples(self) -> int:
        """Samples per epoch across all ranks (before any skipped as bad)."""
        if self.resampled:
            return self.num_batches * self.world_size * self.batch_size
        return sum(step_sizes(self.shards.num_samples, self.world_size, self.batch_size, self.drop_last))

    def plans(self, epoch: int) -> list[WorkerPlan]:
        """This rank's worker plans for ``epoch``."""
        common = dict(epoch=epoch, rank=self.rank, world_size=self.world_size, num_workers=self.workers)
        common.update(seed=self.seed, batch_size=self.batch_size, drop_last=self.drop_last)
        if self.resampled:
            return plan_rank_resampled(self._sizes, samples=self.samples, **common)
        return plan_rank(self._sizes, shuffle=self.shuffle, **common)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """This worker's ``(images, tokens, skips)`` from batch ``start_batch`` of ``epoch`` on, without end.

        ``skips`` counts the samples left out (per reason of ``SKIP_REASONS``) since the worker's last batch.
        """
        info = get_worker_info()
        stream_worker = info.id if info else 0
        handler = CountingHandler(self.handler)
        for epoch in count(self.epoch):
            offset = (epoch - self.epoch) * self.num_batches - self.start_batch  # stream index of batch 0
            worker = (stream_worker - offset) % self.workers
            skip = batches_before(self.start_batch, self.workers, worker) if epoch == self.epoch else 0
            yield from self._epoch_batches(epoch, worker, skip, handler)

    def _epoch_batches(
        self, epoch: int, worker: int, skip: int, handler: CountingHandler
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Planned worker ``worker``'s batches of ``epoch``, the first ``skip`` read but not decoded."""
        plan = self.plans(epoch)[worker]
        slots = self._slots(plan, handler)
        if self.shuffle and self.shuffle_buffer > 1:
            rng = seeded_rng(self.seed, epoch, self.rank, worker, "buffer")
            slots = filters.shuffle(self.shuffle_buffer, self.shuffle_buffer, rng=rng)(slots)
        for number, size in enumerate(plan.batch_sizes):
            group = list(islice(slots, size))
            if number >= skip:
                yield *self._collate(group, epoch, worker, handler), handler.take()

    def _slots(self, plan: WorkerPlan, handler: CountingHandler) -> Iterator[Slot]:
        sizes = None if self.resampled else self.shards.sizes  # a resampled shard is read many times: count once
        pieces = (
            read_piece(self.shards.paths[p.shard], p.shard, p.start, p.stop, handler.skip, sizes and sizes[p.shard])
            for p in plan.pieces
        )
        return enumerate(chain.from_iterable(pieces))

    def _collate(
        self, group: list[Slot], epoch: int, worker: int, handler: CountingHandler
    ) -> tuple[torch.Tensor, torch.Tensor]:
        images, texts = [], []
        for position, raw in group:
            try:
                image, text = self._decode(raw, seeded_rng(self.seed, epoch, self.rank, worker, position))
            except SampleError as exn:
                handler(exn)
                continue
            images.append(image)
            texts.append(text)
        size = self.transform.size
        batch = torch.empty((len(images), 3, size, size), dtype=torch.uint8)
        for i, image in enumerate(images):
            batch[i].copy_(image)
        return (batch if self.uint8 else normalize_on_device(batch)), self.tokenizer(texts)

    def _decode(self, raw: RawSample, rng) -> tuple[torch.Tensor, str]:
        if raw.error is not None:
            raise SampleError(raw.error, f"shard {self.shards.paths[raw.shard]} sample {raw.index}")
        if raw.image is None:
            raise SampleError("missing_image", f"shard {self.shards.paths[raw.shard]} sample {raw.index}")
        if raw.text is None:
            raise SampleError("missing_caption", f"shard {self.shards.paths[raw.shard]} sample {raw.index}")
        try:
            text = raw.text.decode("utf-8")
        except UnicodeDecodeError as exn:
            raise SampleError("bad_caption", str(exn)) from None
        if not text.strip():
            raise SampleError("missing_caption", f"shard {self.shards.paths[raw.shard]} sample {raw.index}: empty")
        try:
            image = self.transform(raw.image, rng)
        except Exception as exn:  # any decoder failure on untrusted bytes is a skipped sample
            raise SampleError("decode_error", f"{type(exn).__name__}: {exn}") from None
        return image, text
