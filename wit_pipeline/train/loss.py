"""CLIP's symmetric contrastive loss (InfoNCE over the batch's image-text cosine similarities).

Each image's positive is its own caption and every other caption in the global batch is a
negative, and the same from the text side; the loss is the mean of the two cross-entropies.
Under DDP the features of all ranks are gathered with gradients, so the loss and the gradients
are those of one process on the whole global batch. With ``local_loss`` each rank only scores
its own rows against all columns (an ``N_local x N`` block instead of ``N x N``), so memory
grows linearly with the world size; the averaged loss and the gradients are unchanged.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from wit_pipeline.train.distributed import gather_with_grad


class ClipLoss(nn.Module):
    """``loss(image_features, text_features, logit_scale) -> scalar``; features are L2-normalised."""

    def __init__(self, local_loss: bool = False, rank: int = 0, world_size: int = 1) -> None:
        super().__init__()
        self.local_loss = local_loss
        self.rank = rank
        self.world_size = world_size

    def logits(
        self, image_features: torch.Tensor, text_features: torch.Tensor, logit_scale: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Image->text and text->image logits this rank scores (all rows, or its own with ``local_loss``)."""
        if self.world_size == 1:
            logits = logit_scale * image_features @ text_features.T
            return logits, logits.T
        all_images = gather_with_grad(image_features)
        all_texts = gather_with_grad(text_features)
        if self.local_loss:
            return logit_scale * image_features @ all_texts.T, logit_scale * text_features @ all_images.T
        logits = logit_scale * all_images @ all_texts.T
        return logits, logits.T

    def labels(self, rows: int, device: torch.device) -> torch.Tensor:
        """Column of each scored row's positive pair in the gathered batch."""
        offset = rows * self.rank if self.local_loss and self.world_size > 1 else 0
        return torch.arange(offset, offset + rows, device=device)

    def forward(
        self, image_features: torch.Tensor, text_features: torch.Tensor, logit_scale: torch.Tensor
    ) -> torch.Tensor:
        logits_per_image, logits_per_text = self.logits(image_features, text_features, logit_scale)
        labels = self.labels(logits_per_image.shape[0], logits_per_image.device)
        return (F.cross_entropy(logits_per_image, labels) + F.cross_entropy(logits_per_text, labels)) / 2
