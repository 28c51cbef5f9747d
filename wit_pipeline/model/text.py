"""CLIP's text tower: a causal Transformer over token embeddings, pooled at the end-of-text token.

Token rows are ``[sot, ..., eot, 0, 0, ...]`` (pad id 0), so the end token sits at
``(tokens != 0).sum(-1) - 1``. With causal attention nothing after it can influence it, so
padding needs no mask.
"""

from __future__ import annotations

import torch
from torch import nn

from wit_pipeline.model.config import TextConfig
from wit_pipeline.model.transformer import Transformer


def eot_positions(tokens: torch.Tensor) -> torch.Tensor:
    """Index of each row's end-of-text token: the last non-padding position."""
    return ((tokens != 0).sum(-1) - 1).clamp(min=0)


class TextTransformer(nn.Module):
    """``tokens [B, context_length] -> features [B, embed_dim]`` (not normalised)."""

    def __init__(self, config: TextConfig, embed_dim: int, quick_gelu: bool = False) -> None:
        super().__init__()
        self.context_length = config.context_length
        self.token_embedding = nn.Embedding(config.vocab_size, config.width)
        self.positional_embedding = nn.Parameter(torch.empty(config.context_length, config.width))
        self.transformer = Transformer(config.width, config.layers, config.heads, config.mlp_ratio, quick_gelu)
        self.ln_final = nn.LayerNorm(config.width)
        self.proj = nn.Linear(config.width, embed_dim, bias=False)
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.positional_embedding, std=0.01)
        nn.init.normal_(self.proj.weight, std=config.width**-0.5)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        if tokens.shape[1] != self.context_length:
            raise ValueError(f"tokens have length {tokens.shape[1]}, the model's context is {self.context_length}")
        x = self.token_embedding(tokens) + self.positional_embedding
        x = self.ln_final(self.transformer(x, causal=True))
        pooled = x[torch.arange(x.shape[0], device=x.device), eot_positions(tokens)]
        return self.proj(pooled)
