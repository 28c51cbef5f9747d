"""One optimiser step: forward, contrastive loss, backward, clip, update, clamp the temperature.

With several micro-batches per step (gradient accumulation) the contrastive batch stays whole,
as open_clip's ``accum_freq`` does: the features of every micro-batch are computed once without
gradients and cached, then each micro-batch is recomputed with gradients and scored against
the cached features of all the others. Summing those backward passes gives exactly the
gradient of the loss over the whole batch. The temperature is attached in the last pass only,
so its gradient is counted once (and under DDP every parameter gets a gradient in the pass that
synchronises). In the ResNet tower both passes update the BatchNorm running statistics.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Sequence

import torch
from torch import nn
from torch._dynamo.exc import BackendCompilerFailed
from torch.nn.parallel import DistributedDataParallel

from wit_pipeline.model import CLIP
from wit_pipeline.train.loss import ClipLoss
from wit_pipeline.train.optim import clip_gradients
from wit_pipeline.train.precision import Precision

Batch = tuple[torch.Tensor, torch.Tensor]


class TrainStep:
    """Callable running one optimiser step over a list of micro-batches; returns the detached loss.

    ``forward_model`` may be a compiled (or DDP-wrapped) ``model``; if its compiler fails, the step is run
    again on ``fallback_model`` (the uncompiled one), which serves from then on. Nothing in a step makes
    the host wait for the device: the loss stays a device tensor.
    """

    def __init__(
        self,
        model: CLIP,
        loss_fn: ClipLoss,
        optimizer: torch.optim.Optimizer,
        precision: Precision,
        grad_clip: float = 0.0,
        forward_model: nn.Module | None = None,
        fallback_model: nn.Module | None = None,
    ) -> None:
        self.model = model
        self.forward_model = forward_model if forward_model is not None else model
        self.fallback_model = fallback_model
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.precision = precision
        self.grad_clip = grad_clip
        self.params = [p for p in model.parameters() if p.requires_grad]

    @property
    def compiled(self) -> bool:
        """True while steps run the compiled model (False when never compiled, or after a fallback)."""
        return self.fallback_model is not None

    def __call__(self, batches: Sequence[Batch]) -> torch.Tensor:
        try:
            loss = self._gradients(batches)
        except BackendCompilerFailed as exc:
            if self.fallback_model is None:
                raise
            reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
            warnings.warn(f"torch.compile failed, training uncompiled: {reason}", RuntimeWarning, stacklevel=2)
            self.forward_model, self.fallback_model = self.fallback_model, None
            self.optimizer.zero_grad(set_to_none=True)
            loss = self._gradients(batches)
        if self.grad_clip > 0:
            self.precision.unscale(self.optimizer)
            clip_gradients(self.params, self.grad_clip)
        self.precision.step(self.optimizer)
        self.optimizer.zero_grad(set_to_none=True)
        self.model.clamp_logit_scale()
        return loss

    def _gradients(self, batches: Sequence[Batch]) -> torch.Tensor:
        return self._single(batches[0]) if len(batches) == 1 else self._accumulated(batches)

    def _single(self, batch: Batch) -> torch.Tensor:
        with self.precision.autocast():
            image_features, text_features, logit_scale = self.forward_model(*batch)
            loss = self.loss_fn(image_features, text_features, logit_scale)
        self.precision.backward(loss)
        return loss.detach()

    def _accumulated(self, batches: Sequence[Batch]) -> torch.Tensor:
        with torch.no_grad(), self.precision.autocast():
            cached = [self.forward_model(*batch)[:2] for batch in batches]
        cached_images = [c[0] for c in cached]
        cached_texts = [c[1] for c in cached]
        last = len(batches) - 1
        for j, batch in enumerate(batches):
            with self._sync_context(j == last), self.precision.autocast():
                image_features, text_features, logit_scale = self.forward_model(*batch)
                images = torch.cat(cached_images[:j] + [image_features] + cached_images[j + 1 :])
                texts = torch.cat(cached_texts[:j] + [text_features] + cached_texts[j + 1 :])
                loss = self.loss_fn(images, texts, logit_scale if j == last else logit_scale.detach())
            self.precision.backward(loss)
        return loss.detach()

    def _sync_context(self, sync: bool) -> contextlib.AbstractContextManager:
        """DDP's ``no_sync`` (looked up under ``torch.compile``) for all passes but the last: one all-reduce."""
        ddp = getattr(self.forward_model, "_orig_mod", self.forward_model)
        if not sync and isinstance(ddp, DistributedDataParallel):
            return ddp.no_sync()
        return contextlib.nullcontext()
