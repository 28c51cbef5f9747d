"""Image-text retrieval recall@k in bounded memory: blocks of the score matrix, never all N x N at once.

Ranks follow the pessimistic tie rule of ``wit_pipeline.eval.metrics``: 1 + the number of non-matching
candidates scoring at least as high as the query's best match. Two passes over blocks of the caption x image
score matrix give both directions at once:

1. the blocks that hold matching pairs give each caption's score with its image and each image's best
   score over its captions (captions grouped by image, as shards give them, make these few blocks);
2. every block is scored once and compared with those scores, counting row-wise the images ahead of each
   caption and column-wise the captions ahead of each image.

The first pass's blocks are kept for the second up to ``cache_bytes`` (512 MiB), and recomputed beyond, by
the same matrix product of the same rows, so exact ties (duplicate images or captions) stay exact. Peak
memory is that cache plus one ``text_block x image_block`` score block and its comparison masks, plus the
features, whatever the number of pairs; no top-k list is kept.

Several captions per image: ``text_image[t]`` is the image of caption ``t``. Image->text counts a hit when
any of the image's captions ranks within k (CLIP_benchmark's definition); text->image when the caption's
own image does.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from wit_pipeline.eval.metrics import hit_rate

RECALL_KS = (1, 5, 10)
TEXT_BLOCK = 1024
IMAGE_BLOCK = 8192
CACHE_BYTES = 512 * 2**20  # first-pass score blocks kept for the second pass


def retrieval_ranks(
    images: torch.Tensor,
    texts: torch.Tensor,
    text_image: torch.Tensor,
    text_block: int = TEXT_BLOCK,
    image_block: int = IMAGE_BLOCK,
    cache_bytes: int = CACHE_BYTES,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(image_ranks, text_ranks)``: rank of each image's best caption and of each caption's image.

    Scores are dot products of the rows of ``images`` and ``texts``. Equal to ``metrics.match_ranks`` on the
    full score matrix in both directions. Up to ``cache_bytes`` of first-pass blocks are kept for the second.
    """
    device = texts.device
    text_image = text_image.long().to(device)
    num_texts, num_images = texts.shape[0], images.shape[0]

    def blocks(only_matching: bool) -> Iterator[tuple[int, int, torch.Tensor | None]]:
        for t in range(0, num_texts, text_block):
            owners = text_image[t : t + text_block]
            for i in range(0, num_images, image_block):
                ids = torch.arange(i, min(i + image_block, num_images), device=device)
                holds_match = bool(((owners >= i) & (owners < i + image_block)).any())
                if holds_match or not only_matching:
                    yield t, i, owners[:, None] == ids[None, :] if holds_match else None

    def score(t: int, i: int) -> torch.Tensor:
        return texts[t : t + text_block] @ images[i : i + image_block].T

    best_text = torch.full((num_texts,), float("-inf"), device=device, dtype=texts.dtype)
    best_image = torch.full((num_images,), float("-inf"), device=device, dtype=texts.dtype)
    cache: dict[tuple[int, int], torch.Tensor] = {}
    cached = 0
    for t, i, matching in blocks(only_matching=True):
        scores = score(t, i)
        masked = scores.masked_fill(~matching, float("-inf"))
        rows, cols = slice(t, t + scores.shape[0]), slice(i, i + scores.shape[1])
        best_text[rows] = torch.maximum(best_text[rows], masked.amax(dim=1))
        best_image[cols] = torch.maximum(best_image[cols], masked.amax(dim=0))
        if cached + scores.numel() * scores.element_size() <= cache_bytes:
            cache[t, i] = scores
            cached += scores.numel() * scores.element_size()

    text_ahead = torch.zeros(num_texts, dtype=torch.long, device=device)
    image_ahead = torch.zeros(num_images, dtype=torch.long, device=device)
    for t, i, matching in blocks(only_matching=False):
        scores = cache.pop((t, i)) if (t, i) in cache else score(t, i)
        rows, cols = slice(t, t + scores.shape[0]), slice(i, i + scores.shape[1])
        text_ge = scores >= best_text[rows, None]
        image_ge = scores >= best_image[None, cols]
        if matching is not None:
            text_ge &= ~matching
            image_ge &= ~matching
        text_ahead[rows] += text_ge.sum(dim=1, dtype=torch.int32)
        image_ahead[cols] += image_ge.sum(dim=0, dtype=torch.int32)
    return (1 + image_ahead).cpu(), (1 + text_ahead).cpu()


def retrieval_recall(
    image_features: torch.Tensor,
    text_features: torch.Tensor,
    text_image: torch.Tensor,
    ks: tuple[int, ...] = RECALL_KS,
    text_block: int = TEXT_BLOCK,
    image_block: int = IMAGE_BLOCK,
) -> dict:
    """Image->text and text->image recall@k of normalised features; ``text_image[t]`` is caption t's image.

    Also ``mean_recall@k``, the mean of both directions (DataComp's retrieval summary).
    """
    image_ranks, text_ranks = retrieval_ranks(image_features, text_features, text_image, text_block, image_block)
    report: dict = {"images": int(image_features.shape[0]), "texts": int(text_features.shape[0])}
    for k in ks:
        report[f"image_to_text_recall@{k}"] = hit_rate(image_ranks, k)
    for k in ks:
        report[f"text_to_image_recall@{k}"] = hit_rate(text_ranks, k)
    for k in ks:
        report[f"mean_recall@{k}"] = (report[f"image_to_text_recall@{k}"] + report[f"text_to_image_recall@{k}"]) / 2
    return report
