"""The CLIP model: an image tower and a text tower projected into one space, and a temperature.

``forward`` returns L2-normalised features of both modalities and ``exp(logit_scale)``, the
three inputs of the contrastive loss. ``logit_scale`` is learned in log space, initialised to
``log(1 / 0.07)`` and clamped to ``log(100)`` by the trainer after every step, as in CLIP.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from wit_pipeline.model.config import ModelConfig
from wit_pipeline.model.resnet import ModifiedResNet
from wit_pipeline.model.text import TextTransformer
from wit_pipeline.model.transformer import Transformer
from wit_pipeline.model.vit import VisionTransformer

NO_DECAY_NAMES = ("positional_embedding", "class_embedding", "token_embedding.weight", "logit_scale")


class CLIP(nn.Module):
    """Contrastive image-text model built from a ``ModelConfig``."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        if config.vision.kind == "resnet":
            self.visual: nn.Module = ModifiedResNet(config.vision, config.embed_dim)
        else:
            self.visual = VisionTransformer(config.vision, config.embed_dim, config.quick_gelu)
        self.text = TextTransformer(config.text, config.embed_dim, config.quick_gelu)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1.0 / config.init_temperature)))

    @property
    def image_size(self) -> int:
        """Side of the square images the image tower expects."""
        return self.config.vision.image_size

    @property
    def context_length(self) -> int:
        """Token-row length the text tower expects."""
        return self.config.text.context_length

    def encode_image(self, images: torch.Tensor, normalize: bool = True) -> torch.Tensor:
        """Image features ``[B, embed_dim]``, unit length unless ``normalize=False``."""
        features = self.visual(images)
        return F.normalize(features, dim=-1) if normalize else features

    def encode_text(self, tokens: torch.Tensor, normalize: bool = True) -> torch.Tensor:
        """Text features ``[B, embed_dim]`` of token rows ``[B, context_length]``, unit length by default."""
        features = self.text(tokens)
        return F.normalize(features, dim=-1) if normalize else features

    def forward(self, images: torch.Tensor, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(image_features, text_features, logit_scale)``: normalised features and ``exp`` of the log scale."""
        return self.encode_image(images), self.encode_text(tokens), self.logit_scale.exp()

    @torch.no_grad()
    def clamp_logit_scale(self) -> None:
        """Keep ``exp(logit_scale)`` in ``[1, max_logit_scale]`` (CLIP clips at 100)."""
        self.logit_scale.clamp_(0.0, math.log(self.config.max_logit_scale))

    def set_grad_checkpointing(self, enable: bool = True) -> None:
        """Recompute Transformer activations in backward (the ResNet tower keeps its activations)."""
        for module in self.modules():
            if isinstance(module, Transformer):
                module.grad_checkpointing = enable

    def no_weight_decay(self) -> set[str]:
        """Names of parameters that must not be decayed: gains, biases, embeddings and the logit scale."""
        return {
            name
            for name, param in self.named_parameters()
            if param.ndim < 2 or any(name.endswith(suffix) for suffix in NO_DECAY_NAMES)
        }
