"""CLIP's optimiser recipe: parameter groups, AdamW settings, cosine schedule with warmup."""

from __future__ import annotations

import pytest
import torch

from tests.wit_pipeline.train.helpers import micro_config
from wit_pipeline.model import CLIP
from wit_pipeline.train.optim import cosine_lr, make_optimizer, param_groups


def test_decay_only_on_weight_matrices() -> None:
    model = CLIP(micro_config())
    decay, rest = param_groups(model, 0.2)
    assert decay["weight_decay"] == 0.2 and rest["weight_decay"] == 0.0
    names = {id(p): n for n, p in model.named_parameters()}
    decayed = {names[id(p)] for p in decay["params"]}
    kept = {names[id(p)] for p in rest["params"]}
    assert decayed.isdisjoint(kept) and len(decayed) + len(kept) == len(names)
    assert all(p.ndim >= 2 for p in decay["params"])
    assert {"logit_scale", "text.token_embedding.weight", "visual.positional_embedding"} <= kept
    assert not any(n.endswith(".bias") or ".ln_" in n for n in decayed)


def test_adamw_uses_clip_hyperparameters() -> None:
    optimizer = make_optimizer(CLIP(micro_config()), lr=5e-4, device=torch.device("cpu"))
    assert isinstance(optimizer, torch.optim.AdamW)
    group = optimizer.param_groups[0]
    assert group["betas"] == (0.9, 0.98) and group["eps"] == 1e-6 and group["lr"] == 5e-4
    assert not group["fused"]


def test_cosine_schedule_with_linear_warmup() -> None:
    lrs = [cosine_lr(s, 1.0, warmup=4, total=14) for s in range(14)]
    assert lrs[:4] == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert lrs[4] == pytest.approx(1.0)
    assert lrs[9] == pytest.approx(0.5)
    assert all(a >= b for a, b in zip(lrs[3:], lrs[4:]))
    assert cosine_lr(14, 1.0, warmup=4, total=14) == pytest.approx(0.0)
    assert cosine_lr(0, 1.0, warmup=0, total=10) == pytest.approx(1.0)
