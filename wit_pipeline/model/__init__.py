"""CLIP models: configs (named sizes or files) and the two-tower model.

>>> from wit_pipeline.model import CLIP, get_model_config
>>> model = CLIP(get_model_config("tiny"))
>>> image_features, text_features, logit_scale = model(images, tokens)

``CLIP`` is imported on first use, so reading configs (``wit --help``) does not import torch.
"""

from typing import Any

from wit_pipeline.model.config import (
    MODEL_CONFIGS,
    ModelConfig,
    TextConfig,
    VisionConfig,
    get_model_config,
    load_model_config,
    model_names,
)

__all__ = [
    "CLIP",
    "MODEL_CONFIGS",
    "ModelConfig",
    "TextConfig",
    "VisionConfig",
    "get_model_config",
    "load_model_config",
    "model_names",
]


def __getattr__(name: str) -> Any:
    if name == "CLIP":
        from wit_pipeline.model.clip import CLIP

        return CLIP
    raise AttributeError(f"module 'wit_pipeline.model' has no attribute {name!r}")
