"""OpenAI's CLIP key layout (also open_clip's ``CLIP`` class): the architecture read from shapes, and keys mapped.

OpenAI's ``build_model(state_dict)`` reads the architecture from the weights alone; ``config_from_openai`` does
the same (ViT-B/32, B/16, L/14, L/14@336, RN50, RN101, RN50x4, ...; heads are width / 64 as in every released
model). ``openai_to_wit`` and ``wit_to_openai`` rename the keys between that layout and wit's modules:
projections stored as ``x @ proj`` matrices become ``nn.Linear`` weights (transposed), the ResNet stem and
stages get OpenAI's names, and the token embedding gains (or loses) wit's pad row: wit's ids are CLIP's plus
one, id 0 being a pad token that never occurs inside a row.

A key that is neither mapped nor expected is a one-line error naming it (the first unknown or missing key).
"""

from __future__ import annotations

import re

import torch

from wit_pipeline.errors import WitError
from wit_pipeline.model.config import ModelConfig, TextConfig, VisionConfig

# ints OpenAI's TorchScript archives carry, and the causal mask open_clip keeps as a (non-persistent) buffer
IGNORED_KEYS = ("input_resolution", "context_length", "vocab_size", "attn_mask")
STEM = {"conv1": "0", "bn1": "1", "conv2": "3", "bn2": "4", "conv3": "6", "bn3": "7"}
BLOCK_PARTS = {
    "attn.in_proj_weight": "attn.in_proj.weight",
    "attn.in_proj_bias": "attn.in_proj.bias",
    "mlp.c_fc": "mlp.0",
    "mlp.c_proj": "mlp.2",
}
DOWNSAMPLE = {"downsample.0": "downsample.1", "downsample.1": "downsample.2"}
HEAD_WIDTH = 64


def is_openai_layout(state: dict[str, torch.Tensor]) -> bool:
    """Whether ``state`` looks like OpenAI's layout (a text projection matrix and a ``visual`` tower)."""
    return "text_projection" in state and any(k.startswith("visual.") for k in state)


