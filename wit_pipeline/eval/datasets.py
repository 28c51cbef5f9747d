"""Evaluation data to features: labelled images (classification) or captioned shards (retrieval).

Shard samples come from ``captioned_shards`` (the loaders' safe tar reader, in shard order; samples without an
image or a caption are skipped and counted by reason); samples whose image fails to decode are skipped and
counted here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from loaders.shard_source import resolve_source
from wit_pipeline.config import EvalConfig
from wit_pipeline.errors import WitError
from wit_pipeline.eval.captioned_shards import CaptionedImage, iter_captioned_images
from wit_pipeline.eval.eval_data import EvalItem
from wit_pipeline.eval.features import (
    decoded_batches,
    encode_images,
    encode_texts,
    eval_transform,
    skip_undecodable,
)
from wit_pipeline.eval.image_folder import ImageFolder
from wit_pipeline.eval.progress import EvalProgress


@dataclass
class RetrievalFeatures:
    """Features of a retrieval set: ``text_image[t]`` is the image of caption ``t``."""

    images: torch.Tensor
    texts: torch.Tensor
    text_image: torch.Tensor
    skipped: dict[str, int] = field(default_factory=dict)


def shard_features(
    model: Any,
    tokenizer: Any,
    source: str | Path | list[str],
    batch_size: int,
    workers: int = EvalConfig.workers,
    progress: EvalProgress | None = None,
) -> RetrievalFeatures:
    """Image and caption features of a shard directory, with the caption-to-image mapping and the skips."""
    progress = progress or EvalProgress(False)
    transform = eval_transform(model.config.vision.image_size)
    skipped: Counter = Counter()
    offered = 0

    def samples() -> Iterator[CaptionedImage]:
        nonlocal offered
        for sample in iter_captioned_images(source, skipped):
            offered += 1
            yield sample

    load = skip_undecodable(transform)

    # a list is shards already listed (a CLIP_benchmark split, maybe remote, without sizes.json): count unknown
    advance = progress.stage("images", None if isinstance(source, list) else resolve_source(source).num_samples)
    captions: list[str] = []
    text_image: list[int] = []
    blocks: list[torch.Tensor] = []
    num_images = 0
    for kept, images in decoded_batches(samples(), load, batch_size, workers):
        for sample in kept:
            text_image.extend([num_images] * len(sample.captions))
            captions.extend(sample.captions)
            num_images += 1
        blocks.append(encode_images(model, images))
        advance(images.shape[0])
    if offered > num_images:
        skipped.update({"decode_error": offered - num_images})
    if not blocks:
        reasons = ", ".join(f"{reason}: {n}" for reason, n in sorted(skipped.items())) or "the shards are empty"
        raise WitError(f"{source}: no usable image-caption pairs ({reasons})")
    texts = encode_texts(model, tokenizer, captions, batch_size, progress.stage("captions", len(captions)))
    return RetrievalFeatures(torch.cat(blocks), texts, torch.tensor(text_image), dict(sorted(skipped.items())))


@dataclass
class LabelledFeatures:
    """Features of a classification set: ``features[i]`` has class ``labels[i]``; samples skipped by reason."""

    features: torch.Tensor
    labels: torch.Tensor
    skipped: dict[str, int] = field(default_factory=dict)


def labelled_features(
    model: Any,
    items: Iterable[EvalItem],
    batch_size: int,
    workers: int = EvalConfig.workers,
    progress: EvalProgress | None = None,
    total: int | None = None,
    strict: bool = False,
    skipped: Counter | None = None,
) -> LabelledFeatures:
    """Normalised image features and labels of labelled ``items``, in their order.

    An image that does not decode is a ``WitError`` naming its key when ``strict`` (a user's own folder), else
    it is skipped and counted (untrusted shards). ``skipped`` may already hold the reader's skips.
    """
    progress = progress or EvalProgress(False)
    transform = eval_transform(model.config.vision.image_size)
    skipped = skipped if skipped is not None else Counter()

    def load(item: EvalItem) -> torch.Tensor | None:
        try:
            return transform(item.image)
        except Exception as exc:  # any decoder failure: name the file, or skip an untrusted sample
            if strict:
                raise WitError(f"{item.key}: cannot read image ({type(exc).__name__}: {exc})") from None
            return None

    advance = progress.stage("images", total)
    blocks: list[torch.Tensor] = []
    labels: list[int] = []
    offered = 0

    def counted() -> Iterator[EvalItem]:
        nonlocal offered
        for item in items:
            offered += 1
            yield item

    for kept, images in decoded_batches(counted(), load, batch_size, workers):
        labels.extend(item.label for item in kept)
        blocks.append(encode_images(model, images))
        advance(images.shape[0])
    if offered > len(labels):
        skipped.update({"decode_error": offered - len(labels)})
    if not blocks:
        reasons = ", ".join(f"{reason}: {n}" for reason, n in sorted(skipped.items())) or "no samples"
        raise WitError(f"no usable labelled images ({reasons})")
    return LabelledFeatures(torch.cat(blocks), torch.tensor(labels), dict(sorted(skipped.items())))


def folder_features(
    model: Any,
    folder: ImageFolder,
    batch_size: int,
    workers: int = EvalConfig.workers,
    progress: EvalProgress | None = None,
) -> torch.Tensor:
    """Normalised image features ``[N, D]`` of an image folder, in its order; a bad image is a ``WitError``."""
    items = (EvalItem(str(path), path.read_bytes(), label) for path, label in zip(folder.paths, folder.labels))
    return labelled_features(model, items, batch_size, workers, progress, len(folder.paths), strict=True).features
