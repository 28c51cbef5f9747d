"""The CLIP model: shapes, normalisation, temperature, text pooling, towers, published sizes."""

from __future__ import annotations

import math

import pytest
import torch

from tests.wit_pipeline.train.helpers import CONTEXT, VOCAB, micro_config, synthetic_batch
from wit_pipeline.model import CLIP, get_model_config
from wit_pipeline.model.text import eot_positions


@pytest.mark.parametrize("kind", ["vit", "resnet"])
def test_forward_gives_unit_features_and_clip_temperature(kind: str) -> None:
    torch.manual_seed(0)
    model = CLIP(micro_config(kind))
    images, tokens = synthetic_batch(4)
    image_features, text_features, logit_scale = model(images, tokens)
    assert image_features.shape == text_features.shape == (4, 32)
    torch.testing.assert_close(image_features.norm(dim=-1), torch.ones(4))
    torch.testing.assert_close(text_features.norm(dim=-1), torch.ones(4))
    assert logit_scale.item() == pytest.approx(1 / 0.07, rel=1e-5)
    raw = model.encode_image(images, normalize=False)
    torch.testing.assert_close(raw / raw.norm(dim=-1, keepdim=True), image_features)


def test_text_pooled_at_end_token_and_causal() -> None:
    torch.manual_seed(0)
    text = CLIP(micro_config()).eval().text
    tokens = torch.zeros(2, CONTEXT, dtype=torch.long)
    tokens[:, :5] = torch.tensor([VOCAB - 2, 5, 6, 7, VOCAB - 1])
    tokens[1, 4:7] = torch.tensor([8, 9, VOCAB - 1])
    assert eot_positions(tokens).tolist() == [4, 6]

    def hidden(t: torch.Tensor) -> torch.Tensor:
        return text.ln_final(text.transformer(text.token_embedding(t) + text.positional_embedding, causal=True))

    pooled = text(tokens)
    torch.testing.assert_close(pooled, text.proj(hidden(tokens)[torch.arange(2), torch.tensor([4, 6])]))
    states = hidden(tokens)
    torch.testing.assert_close(states[1, :4], states[0, :4])
    assert not torch.allclose(states[1, 4], states[0, 4])


def test_clamp_logit_scale_caps_at_100() -> None:
    model = CLIP(micro_config())
    with torch.no_grad():
        model.logit_scale.fill_(10.0)
    model.clamp_logit_scale()
    assert model.logit_scale.exp().item() == pytest.approx(100.0, rel=1e-5)


def test_no_weight_decay_is_gains_biases_embeddings_and_scale() -> None:
    names = CLIP(micro_config()).no_weight_decay()
    assert {"logit_scale", "visual.class_embedding", "visual.positional_embedding"} <= names
    assert {"text.token_embedding.weight", "text.positional_embedding", "visual.ln_pre.weight"} <= names
    assert "text.transformer.blocks.0.attn.in_proj.bias" in names
    decayed = {n for n, _ in CLIP(micro_config()).named_parameters()} - names
    assert "visual.patch_embed.weight" in decayed and "text.proj.weight" in decayed
    assert "text.transformer.blocks.1.mlp.0.weight" in decayed
    resnet_names = CLIP(micro_config("resnet")).no_weight_decay()
    assert "visual.attnpool.positional_embedding" in resnet_names
    assert not any(n.endswith("conv1.weight") for n in resnet_names)


def test_grad_checkpointing_gives_the_same_gradients() -> None:
    images, tokens = synthetic_batch(4)
    grads = []
    for checkpointing in (False, True):
        torch.manual_seed(0)
        model = CLIP(micro_config())
        model.set_grad_checkpointing(checkpointing)
        image_features, text_features, scale = model(images, tokens)
        (scale * image_features @ text_features.T).logsumexp(-1).mean().backward()
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
    torch.testing.assert_close(grads[0], grads[1])


@pytest.mark.parametrize(
    ("name", "params"),
    [("ViT-B-32", 151_277_313), ("RN50", 102_007_137), ("ViT-B-16", 149_620_737), ("ViT-L-14", 427_616_513)],
)
def test_named_configs_match_published_parameter_counts(name: str, params: int) -> None:
    with torch.device("meta"):
        model = CLIP(get_model_config(name))
    assert sum(p.numel() for p in model.parameters()) == params


def test_tiny_config_is_cpu_sized() -> None:
    config = get_model_config("tiny")
    assert config.vision.image_size == 64 and config.vision.layers == 4
    with torch.device("meta"):
        model = CLIP(config)
    towers = sum(p.numel() for n, p in model.named_parameters() if "token_embedding" not in n)
    assert towers < 2_000_000
    assert math.isclose(get_model_config("ViT-B-32").init_temperature, 0.07)