def config_from_openai(
    state: dict[str, torch.Tensor], quick_gelu: bool = True, origin: str = "checkpoint"
) -> ModelConfig:
    """The architecture of an OpenAI-layout state dict, read from its shapes as OpenAI's ``build_model`` does."""
    for key in ("text_projection", "token_embedding.weight", "positional_embedding", "ln_final.weight"):
        if key not in state:
            raise WitError(f"{origin}: missing key {key!r} (not a CLIP checkpoint in OpenAI's layout)")
    embed_dim = state["text_projection"].shape[1]
    text_width = state["ln_final.weight"].shape[0]
    text_layers = _count_blocks(state, "transformer.resblocks.")
    text = TextConfig(
        context_length=state["positional_embedding"].shape[0],
        vocab_size=state["token_embedding.weight"].shape[0] + 1,
        width=text_width,
        layers=text_layers,
        heads=max(1, text_width // HEAD_WIDTH),
        mlp_ratio=_mlp_ratio(state, "transformer.resblocks.0.", text_width),
    )
    if "visual.proj" in state:
        if "visual.conv1.weight" not in state or "visual.positional_embedding" not in state:
            raise WitError(f"{origin}: missing key 'visual.conv1.weight' (a ViT tower in OpenAI's layout needs it)")
        width, patch = state["visual.conv1.weight"].shape[0], state["visual.conv1.weight"].shape[-1]
        grid = round((state["visual.positional_embedding"].shape[0] - 1) ** 0.5)
        vision = VisionConfig(
            kind="vit",
            image_size=grid * patch,
            patch_size=patch,
            width=width,
            layers=_count_blocks(state, "visual.transformer.resblocks."),
            heads=max(1, width // HEAD_WIDTH),
            mlp_ratio=_mlp_ratio(state, "visual.transformer.resblocks.0.", width),
        )
    else:
        if "visual.layer1.0.conv1.weight" not in state or "visual.attnpool.positional_embedding" not in state:
            raise WitError(f"{origin}: missing key 'visual.proj' (neither a ViT nor a ResNet tower in OpenAI's layout)")
        width = state["visual.layer1.0.conv1.weight"].shape[0]
        grid = round((state["visual.attnpool.positional_embedding"].shape[0] - 1) ** 0.5)
        counts = [_count_blocks(state, f"visual.layer{stage}.") for stage in range(1, 5)]
        vision = VisionConfig(
            kind="resnet", image_size=grid * 32, width=width, heads=width * 32 // HEAD_WIDTH, resnet_layers=counts
        )
    return ModelConfig.from_dict(
        ModelConfig(embed_dim=embed_dim, vision=vision, text=text, quick_gelu=quick_gelu).to_dict(), origin=origin
    )


def openai_to_wit(state: dict[str, torch.Tensor], config: ModelConfig, origin: str = "checkpoint") -> dict:
    """wit's state dict for ``config`` from an OpenAI-layout one; unknown or missing keys are one-line errors."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key in IGNORED_KEYS or key.endswith(".attn_mask"):
            continue
        name = _wit_name(key, config.vision.kind)
        if name is None:
            raise WitError(f"{origin}: unknown key {key!r} (not in OpenAI's CLIP layout for this architecture)")
        if key in ("text_projection", "visual.proj"):
            value = value.t()
        elif key == "token_embedding.weight":
            value = torch.cat([value.new_zeros(1, value.shape[1]), value])
        out[name] = value.contiguous()
    return out


def wit_to_openai(state: dict[str, torch.Tensor], config: ModelConfig) -> dict[str, torch.Tensor]:
    """The OpenAI-layout state dict of a wit model (the pad row dropped: ids become CLIP's)."""
    out = {}
    for name, value in state.items():
        key = _openai_name(name, config.vision.kind)
        if key in ("text_projection", "visual.proj"):
            value = value.t()
        elif key == "token_embedding.weight":
            value = value[1:]
        out[key] = value.detach().contiguous()
    return out


def check_complete(mapped: dict[str, torch.Tensor], model: torch.nn.Module, origin: str) -> None:
    """A one-line error naming the first key the model needs that the checkpoint lacks, or a shape mismatch.

    BatchNorm step counters, which some checkpoints leave out and eval never reads, are filled with zeros.
    """
    kind = model.config.vision.kind
    for name, tensor in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            mapped.setdefault(name, torch.zeros_like(tensor))
        elif name not in mapped:
            raise WitError(f"{origin}: missing key {_openai_name(name, kind)!r}")
        elif mapped[name].shape != tensor.shape:
            key = _openai_name(name, kind)
            raise WitError(
                f"{origin}: {key!r} has shape {tuple(mapped[name].shape)}, the architecture read from the "
                f"other keys needs {tuple(tensor.shape)}"
            )


def _wit_name(key: str, kind: str) -> str | None:
    if key == "logit_scale":
        return key
    if key in ("positional_embedding", "token_embedding.weight") or key.startswith("ln_final."):
        return "text." + key
    if key == "text_projection":
        return "text.proj.weight"
    if key.startswith("transformer.resblocks."):
        return "text." + _block_name(key)
    if not key.startswith("visual."):
        return None
    rest = key[len("visual.") :]
    if kind == "vit":
        if rest == "conv1.weight":
            return "visual.patch_embed.weight"
        if rest == "proj":
            return "visual.proj.weight"
        if rest in ("class_embedding", "positional_embedding") or re.match(r"ln_(pre|post)\.(weight|bias)$", rest):
            return key
        if rest.startswith("transformer.resblocks."):
            return "visual." + _block_name(rest)
        return None
    match = re.match(r"(conv[123]|bn[123])\.(.+)$", rest)
    if match:
        return f"visual.stem.{STEM[match[1]]}.{match[2]}"
    match = re.match(r"layer([1-4])\.(\d+)\.(.+)$", rest)
    if match:
        return f"visual.stages.{int(match[1]) - 1}.{match[2]}.{_rename_part(match[3], DOWNSAMPLE)}"
    if rest.startswith("attnpool."):
        return key
    return None


def _block_name(key: str) -> str:
    """``transformer.resblocks.N.part`` -> ``transformer.blocks.N.part`` with wit's part names."""
    return _rename_block(key, "resblocks", "blocks", BLOCK_PARTS)


def _resblock_name(key: str) -> str:
    """``transformer.blocks.N.part`` -> ``transformer.resblocks.N.part`` with OpenAI's part names."""
    return _rename_block(key, "blocks", "resblocks", _invert(BLOCK_PARTS))


def _rename_block(key: str, source: str, target: str, parts: dict[str, str]) -> str:
    """``transformer.{source}.N.part`` -> ``transformer.{target}.N.part`` with ``part`` renamed by ``parts``."""
    match = re.match(rf"transformer\.{source}\.(\d+)\.(.+)$", key)
    if match is None:
        return key
    return f"transformer.{target}.{match[1]}.{_rename_part(match[2], parts)}"


def _rename_part(part: str, names: dict[str, str]) -> str:
    """``part`` with its leading dotted name replaced by the first of ``names`` it matches, if any."""
    for old, new in names.items():
        if part == old or part.startswith(old + "."):
            return new + part[len(old) :]
    return part


def _invert(names: dict[str, str]) -> dict[str, str]:
    return {new: old for old, new in names.items()}


def _count_blocks(state: dict[str, torch.Tensor], prefix: str) -> int:
    return len({k[len(prefix) :].split(".")[0] for k in state if k.startswith(prefix)})


def _mlp_ratio(state: dict[str, torch.Tensor], block: str, width: int) -> float:
    weight = state.get(block + "mlp.c_fc.weight")
    return 4.0 if weight is None else weight.shape[0] / width


def _openai_name(name: str, kind: str) -> str:
    """The OpenAI-layout key of a wit state-dict key (the inverse of ``_wit_name``)."""
    if name == "logit_scale":
        return name
    if name == "text.proj.weight":
        return "text_projection"
    if name.startswith("text."):
        return _resblock_name(name[len("text.") :])
    rest = name[len("visual.") :]
    if rest == "patch_embed.weight":
        return "visual.conv1.weight"
    if rest == "proj.weight":
        return "visual.proj"
    match = re.match(r"stem\.(\d)\.(.+)$", rest)
    if match:
        return "visual." + _invert(STEM)[match[1]] + "." + match[2]
    match = re.match(r"stages\.(\d)\.(\d+)\.(.+)$", rest)
    if match:
        return f"visual.layer{int(match[1]) + 1}.{match[2]}.{_rename_part(match[3], _invert(DOWNSAMPLE))}"
    return "visual." + _resblock_name(rest)
