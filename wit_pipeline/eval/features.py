"""Batched feature extraction with the eval transform, in bounded memory.

Images are decoded a batch at a time (threads: PIL and torch's resize release the GIL) with the loaders'
eval transform, resize of the shortest side and center crop, shipped to the model's device as uint8 and
normalised there. Only the features, ``[N, embed_dim]`` float32 on the CPU, are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from typing import Any, TypeVar

import torch

from loaders.transforms import ImageTransform, normalize_on_device

Item = TypeVar("Item")


def model_device(model: torch.nn.Module) -> torch.device:
    """The device the model's parameters live on."""
    return next(model.parameters()).device


def eval_transform(image_size: int) -> ImageTransform:
    """The loaders' eval transform (shortest side to ``image_size``, center crop) on encoded image bytes."""
    return ImageTransform(image_size, train=False)


def chunks(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    """Consecutive lists of ``size`` items (the last may be shorter)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def decoded_batches(
    items: Iterable[Item], load: Callable[[Item], torch.Tensor | None], batch_size: int, workers: int
) -> Iterator[tuple[list[Item], torch.Tensor]]:
    """``(items kept, uint8 images [B, 3, S, S])`` per batch of ``items``; ``load`` returns None to drop one.

    ``load`` runs on ``workers`` threads; the items come back in their input order.
    """
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for chunk in chunks(items, batch_size):
            images = list(pool.map(load, chunk)) if workers > 1 else [load(item) for item in chunk]
            kept = [(item, image) for item, image in zip(chunk, images) if image is not None]
            if kept:
                yield [item for item, _ in kept], torch.stack([image for _, image in kept])


def skip_undecodable(transform: Callable[[Any], torch.Tensor]) -> Callable[[Any], torch.Tensor | None]:
    """A ``load`` for ``decoded_batches`` that drops an image ``transform`` cannot decode (untrusted bytes)."""

    def load(item: Any) -> torch.Tensor | None:
        try:
            return transform(item.image)
        except Exception:  # any decoder failure on untrusted bytes is a skipped sample
            return None

    return load


@torch.no_grad()
def encode_images(model: Any, images: torch.Tensor) -> torch.Tensor:
    """Normalised float32 features of a uint8 image batch, returned on the CPU."""
    device = model_device(model)
    pixels = normalize_on_device(images.to(device, non_blocking=True))
    return model.encode_image(pixels).float().cpu()


@torch.no_grad()
def encode_texts(
    model: Any,
    tokenizer: Callable[[Sequence[str]], torch.Tensor],
    texts: Sequence[str],
    batch_size: int,
    advance: Callable[[int], None] | None = None,
) -> torch.Tensor:
    """Normalised float32 features ``[len(texts), embed_dim]`` of ``texts``, encoded ``batch_size`` at a time."""
    device = model_device(model)
    out = torch.empty((len(texts), model.config.embed_dim), dtype=torch.float32)
    for start in range(0, len(texts), batch_size):
        tokens = tokenizer(texts[start : start + batch_size]).to(device)
        out[start : start + tokens.shape[0]] = model.encode_text(tokens).float().cpu()
        if advance is not None:
            advance(tokens.shape[0])
    return out
