"""Pretrained weights in: open_clip's own models, saved by the test in OpenAI's layout and as open_clip
directories, give the same features through ``load_run``; checkpoints that would run code are refused."""

from __future__ import annotations

import json
import os
import pickle
import zipfile
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from tests.open_clip_ref import import_open_clip, randomise_batch_norms
from wit_pipeline.errors import WitError
from wit_pipeline.model.pretrained import find_pretrained, read_state_dict
from wit_pipeline.model.weights import load_run, resolve_weights

TEXTS = ["a photo of a cat", "Straße in München bei Nacht! 😀 &amp; more"]
TINY_OPEN_CLIP = {  # an open_clip model config, small enough to build in milliseconds
    "embed_dim": 16,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 64, "patch_size": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 1, "layers": 1},
}


def open_clip_model(name: str, quick_gelu: bool, seed: int = 0) -> torch.nn.Module:
    """open_clip's randomly initialised model, BatchNorm statistics and the logit scale perturbed too."""
    open_clip = import_open_clip()
    torch.manual_seed(seed)
    model = open_clip.create_model(name, pretrained=None, force_quick_gelu=quick_gelu).eval()
    randomise_batch_norms(model)
    with torch.no_grad():
        model.logit_scale.fill_(3.9)
    return model


def assert_same_features(reference: torch.nn.Module, path: Path, context_length: int = 77) -> None:
    open_clip = import_open_clip()
    model, tokenizer, config = load_run(path)
    torch.manual_seed(1)
    images = torch.randn(2, 3, config.vision.image_size, config.vision.image_size)
    with torch.no_grad():
        expected_image = reference.encode_image(images, normalize=True)
        expected_text = reference.encode_text(
            open_clip.get_tokenizer("ViT-B-32", context_length)(TEXTS), normalize=True
        )
        got_image, got_text = model.encode_image(images), model.encode_text(tokenizer(TEXTS))
    assert (got_image - expected_image).abs().max().item() <= 1e-4
    assert (got_text - expected_text).abs().max().item() <= 1e-4
    assert torch.allclose(model.logit_scale, reference.logit_scale)


def write_open_clip_dir(model: torch.nn.Module, name: str, out: Path, weights: str, quick_gelu: bool) -> Path:
    open_clip = import_open_clip()
    out.mkdir()
    model_cfg = {**open_clip.get_model_config(name), "quick_gelu": quick_gelu}
    preprocess = {"mean": list(open_clip.OPENAI_DATASET_MEAN), "std": list(open_clip.OPENAI_DATASET_STD)}
    config = {"model_cfg": model_cfg, "preprocess_cfg": {**preprocess, "interpolation": "bicubic"}}
    (out / "open_clip_config.json").write_text(json.dumps(config))
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    if weights.endswith(".safetensors"):
        save_file(state, out / weights)
    else:
        torch.save(state, out / weights)
    return out


@pytest.mark.parametrize("name", ["ViT-B-32", "RN50"])
def test_openai_layout_and_open_clip_directory_give_open_clips_features(name: str, tmp_path: Path) -> None:
    # A bare checkpoint is OpenAI's architecture (QuickGELU): .pt state dict for the ViT, safetensors for the ResNet.
    reference = open_clip_model(name, quick_gelu=True)
    bare = tmp_path / (f"{name}.pt" if name.startswith("ViT") else f"{name}.safetensors")
    state = reference.state_dict()
    torch.save(state, bare) if bare.suffix == ".pt" else save_file({k: v.contiguous() for k, v in state.items()}, bare)
    assert_same_features(reference, bare)
    assert resolve_weights(bare) == (tmp_path, bare)
    # An open_clip directory decides the activation: GELU here, so only the config can make features equal.
    reference = open_clip_model(name, quick_gelu=False, seed=2)
    weights = "open_clip_model.safetensors" if name.startswith("ViT") else "open_clip_pytorch_model.bin"
    directory = write_open_clip_dir(reference, name, tmp_path / "oc", weights, quick_gelu=False)
    assert_same_features(reference, directory)
    _, _, config = load_run(directory)
    assert not config.quick_gelu and config.text.context_length == 77


def test_architecture_is_read_from_shapes() -> None:
    from wit_pipeline.model.openai_layout import config_from_openai

    open_clip = import_open_clip()
    for name, image, kind, layers in (("ViT-L-14-336", 336, "vit", 24), ("RN50x4", 288, "resnet", [4, 6, 10, 6])):
        cfg = open_clip.get_model_config(name)
        with torch.device("meta"):
            state = open_clip.create_model(name, pretrained=None, device="meta").state_dict()
        config = config_from_openai(state)
        assert (config.vision.kind, config.vision.image_size, config.embed_dim) == (kind, image, cfg["embed_dim"])
        assert (config.vision.layers if kind == "vit" else config.vision.resnet_layers) == layers
        assert config.text.width == cfg["text_cfg"]["width"] and config.quick_gelu


