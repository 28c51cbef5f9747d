"""Model configs: named sizes, TOML/JSON files, strict one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wit_pipeline.errors import WitError
from wit_pipeline.model import ModelConfig, get_model_config, model_names


def test_named_configs_round_trip_through_dicts() -> None:
    assert {"tiny", "ViT-B-32", "RN50"} <= set(model_names())
    for name in model_names():
        config = get_model_config(name)
        assert ModelConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert get_model_config("RN50").vision.kind == "resnet"
    b32 = get_model_config("ViT-B-32")
    assert (b32.vision.image_size, b32.vision.patch_size, b32.vision.width, b32.vision.layers) == (224, 32, 768, 12)
    assert (b32.text.width, b32.text.layers, b32.text.context_length) == (512, 12, 77)


def test_named_config_is_a_copy() -> None:
    get_model_config("tiny").vision.width = 1
    assert get_model_config("tiny").vision.width == 128


def test_custom_sizes_from_toml_and_json(tmp_path: Path) -> None:
    toml = tmp_path / "m.toml"
    toml.write_text("embed_dim = 64\n[vision]\nimage_size = 48\npatch_size = 16\nwidth = 64\nheads = 2\n")
    config = get_model_config(str(toml))
    assert config.embed_dim == 64 and config.vision.image_size == 48 and config.vision.layers == 12
    as_json = tmp_path / "m.json"
    as_json.write_text(json.dumps({"text": {"width": 64, "heads": 4}, "init_temperature": 0.1}))
    config = get_model_config(as_json)
    assert config.text.width == 64 and config.init_temperature == 0.1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[vision]\nwidht = 3\n", "unknown config key 'vision.widht'"),
        ('embed_dim = "big"\n', "'embed_dim' must be int, got str"),
        ("[vision]\nimage_size = 50\n", "not a multiple of patch_size"),
        ('[vision]\nkind = "cnn"\n', "vision.kind must be 'vit' or 'resnet'"),
        ("[text]\nwidth = 30\nheads = 4\n", "text.width 30 is not a multiple of heads 4"),
        ("vision = 3\n", "'vision' must be a table"),
        ("embed_dim = [\n", "cannot read model config"),
    ],
)
def test_bad_config_files_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(WitError, match="bad.toml") as info:
        get_model_config(path)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_unknown_name_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(WitError, match="unknown model 'ViT-Z'.*tiny"):
        get_model_config("ViT-Z")
    with pytest.raises(WitError, match="model config file not found"):
        get_model_config(tmp_path / "missing.json")
