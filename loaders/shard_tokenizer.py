"""Train the dataset's own tokenizer on its shards' captions and save it beside them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from loaders.shard_source import resolve_source
from loaders.tar_reader import iter_captions
from loaders.tokenizer import Tokenizer
from wit_pipeline.config import CLIP_CONTEXT_LENGTH, CLIP_VOCAB_SIZE
from wit_pipeline.errors import WitError
from wit_pipeline.layout.shard_dir import TOKENIZER_FILE


def shard_captions(source: str | os.PathLike | list[str]) -> Iterator[str]:
    """Every caption of every shard of ``source``, shard by shard in name order."""
    for path in resolve_source(source).paths:
        yield from iter_captions(path)


def train_tokenizer_for_shards(
    shard_dir: str | os.PathLike, vocab_size: int = CLIP_VOCAB_SIZE, context_length: int = CLIP_CONTEXT_LENGTH
) -> Path:
    """Train a BPE tokenizer on the captions of the shards in ``shard_dir`` and save ``shard_dir/tokenizer.json``.

    The `wit` flow calls this after download, so ``make_loader`` finds the tokenizer beside the shards.
    """
    shard_dir = Path(shard_dir)
    if not shard_dir.is_dir():
        raise WitError(f"{shard_dir}: not a shard directory")
    counted = 0

    def captions() -> Iterator[str]:
        nonlocal counted
        for caption in shard_captions(shard_dir):
            counted += 1
            yield caption

    tokenizer = Tokenizer.train(captions(), vocab_size=vocab_size, context_length=context_length)
    if counted == 0:
        raise WitError(f"{shard_dir}: no captions in the shards to train a tokenizer on")
    return tokenizer.save(shard_dir / TOKENIZER_FILE)
