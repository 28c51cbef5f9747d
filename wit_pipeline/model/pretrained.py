"""Pretrained CLIP weights in: OpenAI-layout checkpoints and open_clip model directories, read without running code.

Accepted wherever a training run is (``load_run``, so ``wit eval``/``embed``/``search``/``clip-filter``):

- a bare checkpoint in OpenAI's key layout (OpenAI's CLIP and open_clip's ``CLIP`` class): a state dict
  ``.pt``/``.pth``/``.bin`` read with ``torch.load(weights_only=True)``, a ``.safetensors`` file, or one of
  OpenAI's published TorchScript ``.pt`` archives, whose ``data.pkl`` is read by an unpickler that rebuilds
  tensors and module attribute tables only (any other global is refused; the archive's code is never run).
  The architecture comes from the shapes, and a bare checkpoint means OpenAI's: QuickGELU, CLIP's tokenizer.
- an open_clip model directory (``open_clip_config.json`` + ``open_clip_model.safetensors`` or
  ``open_clip_pytorch_model.bin``), whose config decides GELU or QuickGELU, the heads and the context length;
  settings wit's model does not implement are a one-line error naming the setting.
"""

from __future__ import annotations

import json
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from wit_pipeline.config import CLIP_VOCAB_SIZE
from wit_pipeline.errors import WitError
from wit_pipeline.model.config import ModelConfig
from wit_pipeline.model.openai_layout import check_complete, config_from_openai, is_openai_layout, openai_to_wit
from wit_pipeline.model.run_dir import MODEL_CONFIG, TOKENIZER

WEIGHT_SUFFIXES = (".pt", ".pth", ".bin", ".safetensors")
OPEN_CLIP_CONFIG = "open_clip_config.json"
OPEN_CLIP_WEIGHTS = (
    "open_clip_model.safetensors",
    "open_clip_pytorch_model.safetensors",
    "open_clip_pytorch_model.bin",
    "open_clip_pytorch_model.pth",
)
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
# open_clip settings that leave an eval-mode CLIP unchanged, and those wit implements only at these values
HARMLESS = {"patch_dropout", "output_tokens", "cast_dtype", "init_logit_scale", "output_dict", "hf_model_pretrained"}
ONLY_DEFAULT = {
    "ls_init_value": None,
    "attentional_pool": False,
    "attn_pooler_queries": 256,
    "attn_pooler_heads": 8,
    "no_ln_pre": False,
    "pos_embed_type": "learnable",
    "final_ln_after_pool": False,
    "embed_cls": False,
    "no_causal_mask": False,
    "proj_bias": False,
    "proj_type": "linear",
    "act_kwargs": None,
    "norm_kwargs": None,
    "block_type": None,
    "qk_norm": False,
    "scaled_cosine_attn": False,
    "scale_heads": False,
    "scale_attn_inner": False,
    "scale_attn": False,
    "scale_fc": False,
    "timm_model_name": None,
    "hf_model_name": None,
    "hf_tokenizer_name": None,
    "custom_text": False,
    "init_logit_bias": None,
}
SIZES = {"layers", "width", "head_width", "heads", "mlp_ratio", "patch_size", "image_size"}
SIZES |= {"context_length", "vocab_size", "tokenizer_kwargs", "tokenizer_mode", "pad_id", "eos_id", "pool_type"}


@dataclass(frozen=True)
class Pretrained:
    """Where a pretrained model's bytes are: the weights file, and the open_clip config of a model directory."""

    weights: Path
    open_clip_config: Path | None = None


