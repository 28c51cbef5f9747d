"""CLIP model configurations: a typed dataclass, the named sizes, and strict TOML/JSON loading.

A config fully describes an architecture, so a run directory stores it next to the weights and
any run can be rebuilt without knowing which name it was trained from. ``vocab_size`` and
``context_length`` are overridden from the tokenizer at training time.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wit_pipeline.config import CLIP_CONTEXT_LENGTH, CLIP_VOCAB_SIZE, build_dataclass
from wit_pipeline.errors import WitError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


@dataclass
class VisionConfig:
    """Image tower: a ViT (``kind="vit"``) or CLIP's modified ResNet (``kind="resnet"``).

    For the ResNet, ``width`` is the stem width, ``resnet_layers`` the blocks per stage and
    ``heads`` the attention-pooling heads; ``patch_size`` and ``layers`` are unused.
    """

    kind: str = "vit"
    image_size: int = 224
    patch_size: int = 32
    width: int = 768
    layers: int = 12
    heads: int = 12
    mlp_ratio: float = 4.0
    resnet_layers: list[int] = field(default_factory=lambda: [3, 4, 6, 3])


@dataclass
class TextConfig:
    """Causal Transformer text tower pooled at the end-of-text token."""

    context_length: int = CLIP_CONTEXT_LENGTH
    vocab_size: int = CLIP_VOCAB_SIZE
    width: int = 512
    layers: int = 12
    heads: int = 8
    mlp_ratio: float = 4.0


@dataclass
class ModelConfig:
    """A whole CLIP model: two towers projected into an ``embed_dim`` space and a learned temperature."""

    embed_dim: int = 512
    vision: VisionConfig = field(default_factory=VisionConfig)
    text: TextConfig = field(default_factory=TextConfig)
    init_temperature: float = 0.07
    max_logit_scale: float = 100.0
    quick_gelu: bool = False  # OpenAI's x * sigmoid(1.702 x) in the Transformer MLPs (its released weights need it)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict; ``ModelConfig.from_dict`` reads it back."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str = "model config") -> ModelConfig:
        """Build a config from a dict, rejecting unknown keys and wrong types with a one-line error."""
        config = build_dataclass(cls, data, origin)
        _validate(config, origin)
        return config


def _vit(image: int, patch: int, width: int, layers: int, heads: int) -> VisionConfig:
    return VisionConfig(kind="vit", image_size=image, patch_size=patch, width=width, layers=layers, heads=heads)


MODEL_CONFIGS: dict[str, ModelConfig] = {
    "tiny": ModelConfig(embed_dim=128, vision=_vit(64, 8, 128, 4, 4), text=TextConfig(width=128, layers=4, heads=4)),
    "tiny-rn": ModelConfig(
        embed_dim=128,
        vision=VisionConfig(kind="resnet", image_size=64, width=16, heads=4, resnet_layers=[1, 1, 1, 1]),
        text=TextConfig(width=128, layers=4, heads=4),
    ),
    "small": ModelConfig(embed_dim=256, vision=_vit(128, 16, 384, 6, 6), text=TextConfig(width=256, layers=6, heads=4)),
    "ViT-B-32": ModelConfig(embed_dim=512, vision=_vit(224, 32, 768, 12, 12), text=TextConfig()),
    "ViT-B-16": ModelConfig(embed_dim=512, vision=_vit(224, 16, 768, 12, 12), text=TextConfig()),
    "ViT-L-14": ModelConfig(
        embed_dim=768, vision=_vit(224, 14, 1024, 24, 16), text=TextConfig(width=768, layers=12, heads=12)
    ),
    "RN50": ModelConfig(
        embed_dim=1024,
        vision=VisionConfig(kind="resnet", image_size=224, width=64, heads=32, resnet_layers=[3, 4, 6, 3]),
        text=TextConfig(),
    ),
}


def model_names() -> list[str]:
    """Names accepted by ``get_model_config`` (and ``wit train --model``)."""
    return list(MODEL_CONFIGS)


def get_model_config(name_or_path: str | Path) -> ModelConfig:
    """A named config (``tiny`` ... ``ViT-B-32``, ``RN50``) or one read from a ``.toml``/``.json`` file."""
    name = str(name_or_path)
    if name in MODEL_CONFIGS:
        return ModelConfig.from_dict(MODEL_CONFIGS[name].to_dict(), origin=name)
    path = Path(name).expanduser()
    if path.suffix.lower() not in (".toml", ".json"):
        raise WitError(f"unknown model '{name}' (named models: {', '.join(MODEL_CONFIGS)}; or a .toml/.json file)")
    return load_model_config(path)


def load_model_config(path: str | Path) -> ModelConfig:
    """Read a model config file: TOML or JSON with ``embed_dim`` and ``[vision]``/``[text]`` tables."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
        data = tomllib.loads(text) if p.suffix.lower() == ".toml" else json.loads(text)
    except FileNotFoundError:
        raise WitError(f"{p}: model config file not found") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise WitError(f"{p}: cannot read model config ({exc})") from None
    return ModelConfig.from_dict(data, origin=str(p))


def _validate(config: ModelConfig, origin: str) -> None:
    v, t = config.vision, config.text
    problems = []
    if v.kind not in ("vit", "resnet"):
        problems.append(f"vision.kind must be 'vit' or 'resnet', got {v.kind!r}")
    elif v.kind == "vit":
        if v.image_size % v.patch_size:
            problems.append(f"vision.image_size {v.image_size} is not a multiple of patch_size {v.patch_size}")
        if v.width % v.heads:
            problems.append(f"vision.width {v.width} is not a multiple of heads {v.heads}")
    elif len(v.resnet_layers) != 4 or v.image_size % 32 or (v.width * 32) % v.heads:
        problems.append("resnet needs 4 resnet_layers, image_size a multiple of 32 and width*32 divisible by heads")
    if t.width % t.heads:
        problems.append(f"text.width {t.width} is not a multiple of heads {t.heads}")
    sizes = [config.embed_dim, v.image_size, v.width, t.width, t.context_length, t.vocab_size, t.heads, v.heads]
    if min(sizes) <= 0 or config.init_temperature <= 0 or config.max_logit_scale <= 1:
        problems.append("sizes, init_temperature must be positive and max_logit_scale > 1")
    if problems:
        raise WitError(f"{origin}: {problems[0]}")
