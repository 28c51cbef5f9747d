"""``make_loader``: the streaming DataLoader users import and the trainer uses, with exact epochs and resume."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import fsspec
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader

from loaders.dataset import PlannedBatches
from loaders.shard_source import ShardList, resolve_source
from loaders.skips import SKIP_REASONS, Handler, skip_totals
from loaders.tar_reader import is_url
from loaders.tokenizer import Tokenizer, load_tokenizer
from loaders.transforms import CLIP_RATIO, CLIP_SCALE, ImageTransform
from wit_pipeline.errors import WitError
from wit_pipeline.layout.shard_dir import TOKENIZER_FILE

_RESUME_KEYS = ("seed", "world_size", "num_workers", "batch_size", "resampled", "num_batches", "num_samples")


class StreamingLoader:
    """Iterable of ``(images, tokens)`` batches for one rank, one epoch per full pass.

    Iterating yields the rest of the current epoch from the current position; after the last batch the
    loader moves on to the next epoch, so ``for batch in loader`` once per epoch gives a new order each time.
    ``state_dict`` is the position (epoch, batches consumed); ``load_state_dict`` resumes there exactly.

    One DataLoader serves every epoch: its worker processes start once and, while an epoch is consumed, go
    on into the next one (see ``loaders.dataset``), so an epoch boundary costs no worker start and no
    shuffle-buffer refill. Only a jump elsewhere (``load_state_dict``, ``set_epoch`` to another epoch)
    starts new workers; ``close`` stops them (they also stop when the loader is garbage-collected).
    """

    def __init__(
        self,
        dataset: PlannedBatches,
        num_workers: int,
        pin_memory: bool = False,
        prefetch_factor: int = 2,
        multiprocessing_context: str | None = None,
    ) -> None:
        self.dataset = dataset
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.prefetch_factor = prefetch_factor
        self.multiprocessing_context = multiprocessing_context
        self._epoch = dataset.epoch
        self._position = 0
        self._stream: Iterator[tuple[torch.Tensor, torch.Tensor]] | None = None
        self._stream_index = 0  # index (epoch * num_batches + batch) of the stream's next batch
        self._skipped = torch.zeros(len(SKIP_REASONS), dtype=torch.int64)

    @property
    def num_batches(self) -> int:
        """Batches this rank yields per epoch, identical on every rank."""
        return self.dataset.num_batches

    @property
    def num_samples(self) -> int:
        """Samples per epoch across all ranks (bad samples skipped at read time still count here)."""
        return self.dataset.num_samples

    @property
    def epoch(self) -> int:
        """The epoch the next batch belongs to."""
        return self._epoch

    @property
    def skipped(self) -> dict[str, int]:
        """Samples and tar members skipped in the batches this loader has delivered so far, per reason."""
        return skip_totals(self._skipped)

    def __len__(self) -> int:
        return self.num_batches

    def set_epoch(self, epoch: int) -> None:
        """Start ``epoch`` from its first batch, or keep the position when already inside it (after a resume)."""
        if epoch != self._epoch:
            self._epoch, self._position = epoch, 0

    def state_dict(self) -> dict:
        """The position for exact resume, JSON-serialisable; a finished epoch reads as the next one's start."""
        epoch, position = self._epoch, self._position
        if position >= self.num_batches:
            epoch, position = epoch + 1, 0
        ds = self.dataset
        return {
            "epoch": epoch,
            "batches": position,
            "seed": ds.seed,
            "world_size": ds.world_size,
            "num_workers": self.num_workers,
            "batch_size": ds.batch_size,
            "resampled": ds.resampled,
            "num_batches": self.num_batches,
            "num_samples": self.num_samples,
        }

    def load_state_dict(self, state: dict) -> None:
        """Resume at a position from ``state_dict``; the loader must be configured as the one that saved it."""
        mine = self.state_dict()
        wrong = [k for k in _RESUME_KEYS if state.get(k) != mine[k]]
        if wrong:
            diffs = ", ".join(f"{k}={state.get(k)!r} (loader has {mine[k]!r})" for k in wrong)
            raise WitError(f"loader state: saved with different settings: {diffs}")
        if not 0 <= state["batches"] <= self.num_batches:
            raise WitError(f"loader state: batches={state['batches']} outside 0..{self.num_batches}")
        self._epoch, self._position = int(state["epoch"]), int(state["batches"])
        if self._position == self.num_batches:
            self._epoch, self._position = self._epoch + 1, 0

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        if self._position >= self.num_batches:
            self._epoch, self._position = self._epoch + 1, 0
        self._seek()
        while self._position < self.num_batches:
            batch = self._next_or_close()
            self._position += 1
            yield batch
        self._epoch, self._position = self._epoch + 1, 0

    def close(self) -> None:
        """Stop the worker processes (the next iteration starts new ones where the position is)."""
        stream, self._stream = self._stream, None
        shutdown = getattr(stream, "_shutdown_workers", None)
        if shutdown is not None:
            shutdown()

    def _seek(self) -> None:
        """Make the stream's next batch the current position: go on, drain a few batches, or start anew."""
        target = self._epoch * self.num_batches + self._position
        if self._stream is not None:
            gap = target - self._stream_index
            # A step that leaves a few batches of an epoch unused (accum_freq not dividing it) drains them
            # from the workers, which already have them in flight, rather than restarting the workers.
            if 0 <= gap <= max(1, self.num_workers) * (self.prefetch_factor + 1):
                for _ in range(gap):
                    self._next_or_close()
                return
            self.close()
        self.dataset.epoch, self.dataset.start_batch = self._epoch, self._position
        loader = DataLoader(
            self.dataset,
            batch_size=None,
            num_workers=self.num_workers,
            pin_memory=self.pin_memory,
            prefetch_factor=self.prefetch_factor if self.num_workers else None,
            multiprocessing_context=self.multiprocessing_context if self.num_workers else None,
        )
        self._stream, self._stream_index = iter(loader), target

    def _next_or_close(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The stream's next batch; a failure there (a worker's error, an interrupt) ends the stream."""
        try:
            images, tokens, skips = next(self._stream)
        except BaseException:
            self.close()
            raise
        self._stream_index += 1
        self._skipped += skips
        return images, tokens


def make_loader(
    source: str | os.PathLike | list[str | os.PathLike],
    batch_size: int,
    image_size: int,
    train: bool = True,
    tokenizer: Tokenizer | str | os.PathLike | None = None,
    num_workers: int = 0,
    seed: int = 0,
    epoch: int = 0,
    resampled: bool = False,
    samples: int | None = None,
    rank: int | None = None,
    world_size: int | None = None,
    uint8: bool = False,
    drop_last: bool = False,
    shuffle: bool | None = None,
    shuffle_buffer: int = 2000,
    scale: tuple[float, float] = CLIP_SCALE,
    ratio: tuple[float, float] = CLIP_RATIO,
    decoder: str = "auto",
    handler: Handler | None = None,
    pin_memory: bool = False,
    prefetch_factor: int = 2,
    multiprocessing_context: str | None = None,
) -> StreamingLoader:
    """Build the streaming loader of ``(images, tokens)`` batches for this rank.

    ``source``: shard directory (``sizes.json``), brace pattern, or list of paths/fsspec URLs. ``train``
    picks CLIP's random square crop and shuffling (shards and a ``shuffle_buffer`` of samples per worker);
    eval center-crops in shard order. Non-resampled epochs read every sample exactly once across ranks with
    equal batch counts per rank (see ``loaders.split``); ``resampled`` draws shards with replacement for
    ``samples`` samples per epoch. ``rank``/``world_size`` default to torch.distributed's, else 0/1.
    ``tokenizer`` (a ``Tokenizer``, ``"clip"`` or a ``tokenizer.json``) defaults to ``tokenizer.json`` beside the
    shards, else CLIP's tokenizer (said once on stderr), so plain img2dataset/webdataset shards load as they
    are. ``uint8`` yields uint8 images for ``normalize_on_device``; otherwise float32 normalised with CLIP's
    mean/std. ``multiprocessing_context``
    (e.g. ``"fork"``, much faster to start than ``"spawn"``) goes to the DataLoader.
    """
    shards = resolve_source(source)
    rank, world_size = _rank_and_world(rank, world_size)
    for name, value, low in (
        ("batch_size", batch_size, 1),
        ("image_size", image_size, 1),
        ("num_workers", num_workers, 0),
    ):
        if not isinstance(value, int) or value < low:
            raise WitError(f"{name}: expected an integer >= {low}, got {value!r}")
    if decoder not in ("auto", "pil"):
        raise WitError(f"decoder: expected 'auto' or 'pil', got {decoder!r}")
    if shards.num_samples == 0:
        raise WitError(f"{shards.root or shards.paths[0]}: the shards hold no samples")
    if resampled:
        samples = shards.num_samples if samples is None else samples
        if samples < 1:
            raise WitError(f"samples: expected a positive number of samples per epoch, got {samples!r}")
    elif samples is not None:
        raise WitError("samples: only applies with resampled=True (a non-resampled epoch is the whole dataset)")
    dataset = PlannedBatches(
        shards=shards,
        transform=ImageTransform(image_size, train, tuple(scale), tuple(ratio), decoder),
        tokenizer=_tokenizer(tokenizer, shards),
        batch_size=batch_size,
        seed=seed,
        rank=rank,
        world_size=world_size,
        workers=max(1, num_workers),
        drop_last=drop_last,
        shuffle=train if shuffle is None else shuffle,
        shuffle_buffer=shuffle_buffer,
        resampled=resampled,
        samples=samples or 0,
        uint8=uint8,
        handler=handler,
        epoch=epoch,
    )
    if dataset.num_batches == 0:
        raise WitError(
            f"{shards.root or shards.paths[0]}: {shards.num_samples} samples cannot fill one batch of {batch_size} "
            f"on each of {world_size} ranks with drop_last=True"
        )
    return StreamingLoader(dataset, num_workers, pin_memory, prefetch_factor, multiprocessing_context)


def _rank_and_world(rank: int | None, world_size: int | None) -> tuple[int, int]:
    initialised = dist.is_available() and dist.is_initialized()
    if world_size is None:
        world_size = dist.get_world_size() if initialised else 1
    if rank is None:
        rank = dist.get_rank() if initialised else 0
    if world_size < 1 or not 0 <= rank < world_size:
        raise WitError(f"rank/world_size: expected 0 <= rank < world_size, got rank={rank} world_size={world_size}")
    return rank, world_size


def _tokenizer(tokenizer: Tokenizer | str | os.PathLike | None, shards: ShardList) -> Tokenizer:
    if isinstance(tokenizer, Tokenizer):
        return tokenizer
    if tokenizer is not None:
        return load_tokenizer(tokenizer)
    if shards.root is not None:
        root = shards.root.rstrip("/")
        path = f"{root}/{TOKENIZER_FILE}" if is_url(root) else str(Path(root) / TOKENIZER_FILE)
        fs, fs_path = fsspec.core.url_to_fs(path)
        if fs.isfile(fs_path):
            return Tokenizer.load(path)
    _note_clip_default(shards.root or shards.paths[0])
    return Tokenizer.clip()


@cache
def _note_clip_default(where: str) -> None:
    """Say once per shard source that CLIP's tokenizer stands in for a missing ``tokenizer.json``."""
    print(f"wit: {where}: no {TOKENIZER_FILE} beside the shards; tokenizing with CLIP's tokenizer", file=sys.stderr)
