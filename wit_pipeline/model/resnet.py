"""CLIP's modified ResNet image tower (``RN50`` and friends).

Differences from torchvision's ResNet, as in the CLIP paper: a three-convolution stem with
average pooling, anti-aliased strided convolutions (an average pool before each stride), and
attention pooling (one query, the mean of the feature map) instead of global average pooling;
the pooling's output projection is the tower's linear projection into the shared space.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from wit_pipeline.model.config import VisionConfig


class Bottleneck(nn.Module):
    """1x1 -> 3x3 -> (avg-pool stride) -> 1x1 residual block, expansion 4."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        out = planes * self.expansion
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.pool = nn.AvgPool2d(stride) if stride > 1 else nn.Identity()
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        nn.init.zeros_(self.bn3.weight)
        self.downsample: nn.Module = nn.Identity()
        if stride > 1 or inplanes != out:
            self.downsample = nn.Sequential(
                nn.AvgPool2d(stride) if stride > 1 else nn.Identity(),
                nn.Conv2d(inplanes, out, 1, bias=False),
                nn.BatchNorm2d(out),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(self.pool(y)))
        return F.relu(y + self.downsample(x))


class AttentionPool2d(nn.Module):
    """Multi-head attention of the spatial mean over all positions, then a linear projection."""

    def __init__(self, grid: int, width: int, heads: int, output_dim: int) -> None:
        super().__init__()
        self.heads = heads
        self.positional_embedding = nn.Parameter(torch.randn(grid * grid + 1, width) / width**0.5)
        self.q_proj = nn.Linear(width, width)
        self.k_proj = nn.Linear(width, width)
        self.v_proj = nn.Linear(width, width)
        self.c_proj = nn.Linear(width, output_dim)
        for layer in (self.q_proj, self.k_proj, self.v_proj, self.c_proj):
            nn.init.normal_(layer.weight, std=width**-0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(2).transpose(1, 2)
        x = torch.cat([x.mean(dim=1, keepdim=True), x], dim=1) + self.positional_embedding.to(x.dtype)
        batch, length, width = x.shape

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, t.shape[1], self.heads, width // self.heads).transpose(1, 2)

        out = F.scaled_dot_product_attention(heads(self.q_proj(x[:, :1])), heads(self.k_proj(x)), heads(self.v_proj(x)))
        return self.c_proj(out.transpose(1, 2).reshape(batch, width))


class ModifiedResNet(nn.Module):
    """``images [B, 3, S, S] -> features [B, embed_dim]`` (not normalised)."""

    def __init__(self, config: VisionConfig, embed_dim: int) -> None:
        super().__init__()
        width = config.width
        self.stem = nn.Sequential(
            nn.Conv2d(3, width // 2, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(width // 2),
            nn.ReLU(inplace=True),
            nn.Conv2d(width // 2, width // 2, 3, padding=1, bias=False),
            nn.BatchNorm2d(width // 2),
            nn.ReLU(inplace=True),
            nn.Conv2d(width // 2, width, 3, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.AvgPool2d(2),
        )
        stages, inplanes = [], width
        for i, blocks in enumerate(config.resnet_layers):
            planes = width * 2**i
            layers = [Bottleneck(inplanes, planes, stride=1 if i == 0 else 2)]
            inplanes = planes * Bottleneck.expansion
            layers += [Bottleneck(inplanes, planes) for _ in range(blocks - 1)]
            stages.append(nn.Sequential(*layers))
        self.stages = nn.Sequential(*stages)
        self.attnpool = AttentionPool2d(config.image_size // 32, inplanes, config.heads, embed_dim)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.attnpool(self.stages(self.stem(images)))
