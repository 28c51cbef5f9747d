"""Retrieval recall against hand-computed ranks: several captions per image, exact ties, bounded blocks."""

from __future__ import annotations

import pytest
import torch

from wit_pipeline.eval.metrics import hit_rate, match_ranks
from wit_pipeline.eval.retrieval import retrieval_ranks, retrieval_recall

# Image 2 duplicates image 1, so some scores tie exactly; images 0 and 3 have two captions each.
IMAGES = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [-1.0, 0.0]])
TEXTS = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.5, 0.5], [-1.0, 0.0], [0.0, -1.0]])
TEXT_IMAGE = torch.tensor([0, 0, 1, 2, 3, 3])
# image -> text: image 0's best caption (text 0) is alone on top; image 1's own caption ties text 1 (image 0's);
# image 2's caption (0.5) is behind texts 1 and 2; image 3's best caption (text 4) is alone on top.
IMAGE_RANKS = [1, 2, 3, 1]
# text -> image: text 1 (image 0) scores 0 on its image, behind images 1, 2 and tied with image 3; text 2 ties
# image 2 with its own image 1; text 3 ties images 0 and 1; text 5 ties image 0.
TEXT_RANKS = [1, 4, 2, 3, 1, 2]


@pytest.mark.parametrize("text_block,image_block", [(1, 1), (2, 3), (4, 2), (100, 100)])
def test_ranks_with_several_captions_per_image_and_ties(text_block: int, image_block: int) -> None:
    image_ranks, text_ranks = retrieval_ranks(IMAGES, TEXTS, TEXT_IMAGE, text_block, image_block)
    assert image_ranks.tolist() == IMAGE_RANKS
    assert text_ranks.tolist() == TEXT_RANKS


def test_recall_at_k_in_both_directions() -> None:
    report = retrieval_recall(IMAGES, TEXTS, TEXT_IMAGE, ks=(1, 2, 3), text_block=2, image_block=2)
    assert report["images"] == 4 and report["texts"] == 6
    assert [report[f"image_to_text_recall@{k}"] for k in (1, 2, 3)] == [0.5, 0.75, 1.0]
    assert [report[f"text_to_image_recall@{k}"] for k in (1, 2, 3)] == pytest.approx([2 / 6, 4 / 6, 5 / 6])
    assert report["mean_recall@1"] == pytest.approx((0.5 + 2 / 6) / 2)
    default = retrieval_recall(IMAGES, TEXTS, TEXT_IMAGE)
    assert default["image_to_text_recall@5"] == 1.0 and default["text_to_image_recall@10"] == 1.0


@pytest.mark.parametrize("seed,grouped", [(0, True), (1, True), (2, False), (3, False)])
def test_blocked_ranks_equal_ranks_of_the_full_matrix(seed: int, grouped: bool) -> None:
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(-2, 3, (37, 3), generator=g).float()  # small integers: many exact ties
    text_image = torch.randint(0, 37, (61,), generator=g)
    if grouped:
        text_image = torch.sort(text_image).values
    texts = images[text_image] + torch.randint(-1, 2, (61, 3), generator=g).float()
    full = texts @ images.T
    matching = text_image[:, None] == torch.arange(37)[None, :]
    expected_text, expected_image = match_ranks(full, matching), match_ranks(full.T, matching.T)
    # no cache, a partial cache (some first-pass blocks recomputed) and everything cached
    for text_block, image_block, cache_bytes in [(1, 7, 0), (8, 5, 400), (8, 5, 10**6), (64, 64, 0)]:
        image_ranks, text_ranks = retrieval_ranks(images, texts, text_image, text_block, image_block, cache_bytes)
        assert torch.equal(text_ranks, expected_text) and torch.equal(image_ranks, expected_image)


def test_an_image_without_captions_is_never_a_hit() -> None:
    image_ranks, _ = retrieval_ranks(IMAGES, TEXTS[:2], torch.tensor([0, 0]))
    assert image_ranks.tolist()[1:] == [3, 3, 3] and hit_rate(image_ranks, 2) == 0.25


class SlicingSpy:
    """A feature matrix that records the rows of every slice taken from it."""

    def __init__(self, tensor: torch.Tensor, seen: list[int]) -> None:
        self.tensor, self.seen, self.shape, self.device = tensor, seen, tensor.shape, tensor.device
        self.dtype = tensor.dtype

    def __getitem__(self, index: slice) -> torch.Tensor:
        part = self.tensor[index]
        self.seen.append(part.shape[0])
        return part


def test_no_score_block_is_larger_than_the_block_sizes() -> None:
    g = torch.Generator().manual_seed(0)
    images, texts = torch.randn(50, 4, generator=g), torch.randn(70, 4, generator=g)
    text_image = torch.arange(70) % 50
    seen_images: list[int] = []
    seen_texts: list[int] = []
    spied = retrieval_ranks(SlicingSpy(images, seen_images), SlicingSpy(texts, seen_texts), text_image, 8, 16)
    assert max(seen_texts) == 8 and max(seen_images) == 16
    plain = retrieval_ranks(images, texts, text_image)
    assert all(torch.equal(a, b) for a, b in zip(spied, plain))
