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

from wit_pipeline.train.distributed import gather_sizes, gather_with_grad


class ClipLoss(nn.Module):
    """``loss(image_features, text_features, logit_scale) -> scalar``; features are L2-normalised.

    Ranks may hold different numbers of rows (a bad sample leaves its batch one smaller): the
    loss is always the mean over every row of the global batch.
    """

    def __init__(self, local_loss: bool = False, rank: int = 0, world_size: int = 1) -> None:
        super().__init__()
        self.local_loss = local_loss
        self.rank = rank
        self.world_size = world_size

    def forward(
        self, image_features: torch.Tensor, text_features: torch.Tensor, logit_scale: torch.Tensor
    ) -> torch.Tensor:
        sizes = gather_sizes(image_features.shape[0])
        total = sum(sizes)
        if len(sizes) == 1:
            logits_per_image = logit_scale * image_features @ text_features.T
            logits_per_text, labels = logits_per_image.T, torch.arange(total, device=image_features.device)
        else:
            all_images = gather_with_grad(image_features, sizes)
            all_texts = gather_with_grad(text_features, sizes)
            if self.local_loss:
                logits_per_image = logit_scale * image_features @ all_texts.T
                logits_per_text = logit_scale * text_features @ all_images.T
                start = sum(sizes[: self.rank])
                labels = torch.arange(start, start + sizes[self.rank], device=image_features.device)
            else:
                logits_per_image = logit_scale * all_images @ all_texts.T
                logits_per_text, labels = logits_per_image.T, torch.arange(total, device=image_features.device)
        summed = F.cross_entropy(logits_per_image, labels, reduction="sum") + F.cross_entropy(
            logits_per_text, labels, reduction="sum"
        )
        # Each rank scores only its rows with local_loss; scaling by the world size makes the
        # rank average (what DDP's gradient averaging computes) the global mean.
        scale = len(sizes) if self.local_loss else 1
        return summed * scale / (2 * max(total, 1))
