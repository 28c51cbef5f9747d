"""CLIP's Vision Transformer image tower.

Patches are embedded by a strided convolution, a learned class token and positional
embedding are added, the sequence goes through a pre-LN Transformer, and the class token's
final LayerNorm output is linearly projected into the shared embedding space.
"""

from __future__ import annotations

import torch
from torch import nn

from wit_pipeline.model.config import VisionConfig
from wit_pipeline.model.transformer import Transformer


class VisionTransformer(nn.Module):
    """``images [B, 3, S, S] -> features [B, embed_dim]`` (not normalised)."""

    def __init__(self, config: VisionConfig, embed_dim: int, quick_gelu: bool = False) -> None:
        super().__init__()
        width, grid = config.width, config.image_size // config.patch_size
        self.patch_embed = nn.Conv2d(3, width, kernel_size=config.patch_size, stride=config.patch_size, bias=False)
        scale = width**-0.5
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn(grid * grid + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = Transformer(width, config.layers, config.heads, config.mlp_ratio, quick_gelu)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Linear(width, embed_dim, bias=False)
        nn.init.normal_(self.proj.weight, std=scale)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(images).flatten(2).transpose(1, 2)
        cls = self.class_embedding.to(x.dtype).expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding.to(x.dtype)
        x = self.transformer(self.ln_pre(x))
        return self.proj(self.ln_post(x[:, 0]))
