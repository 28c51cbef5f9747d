"""CLIP's optimiser recipe: AdamW with decay on weight matrices only, cosine schedule with warmup.

Gains, biases, embeddings and the logit scale are not decayed (decaying the temperature or a
LayerNorm gain only fights the loss). The schedule is a pure function of the step, so resuming
needs nothing but the step number.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from wit_pipeline.model import CLIP


def param_groups(model: CLIP, weight_decay: float) -> list[dict]:
    """Two AdamW groups: weight matrices with ``weight_decay``, everything else with none."""
    no_decay = model.no_weight_decay()
    decay, rest = [], []
    for name, param in model.named_parameters():
        if param.requires_grad:
            (rest if name in no_decay else decay).append(param)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]


def make_optimizer(
    model: CLIP,
    lr: float,
    weight_decay: float = 0.2,
    betas: tuple[float, float] = (0.9, 0.98),
    eps: float = 1e-6,
    device: torch.device | None = None,
    fused: bool | None = None,
) -> torch.optim.AdamW:
    """AdamW with CLIP's hyper-parameters; the fused kernel (``fused=None``) when training on a GPU.

    The fused kernel updates every parameter in one launch and keeps its step counts on the device, so
    a step never reads one back to the host.
    """
    if fused is None:
        fused = device is not None and device.type == "cuda"
    return torch.optim.AdamW(param_groups(model, weight_decay), lr=lr, betas=betas, eps=eps, fused=fused)


def cosine_lr(step: int, base_lr: float, warmup: int, total: int) -> float:
    """Learning rate of optimiser step ``step`` (0-based): linear warmup, then cosine decay to 0."""
    if step < warmup:
        return base_lr * (step + 1) / warmup
    span = max(1, total - warmup)
    progress = min(1.0, (step - warmup) / span)
    return 0.5 * base_lr * (1.0 + math.cos(math.pi * progress))


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Set the learning rate of every parameter group."""
    for group in optimizer.param_groups:
        group["lr"] = lr


def clip_gradients(parameters: list[nn.Parameter], max_norm: float) -> torch.Tensor | None:
    """Clip the global gradient norm to ``max_norm`` (0 disables); returns the norm before clipping."""
    if max_norm <= 0:
        return None
    return torch.nn.utils.clip_grad_norm_(parameters, max_norm, foreach=True)