def find_pretrained(path: str | Path) -> Pretrained | None:
    """The pretrained model at ``path``, or None when ``path`` is (or may be) a wit run, checkpoint or weights file.

    A ``.safetensors`` file beside a ``model_config.json`` is a wit weights file, not a pretrained one.
    """
    p = Path(path).expanduser()
    if p.is_dir():
        config = p / OPEN_CLIP_CONFIG
        if not config.is_file():
            return None
        for name in OPEN_CLIP_WEIGHTS:
            if (p / name).is_file():
                return Pretrained(p / name, config)
        raise WitError(
            f"{p}: an open_clip model directory without weights (expected one of {', '.join(OPEN_CLIP_WEIGHTS)})"
        )
    if p.is_file() and p.suffix.lower() in WEIGHT_SUFFIXES:
        if p.suffix.lower() == ".safetensors" and (p.parent / MODEL_CONFIG).is_file():
            return None
        return Pretrained(p)
    return None


def load_pretrained(pretrained: Pretrained, device: str | torch.device = "cpu") -> tuple[Any, Any, ModelConfig]:
    """``(model, tokenizer, model_config)`` of a pretrained model, in eval mode on ``device``."""
    from loaders import Tokenizer
    from wit_pipeline.model.clip import CLIP

    origin = str(pretrained.weights)
    state = read_state_dict(pretrained.weights)
    if not is_openai_layout(state):
        first = next(iter(state), "")
        raise WitError(f"{origin}: unknown key {first!r} (not a CLIP checkpoint in OpenAI's/open_clip's layout)")
    tokenizer_file = None
    if pretrained.open_clip_config is None:
        config = config_from_openai(state, quick_gelu=True, origin=origin)
    else:
        config = config_from_openai(state, quick_gelu=False, origin=origin)
        config = _apply_open_clip_config(config, pretrained.open_clip_config)
        if (pretrained.open_clip_config.parent / TOKENIZER).is_file():
            tokenizer_file = pretrained.open_clip_config.parent / TOKENIZER
    if tokenizer_file is not None:
        tokenizer = Tokenizer.load(tokenizer_file)
    else:
        if config.text.vocab_size != CLIP_VOCAB_SIZE + 1:
            raise WitError(
                f"{origin}: a vocabulary of {config.text.vocab_size - 1} tokens is not CLIP's {CLIP_VOCAB_SIZE} "
                "(wit reads pretrained models with CLIP's tokenizer)"
            )
        tokenizer = Tokenizer.clip(config.text.context_length)
    if tokenizer.vocab_size != config.text.vocab_size or tokenizer.context_length != config.text.context_length:
        raise WitError(f"{origin}: the tokenizer does not fit the weights (vocabulary or context length differ)")
    with torch.device("meta"):  # no random initialisation of weights that are about to be replaced
        model = CLIP(config)
    mapped = openai_to_wit(state, config, origin)
    check_complete(mapped, model, origin)
    mapped = {k: v.float() if v.is_floating_point() else v for k, v in mapped.items()}  # fp16 releases: float32
    model.load_state_dict(mapped, strict=True, assign=True)
    return model.to(device).eval(), tokenizer, config


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of a checkpoint file, without executing anything it contains."""
    if path.suffix.lower() == ".safetensors":
        from safetensors.torch import load_file

        try:
            state: Any = load_file(path)
        except Exception as exc:  # safetensors raises its own error types for malformed headers
            raise WitError(f"{path}: not a readable safetensors file ({exc})") from None
    elif zipfile.is_zipfile(path) and _is_torchscript(path):
        state = read_torchscript(path)
    else:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise WitError(
                f"{path}: refused: not a plain tensor checkpoint, nothing in it was run ({reason[:200]})"
            ) from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]  # open_clip's training checkpoints
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WitError(f"{path}: not a state dict of tensors")
    prefix = "module."
    if state and all(k.startswith(prefix) for k in state):
        state = {k[len(prefix) :]: v for k, v in state.items()}
    return {str(k): v for k, v in state.items()}


def _is_torchscript(path: Path) -> bool:
    with zipfile.ZipFile(path) as archive:
        return any(n.endswith("/constants.pkl") or "/code/" in n for n in archive.namelist())


class _ScriptModule:
    """A TorchScript module object as data: its attribute table (tensors, submodules, flags)."""

    def __setstate__(self, state: Any) -> None:
        self.state = state if isinstance(state, dict) else {}


_STORAGE_DTYPES = {
    "FloatStorage": torch.float32,
    "HalfStorage": torch.float16,
    "BFloat16Storage": torch.bfloat16,
    "DoubleStorage": torch.float64,
    "LongStorage": torch.int64,
    "IntStorage": torch.int32,
    "ShortStorage": torch.int16,
    "CharStorage": torch.int8,
    "ByteStorage": torch.uint8,
    "BoolStorage": torch.bool,
}


# TorchScript's typed containers, rebuilt as plain Python data
_SCRIPT_CONTAINERS = {
    "restore_type_tag": lambda value, *_: value,
    "build_intlist": list,
    "build_floatlist": list,
    "build_doublelist": list,
    "build_boollist": list,
    "build_tensorlist": list,
}


def _rebuild_tensor(storage: torch.Tensor, offset: int, size: tuple, stride: tuple, *_: Any) -> torch.Tensor:
    return storage.as_strided(tuple(size), tuple(stride), offset).clone()


def _rebuild_parameter(data: torch.Tensor, *_: Any) -> torch.Tensor:
    return data


class _TensorsOnly(pickle.Unpickler):
    """Unpickles a TorchScript ``data.pkl``: module objects become attribute tables, storages come from the zip."""

    def __init__(self, archive: zipfile.ZipFile, root: str, data: bytes) -> None:
        import io

        super().__init__(io.BytesIO(data))
        self.archive, self.root = archive, root

    def find_class(self, module: str, name: str) -> Any:
        if module == "__torch__" or module.startswith("__torch__."):
            return _ScriptModule
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "torch._utils" and name == "_rebuild_parameter":
            return _rebuild_parameter
        if module == "collections" and name == "OrderedDict":
            return dict
        if module == "torch" and name in _STORAGE_DTYPES:
            return _STORAGE_DTYPES[name]
        if module == "torch.jit._pickle" and name in _SCRIPT_CONTAINERS:
            return _SCRIPT_CONTAINERS[name]
        raise pickle.UnpicklingError(f"refused global {module}.{name}")

    def persistent_load(self, pid: Any) -> torch.Tensor:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage" and isinstance(pid[1], torch.dtype)):
            raise pickle.UnpicklingError("unexpected persistent id")
        dtype, key = pid[1], str(pid[2])
        data = bytearray(self.archive.read(f"{self.root}/data/{key}"))
        if not data:
            return torch.empty(0, dtype=dtype)
        return torch.frombuffer(data, dtype=dtype)


def read_torchscript(path: Path) -> dict[str, torch.Tensor]:
    """The parameters and buffers of a TorchScript archive, by dotted name, read as data (no code is run)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
            if not names:
                raise WitError(f"{path}: a TorchScript archive without data.pkl")
            root = names[0].split("/")[0]
            obj = _TensorsOnly(archive, root, archive.read(names[0])).load()
    except (pickle.UnpicklingError, zipfile.BadZipFile, KeyError, ValueError, TypeError, EOFError) as exc:
        raise WitError(
            f"{path}: refused: a TorchScript archive wit cannot read as plain tensors ({exc}); convert it once with "
            "OpenAI's clip.load(PATH, jit=False) and torch.save(model.state_dict(), 'model.pt')"
        ) from None
    tensors: dict[str, torch.Tensor] = {}

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, _ScriptModule):
            for name, value in node.state.items():
                walk(value, f"{prefix}{name}.")
        elif isinstance(node, torch.Tensor):
            tensors[prefix[:-1]] = node

    walk(obj, "")
    return tensors


