"""Embed one shard: image and caption features of every sample, batch-wise with the eval transform.

Samples are read with the safe tar reader (``loaders.tar_reader``), decoded with the loaders' eval
transform (shortest side to the model's size, center crop) and encoded with the evaluation helpers, so the
features are exactly those ``wit eval`` computes. A sample without an image or a caption, or whose image
does not decode, gets no embedding and is counted by reason; everything else keeps its tar order.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from loaders.tar_reader import iter_samples
from wit_pipeline.config import EMBED_BATCH_SIZE
from wit_pipeline.eval.features import (
    decoded_batches,
    encode_images,
    encode_texts,
    eval_transform,
    skip_undecodable,
)

IMAGE_EXTS = ("jpg", "jpeg", "png", "webp")


@dataclass(frozen=True)
class ShardSample:
    """What embedding needs of one sample: its key, uid (from ``KEY.json``), caption and image bytes."""

    key: str
    uid: str | None
    caption: str
    image: bytes


@dataclass
class ShardEmbeddings:
    """Unit-length float32 features of a shard's usable samples, row ``i`` for ``keys[i]``."""

    keys: list[str]
    uids: list[str | None]
    captions: list[str]
    images: np.ndarray
    texts: np.ndarray
    samples: int = 0
    skipped: Counter = field(default_factory=Counter)
    unsafe_members: Counter = field(default_factory=Counter)

    @property
    def scores(self) -> np.ndarray:
        """The CLIP score of every row: cosine(image, caption), from the float32 features."""
        return np.einsum("nd,nd->n", self.images, self.texts).astype(np.float32)


def caption_of(raw: bytes | str | None) -> str | None:
    """The caption of a ``txt`` member with its whitespace collapsed (lines joined), or None if unusable."""
    if raw is None:
        return None
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        return None
    caption = " ".join(text.split())
    return caption or None


def uid_of(raw: bytes | str | None) -> str | None:
    """The ``uid`` recorded in a sample's ``KEY.json`` (wit download writes the manifest row there)."""
    if raw is None:
        return None
    try:
        meta = json.loads(raw)
    except ValueError:
        return None
    uid = meta.get("uid") if isinstance(meta, dict) else None
    return str(uid) if uid is not None else None


def iter_shard_samples(
    tar_path: str | Path, skipped: Counter, unsafe: dict[str, int] | None = None
) -> Iterator[ShardSample]:
    """Every sample of a tar with an image and a caption, in tar order; the rest counted in ``skipped``.

    Tar members that are never read (absolute or ``..`` paths, links, devices, over the size caps) are
    counted in ``unsafe`` by reason (``loaders.tar_members.REASONS``).
    """
    for sample in iter_samples(tar_path, unsafe):
        image = next((sample[ext] for ext in IMAGE_EXTS if ext in sample), None)
        caption = caption_of(sample.get("txt"))
        if image is None:
            skipped["missing_image"] += 1
        elif caption is None:
            skipped["missing_caption"] += 1
        else:
            yield ShardSample(str(sample["__key__"]), uid_of(sample.get("json")), caption, bytes(image))


def embed_shard(
    model: Any, tokenizer: Any, tar_path: str | Path, batch_size: int = EMBED_BATCH_SIZE
) -> ShardEmbeddings:
    """Image and caption features of every usable sample of one shard tar (``model`` in eval mode)."""
    transform = eval_transform(model.config.vision.image_size)
    skipped: Counter = Counter()
    unsafe: dict[str, int] = {}
    offered = 0

    def samples() -> Iterator[ShardSample]:
        nonlocal offered
        for sample in iter_shard_samples(tar_path, skipped, unsafe):
            offered += 1
            yield sample

    load = skip_undecodable(transform)

    kept: list[ShardSample] = []
    image_blocks, text_blocks = [], []
    for batch, images in decoded_batches(samples(), load, batch_size, workers=1):
        kept.extend(batch)
        image_blocks.append(encode_images(model, images).numpy())
        text_blocks.append(encode_texts(model, tokenizer, [s.caption for s in batch], batch_size).numpy())
    if offered > len(kept):
        skipped["undecodable_image"] += offered - len(kept)
    skipped = Counter({reason: n for reason, n in skipped.items() if n})
    dim = model.config.embed_dim
    return ShardEmbeddings(
        keys=[s.key for s in kept],
        uids=[s.uid for s in kept],
        captions=[s.caption for s in kept],
        images=np.concatenate(image_blocks) if image_blocks else np.zeros((0, dim), np.float32),
        texts=np.concatenate(text_blocks) if text_blocks else np.zeros((0, dim), np.float32),
        samples=offered + skipped["missing_image"] + skipped["missing_caption"],
        skipped=skipped,
        unsafe_members=Counter(unsafe),
    )
