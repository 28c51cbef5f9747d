"""One optimiser step: a tiny model overfits a batch, accumulation keeps the whole contrastive batch."""

from __future__ import annotations

import math

import pytest
import torch

from tests.wit_pipeline.train.helpers import micro_config, synthetic_batch
from wit_pipeline.model import CLIP, get_model_config
from wit_pipeline.train.loss import ClipLoss
from wit_pipeline.train.optim import make_optimizer
from wit_pipeline.train.precision import Precision
from wit_pipeline.train.step import TrainStep


def make_step(model: CLIP, lr: float = 1e-3, grad_clip: float = 0.0) -> TrainStep:
    optimizer = make_optimizer(model, lr=lr, weight_decay=0.0)
    return TrainStep(model, ClipLoss(), optimizer, Precision("fp32", torch.device("cpu")), grad_clip)


def test_tiny_model_overfits_a_small_batch() -> None:
    torch.manual_seed(0)
    config = get_model_config("tiny")
    config.text.context_length, config.text.vocab_size = 16, 64
    model = CLIP(config)
    images, tokens = synthetic_batch(16, image_size=64)
    step = make_step(model, lr=5e-4, grad_clip=1.0)
    losses = [step([(images, tokens)]).item() for _ in range(40)]
    assert losses[0] > 0.8 * math.log(16)
    assert losses[-1] < 0.1 * math.log(16), losses


@pytest.mark.parametrize("kind", ["vit", "resnet"])
def test_accumulation_gives_the_full_batch_gradient(kind: str) -> None:
    images, tokens = synthetic_batch(12)
    grads = {}
    for micro in (1, 3):
        torch.manual_seed(0)
        model = CLIP(micro_config(kind))
        if kind == "resnet":
            model.eval()
        step = make_step(model)
        step.optimizer.step = lambda: None
        step.optimizer.zero_grad = lambda set_to_none=True: None
        batches = [(images[i::micro], tokens[i::micro]) for i in range(micro)]
        order = torch.cat([torch.arange(12)[i::micro] for i in range(micro)])
        assert sorted(order.tolist()) == list(range(12))
        step(batches)
        grads[micro] = {n: p.grad.clone() for n, p in model.named_parameters()}
    for name, grad in grads[1].items():
        torch.testing.assert_close(grads[3][name], grad, rtol=1e-4, atol=1e-5, msg=name)


def test_step_clamps_the_logit_scale_and_clips_gradients() -> None:
    torch.manual_seed(0)
    model = CLIP(micro_config())
    with torch.no_grad():
        model.logit_scale.fill_(math.log(100.0) + 0.5)
    sgd = torch.optim.SGD(model.parameters(), lr=1.0)
    step = TrainStep(model, ClipLoss(), sgd, Precision("fp32", torch.device("cpu")), grad_clip=0.01)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    step([synthetic_batch(8)])
    assert model.logit_scale.exp().item() == pytest.approx(100.0, rel=1e-5)
    update = torch.cat([(p.detach() - before[n]).flatten() for n, p in model.named_parameters() if n != "logit_scale"])
    assert update.norm().item() == pytest.approx(0.01, rel=1e-3)
