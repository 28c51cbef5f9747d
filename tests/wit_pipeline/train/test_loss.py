"""The symmetric contrastive loss against a direct computation."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from wit_pipeline.train.loss import ClipLoss


def features(n: int, d: int = 8, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return F.normalize(torch.randn(n, d, generator=g), dim=-1), F.normalize(torch.randn(n, d, generator=g), dim=-1)


def test_matches_the_mean_of_both_cross_entropies() -> None:
    images, texts = features(6)
    scale = torch.tensor(1 / 0.07)
    loss = ClipLoss()(images, texts, scale)
    sims = (scale * images @ texts.T).tolist()
    image_to_text = -sum(sims[i][i] - math.log(sum(math.exp(s) for s in sims[i])) for i in range(6)) / 6
    columns = [[sims[r][c] for r in range(6)] for c in range(6)]
    text_to_image = -sum(columns[i][i] - math.log(sum(math.exp(s) for s in columns[i])) for i in range(6)) / 6
    assert loss.item() == pytest.approx((image_to_text + text_to_image) / 2, abs=1e-5)


def test_aligned_pairs_score_near_zero_and_shuffled_pairs_near_log_n() -> None:
    images, _ = features(16)
    scale = torch.tensor(100.0)
    assert ClipLoss()(images, images, scale).item() < 0.05
    uniform = ClipLoss()(images, images, torch.tensor(0.0)).item()
    assert uniform == pytest.approx(math.log(16), abs=1e-5)


def test_loss_is_symmetric_in_the_two_modalities() -> None:
    images, texts = features(5)
    scale = torch.tensor(10.0)
    torch.testing.assert_close(ClipLoss()(images, texts, scale), ClipLoss()(texts, images, scale))


def test_logit_scale_gets_a_gradient() -> None:
    images, texts = features(4)
    scale = torch.tensor(2.0, requires_grad=True)
    ClipLoss()(images, texts, scale.exp()).backward()
    assert scale.grad is not None and scale.grad.abs().item() > 0