def _apply_open_clip_config(config: ModelConfig, path: Path) -> ModelConfig:
    """Check an open_clip config against the weights' architecture and take what only it decides."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        model_cfg = data["model_cfg"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise WitError(f"{path}: not an open_clip config with a model_cfg ({exc})") from None
    for key, value in model_cfg.items():
        if key not in ("embed_dim", "quick_gelu", "vision_cfg", "text_cfg"):
            _check_setting(path, key, value)
    vision_cfg, text_cfg = model_cfg.get("vision_cfg", {}), model_cfg.get("text_cfg", {})
    for section, cfg in (("vision_cfg", vision_cfg), ("text_cfg", text_cfg)):
        for key, value in cfg.items():
            if key not in SIZES:
                _check_setting(path, f"{section}.{key}", value)
    if vision_cfg.get("pool_type", "tok") != "tok" or text_cfg.get("pool_type", "argmax") != "argmax":
        raise WitError(f"{path}: pool_type other than open_clip's defaults ('tok', 'argmax') is not supported by wit")
    if text_cfg.get("tokenizer_kwargs") or text_cfg.get("tokenizer_mode"):
        raise WitError(
            f"{path}: text_cfg.tokenizer_kwargs/tokenizer_mode are not supported (wit uses CLIP's tokenizer)"
        )
    config.quick_gelu = bool(model_cfg.get("quick_gelu", False))
    v, t = config.vision, config.text
    head_width = vision_cfg.get("head_width", 64)
    v.heads = v.width * 32 // head_width if v.kind == "resnet" else v.width // head_width
    t.heads = text_cfg.get("heads", 8)
    expected = {
        "embed_dim": (model_cfg.get("embed_dim"), config.embed_dim),
        "vision_cfg.width": (vision_cfg.get("width"), v.width),
        "vision_cfg.image_size": (vision_cfg.get("image_size"), v.image_size),
        "text_cfg.width": (text_cfg.get("width"), t.width),
        "text_cfg.layers": (text_cfg.get("layers"), t.layers),
        "text_cfg.context_length": (text_cfg.get("context_length"), t.context_length),
        "text_cfg.vocab_size": (text_cfg.get("vocab_size"), t.vocab_size - 1),
    }
    if v.kind == "vit":
        expected["vision_cfg.layers"] = (vision_cfg.get("layers"), v.layers)
        expected["vision_cfg.patch_size"] = (vision_cfg.get("patch_size"), v.patch_size)
    else:
        expected["vision_cfg.layers"] = (vision_cfg.get("layers"), v.resnet_layers)
    for key, (stated, actual) in expected.items():
        if stated is not None and (list(stated) if isinstance(stated, (list, tuple)) else stated) != actual:
            raise WitError(f"{path}: {key} is {stated!r} but the weights have {actual!r}")
    _check_preprocess(path, data.get("preprocess_cfg", {}))
    return ModelConfig.from_dict(config.to_dict(), origin=str(path))


def _check_setting(path: Path, key: str, value: Any) -> None:
    name = key.split(".")[-1]
    if name in HARMLESS:
        return
    if name not in ONLY_DEFAULT:
        raise WitError(f"{path}: open_clip setting {key} is not supported by wit")
    if value != ONLY_DEFAULT[name] and value not in (None, False, "", {}):
        raise WitError(f"{path}: open_clip setting {key}={value!r} is not supported by wit")


def _check_preprocess(path: Path, cfg: dict) -> None:
    """wit evaluates with CLIP's preprocessing only: refuse a model that was trained with another."""
    for key, clip_value in (("mean", CLIP_MEAN), ("std", CLIP_STD)):
        value = cfg.get(key)
        if value is not None and any(abs(a - b) > 1e-6 for a, b in zip(value, clip_value)):
            raise WitError(
                f"{path}: preprocess_cfg.{key} {value} is not CLIP's {list(clip_value)} (wit's eval uses CLIP's)"
            )
    if cfg.get("interpolation", "bicubic") != "bicubic" or cfg.get("resize_mode", "shortest") != "shortest":
        raise WitError(f"{path}: preprocess_cfg other than bicubic, shortest-side resize is not supported by wit")
