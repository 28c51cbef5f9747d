"""wit's state dict <-> OpenAI's key layout: a lossless round trip, and the architecture read back from shapes."""

from __future__ import annotations

import pytest
import torch

from wit_pipeline.model import CLIP, ModelConfig, TextConfig, VisionConfig
from wit_pipeline.model.openai_layout import config_from_openai, openai_to_wit, wit_to_openai

VIT = VisionConfig(kind="vit", image_size=64, patch_size=16, width=128, layers=2, heads=2)
RESNET = VisionConfig(kind="resnet", image_size=64, width=16, heads=8, resnet_layers=[1, 2, 1, 1])


@pytest.mark.parametrize("vision", [VIT, RESNET], ids=["vit", "resnet"])
def test_round_trip_and_shapes(vision: VisionConfig) -> None:
    config = ModelConfig(embed_dim=32, vision=vision, text=TextConfig(vocab_size=600, width=64, layers=2, heads=1))
    config.quick_gelu = True
    state = CLIP(config).state_dict()
    openai = wit_to_openai(state, config)
    assert "text_projection" in openai and openai["token_embedding.weight"].shape[0] == 599
    if vision.kind == "resnet":
        assert "visual.layer2.0.downsample.0.weight" in openai and "visual.attnpool.c_proj.weight" in openai
        assert "visual.conv3.weight" in openai and "visual.bn3.running_var" in openai
    else:
        assert openai["visual.proj"].shape == (128, 32) and "visual.transformer.resblocks.1.mlp.c_fc.weight" in openai
    back = openai_to_wit(openai, config)
    assert set(back) == set(state)
    for name, tensor in state.items():
        expected = tensor.clone()
        if name == "text.token_embedding.weight":
            expected[0] = 0  # the pad row has no place in CLIP's ids
        assert torch.equal(back[name], expected), name
    assert config_from_openai(openai).to_dict() == config.to_dict()
