"""The model-side library: CLIP configs (named sizes or files), the two-tower model, the run directory
layout (``run_dir``), weights loading (``weights``: ``load_run``) and the device choice (``device``).

>>> from wit_pipeline.model import CLIP, get_model_config, load_run
>>> model = CLIP(get_model_config("tiny"))
>>> image_features, text_features, logit_scale = model(images, tokens)
>>> model, tokenizer, config = load_run("runs/tiny", device="cpu")

``CLIP`` and ``load_run`` are imported on first use, so reading configs (``wit --help``) does not import torch.
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
    "load_run",
    "model_names",
]


def __getattr__(name: str) -> Any:
    if name == "CLIP":
        from wit_pipeline.model.clip import CLIP

        return CLIP
    if name == "load_run":
        from wit_pipeline.model.weights import load_run

        return load_run
    raise AttributeError(f"module 'wit_pipeline.model' has no attribute {name!r}")
