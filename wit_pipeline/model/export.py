"""Write a wit model as an open_clip model directory: ``open_clip_config.json`` + ``open_clip_model.safetensors``.

``open_clip.create_model("local-dir:OUT")`` loads it and gives wit's features. The weights are in OpenAI's
layout with CLIP's ids (wit's pad row dropped). A model trained with CLIP's tokenizer then tokenizes with
open_clip's own (``open_clip.get_tokenizer("local-dir:OUT")``). A model trained with wit's own BPE gets its
merges in CLIP's file format, ``bpe_simple_vocab.txt.gz``, for
``open_clip.tokenizer.SimpleTokenizer(bpe_path="OUT/bpe_simple_vocab.txt.gz", context_length=...)``, and its
``tokenizer.json`` (wit reads the directory back with it).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from safetensors.torch import save_file

from wit_pipeline.atomic_files import write_json
from wit_pipeline.errors import WitError
from wit_pipeline.model.config import ModelConfig
from wit_pipeline.model.openai_layout import wit_to_openai
from wit_pipeline.model.pretrained import CLIP_MEAN, CLIP_STD, OPEN_CLIP_CONFIG
from wit_pipeline.model.run_dir import TOKENIZER

OPEN_CLIP_WEIGHTS_FILE = "open_clip_model.safetensors"
BPE_FILE = "bpe_simple_vocab.txt.gz"


def open_clip_model_cfg(config: ModelConfig) -> dict[str, Any]:
    """open_clip's ``model_cfg`` for a wit architecture."""
    v, t = config.vision, config.text
    if v.kind == "vit":
        vision = {"image_size": v.image_size, "layers": v.layers, "width": v.width, "patch_size": v.patch_size}
        vision |= {"head_width": v.width // v.heads, "mlp_ratio": v.mlp_ratio}
    else:
        vision = {"image_size": v.image_size, "layers": list(v.resnet_layers), "width": v.width}
        vision |= {"head_width": v.width * 32 // v.heads}
    text = {"context_length": t.context_length, "vocab_size": t.vocab_size - 1, "width": t.width}
    text |= {"heads": t.heads, "layers": t.layers, "mlp_ratio": t.mlp_ratio}
    return {"embed_dim": config.embed_dim, "quick_gelu": config.quick_gelu, "vision_cfg": vision, "text_cfg": text}


def export_open_clip(model: Any, tokenizer: Any, config: ModelConfig, out: str | os.PathLike) -> Path:
    """Write ``model`` (a wit ``CLIP``) and how to tokenize for it into the new directory ``out``."""
    from loaders import Tokenizer

    out = Path(out).expanduser()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise WitError(f"{out}: already exists and is not an empty directory")
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file(wit_to_openai(model.state_dict(), config), tmp / OPEN_CLIP_WEIGHTS_FILE, metadata={"format": "pt"})
    preprocess = {"size": config.vision.image_size, "mean": list(CLIP_MEAN), "std": list(CLIP_STD)}
    preprocess |= {"interpolation": "bicubic", "resize_mode": "shortest"}
    write_json(tmp / OPEN_CLIP_CONFIG, {"model_cfg": open_clip_model_cfg(config), "preprocess_cfg": preprocess})
    if tokenizer.merges() != Tokenizer.clip(tokenizer.context_length).merges():
        tokenizer.save_clip_merges(tmp / BPE_FILE)
        tokenizer.save(tmp / TOKENIZER)
    if out.exists():
        out.rmdir()
    os.replace(tmp, out)
    return out