def test_torchscript_archive_is_read_as_data(tmp_path: Path) -> None:
    open_clip = import_open_clip()
    cfg = {
        "embed_dim": 32,
        "quick_gelu": True,
        "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "patch_size": 8},
        "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 1, "layers": 2},
    }
    torch.manual_seed(3)
    reference = open_clip.model.CLIP(**cfg).eval()
    images, tokens = torch.randn(2, 3, 32, 32), open_clip.get_tokenizer("ViT-B-32")(TEXTS)
    traced = torch.jit.trace(reference, (images, tokens), check_trace=False)
    archive = tmp_path / "ViT-tiny.pt"
    traced.save(str(archive))
    state = read_state_dict(archive)
    assert set(state) == set(reference.state_dict()) | {"attn_mask"}  # open_clip's non-persistent causal mask
    assert all(torch.equal(state[k], v) for k, v in reference.state_dict().items())
    assert_same_features(reference, archive)


class WithContainers(torch.nn.Module):
    """A scripted module whose attributes are TorchScript's typed containers (pickled through torch.jit._pickle)."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = torch.nn.Linear(2, 3)
        self.sizes: list[int] = [1, 2]
        self.scales: dict[str, float] = {"a": 1.0}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x) * self.sizes[0]


def test_torchscript_typed_containers_are_data(tmp_path: Path) -> None:
    module = WithContainers()
    torch.jit.script(module).save(str(tmp_path / "scripted.pt"))
    state = read_state_dict(tmp_path / "scripted.pt")
    assert set(state) == {"proj.weight", "proj.bias"} and torch.equal(state["proj.weight"], module.proj.weight)


class Payload:
    def __reduce__(self):  # a pickle that would run a shell command when loaded
        return (os.system, ("touch pwned",))


def test_a_pickle_with_code_is_refused_and_nothing_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "evil.pt"
    torch.save({"visual.proj": torch.zeros(2, 2), "x": Payload()}, bad)
    with pytest.raises(WitError, match=r"evil.pt: refused: not a plain tensor checkpoint"):
        load_run(bad)
    # the same payload inside a TorchScript archive's data.pkl
    with zipfile.ZipFile(tmp_path / "evil_script.pt", "w") as archive:
        archive.writestr("evil_script/data.pkl", pickle.dumps(Payload(), protocol=2))
        archive.writestr("evil_script/constants.pkl", pickle.dumps((), protocol=2))
    with pytest.raises(
        WitError, match=r"refused: a TorchScript archive .*refused global (posix|os)\.system.*clip\.load"
    ):
        load_run(tmp_path / "evil_script.pt")
    assert not (tmp_path / "pwned").exists()


def test_unknown_and_missing_keys_are_one_line_errors(tmp_path: Path) -> None:
    open_clip = import_open_clip()
    state = dict(open_clip.model.CLIP(**TINY_OPEN_CLIP).state_dict())
    path = tmp_path / "m.safetensors"
    save_file({**state, "visual.extra_head.weight": torch.zeros(2)}, path)
    with pytest.raises(WitError, match=r"m.safetensors: unknown key 'visual.extra_head.weight'"):
        load_run(path)
    del state["visual.ln_post.bias"]
    save_file(state, path)
    with pytest.raises(WitError, match=r"m.safetensors: missing key 'visual.ln_post.bias'$"):
        load_run(path)
    save_file({"encoder.weight": torch.zeros(2)}, path)
    with pytest.raises(WitError, match=r"unknown key 'encoder.weight' \(not a CLIP checkpoint"):
        load_run(path)


def test_open_clip_settings_wit_cannot_honour_are_refused(tmp_path: Path) -> None:
    open_clip = import_open_clip()
    cfg = TINY_OPEN_CLIP
    model = open_clip.model.CLIP(**cfg)
    directory = tmp_path / "oc"
    directory.mkdir()
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, directory / "open_clip_model.safetensors")
    for change, message in (
        ({"vision_cfg": {**cfg["vision_cfg"], "final_ln_after_pool": True}}, "vision_cfg.final_ln_after_pool=True"),
        ({"text_cfg": {**cfg["text_cfg"], "hf_tokenizer_name": "bert"}}, "text_cfg.hf_tokenizer_name='bert'"),
        ({"text_cfg": {**cfg["text_cfg"], "layers": 3}}, "text_cfg.layers is 3 but the weights have 1"),
    ):
        (directory / "open_clip_config.json").write_text(json.dumps({"model_cfg": {**cfg, **change}}))
        with pytest.raises(WitError, match=message):
            load_run(directory)
    siglip_mean = {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}
    (directory / "open_clip_config.json").write_text(json.dumps({"model_cfg": cfg, "preprocess_cfg": siglip_mean}))
    with pytest.raises(WitError, match="preprocess_cfg.mean"):
        load_run(directory)
    assert find_pretrained(tmp_path) is None
