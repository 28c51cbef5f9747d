"""Retrieval recall against hand-computed ranks: several captions per image, exact ties, bounded blocks."""

from __future__ import annotations

import pytest
import torch

from wit_pipeline.eval.metrics import hit_rate, match_ranks
from wit_pipeline.eval.retrieval import blocked_match_ranks, retrieval_recall

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


@pytest.mark.parametrize("query_block,gallery_block", [(1, 1), (2, 3), (4, 2), (100, 100)])
def test_ranks_with_several_captions_per_image_and_ties(query_block: int, gallery_block: int) -> None:
    blocks = {"query_block": query_block, "gallery_block": gallery_block}
    image_ids = torch.arange(4)
    assert blocked_match_ranks(IMAGES, TEXTS, image_ids, TEXT_IMAGE, **blocks).tolist() == IMAGE_RANKS
    assert blocked_match_ranks(TEXTS, IMAGES, TEXT_IMAGE, image_ids, **blocks).tolist() == TEXT_RANKS


def test_recall_at_k_in_both_directions() -> None:
    report = retrieval_recall(IMAGES, TEXTS, TEXT_IMAGE, ks=(1, 2, 3), query_block=2, gallery_block=2)
    assert report["images"] == 4 and report["texts"] == 6
    assert [report[f"image_to_text_recall@{k}"] for k in (1, 2, 3)] == [0.5, 0.75, 1.0]
    assert [report[f"text_to_image_recall@{k}"] for k in (1, 2, 3)] == pytest.approx([2 / 6, 4 / 6, 5 / 6])
    assert report["mean_recall@1"] == pytest.approx((0.5 + 2 / 6) / 2)
    default = retrieval_recall(IMAGES, TEXTS, TEXT_IMAGE)
    assert default["image_to_text_recall@5"] == 1.0 and default["text_to_image_recall@10"] == 1.0


@pytest.mark.parametrize("seed", range(4))
def test_blocked_ranks_equal_ranks_of_the_full_matrix(seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(-2, 3, (37, 3), generator=g).float()  # small integers: many exact ties
    text_image = torch.sort(torch.randint(0, 37, (61,), generator=g)).values
    texts = images[text_image] + torch.randint(-1, 2, (61, 3), generator=g).float()
    image_ids = torch.arange(37)
    full = texts @ images.T
    expected_t2i = match_ranks(full, text_image[:, None] == image_ids[None, :])
    expected_i2t = match_ranks(full.T, image_ids[:, None] == text_image[None, :])
    for q, b in [(1, 7), (8, 5), (64, 64)]:
        assert torch.equal(blocked_match_ranks(texts, images, text_image, image_ids, q, b), expected_t2i)
        assert torch.equal(blocked_match_ranks(images, texts, image_ids, text_image, q, b), expected_i2t)


def test_an_image_without_captions_is_never_a_hit() -> None:
    ranks = blocked_match_ranks(IMAGES, TEXTS[:2], torch.arange(4), torch.tensor([0, 0]))
    assert ranks.tolist()[1:] == [3, 3, 3] and hit_rate(ranks, 2) == 0.25


class SlicingSpy:
    """A feature matrix that records the rows of every slice taken from it."""

    def __init__(self, tensor: torch.Tensor, seen: list[int]) -> None:
        self.tensor, self.seen, self.shape, self.device = tensor, seen, tensor.shape, tensor.device

    def __getitem__(self, index: slice) -> torch.Tensor:
        part = self.tensor[index]
        self.seen.append(part.shape[0])
        return part


def test_no_score_block_is_larger_than_the_block_sizes() -> None:
    g = torch.Generator().manual_seed(0)
    queries, gallery = torch.randn(50, 4, generator=g), torch.randn(70, 4, generator=g)
    groups = torch.arange(50) % 70
    seen_q: list[int] = []
    seen_g: list[int] = []
    spied = blocked_match_ranks(
        SlicingSpy(queries, seen_q), SlicingSpy(gallery, seen_g), groups, torch.arange(70), 8, 16
    )
    assert max(seen_q) == 8 and max(seen_g) == 16
    assert torch.equal(spied, blocked_match_ranks(queries, gallery, groups, torch.arange(70)))
