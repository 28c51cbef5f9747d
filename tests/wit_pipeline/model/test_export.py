"""``wit export RUN --to open_clip OUT``: open_clip's own loader reads the directory and gives wit's features."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from loaders import Tokenizer
from tests.open_clip_ref import import_open_clip, randomise_batch_norms
from wit_pipeline.atomic_files import write_json
from wit_pipeline.cli.main import main
from wit_pipeline.model import CLIP, get_model_config
from wit_pipeline.model.weights import load_run, save_weights

TEXTS = ["a red square on a wall", "two dogs in the snow!", "café &amp; crème 😀"]


def write_run(path: Path, model_name: str, tokenizer: Tokenizer, quick_gelu: bool) -> CLIP:
    """A wit run directory as training leaves it, with random weights (and perturbed BatchNorm statistics)."""
    config = get_model_config(model_name)
    config.text.vocab_size, config.text.context_length = tokenizer.vocab_size, tokenizer.context_length
    config.quick_gelu = quick_gelu
    torch.manual_seed(0)
    model = CLIP(config).eval()
    randomise_batch_norms(model)
    path.mkdir()
    write_json(path / "model_config.json", config.to_dict())
    tokenizer.save(path / "tokenizer.json")
    save_weights(model, path / "model.safetensors")
    return model


def open_clip_features(out: Path, tokens: torch.Tensor, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    open_clip = import_open_clip()
    model = open_clip.create_model(f"local-dir:{out}").eval()
    with torch.no_grad():
        return model.encode_image(images, normalize=True), model.encode_text(tokens, normalize=True)


def test_a_run_with_clips_tokenizer_exports_to_open_clip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    open_clip = import_open_clip()
    model = write_run(tmp_path / "run", "tiny", Tokenizer.clip(), quick_gelu=False)
    assert main(["export", str(tmp_path / "run"), "--to", "open_clip", str(tmp_path / "oc")]) == 0
    assert "local-dir:" in capsys.readouterr().out
    assert not (tmp_path / "oc" / "bpe_simple_vocab.txt.gz").exists()
    tokens = open_clip.get_tokenizer(f"local-dir:{tmp_path / 'oc'}")(TEXTS)
    images = torch.randn(2, 3, 64, 64)
    image_features, text_features = open_clip_features(tmp_path / "oc", tokens, images)
    with torch.no_grad():
        assert (model.encode_image(images) - image_features).abs().max() <= 1e-4
        assert (model.encode_text(Tokenizer.clip()(TEXTS)) - text_features).abs().max() <= 1e-4
    # wit reads its export back as a pretrained open_clip directory
    again, _, config = load_run(tmp_path / "oc")
    with torch.no_grad():
        assert torch.allclose(again.encode_image(images), model.encode_image(images), atol=1e-6)
    assert config.text.vocab_size == model.config.text.vocab_size
    assert main(["export", str(tmp_path / "run"), "--to", "open_clip", str(tmp_path / "oc")]) == 2
    assert "already exists" in capsys.readouterr().err


def test_a_resnet_run_with_wits_own_bpe_exports_with_its_merges(tmp_path: Path) -> None:
    open_clip = import_open_clip()
    captions = [f"{c} number {i}" for i in range(30) for c in ("a red bicycle", "fresh bread", "an old boat")]
    tokenizer = Tokenizer.train(captions + TEXTS * 3, vocab_size=700)
    model = write_run(tmp_path / "run", "tiny-rn", tokenizer, quick_gelu=True)
    assert main(["export", str(tmp_path / "run"), "--to", "open_clip", str(tmp_path / "oc")]) == 0
    simple = open_clip.tokenizer.SimpleTokenizer(bpe_path=str(tmp_path / "oc" / "bpe_simple_vocab.txt.gz"))
    texts = TEXTS + captions[:5]
    wit_tokens, tokens = tokenizer(texts), simple(texts)
    length = (wit_tokens != 0).sum(-1, keepdim=True)
    inside = torch.arange(77).expand_as(tokens) < length
    assert torch.equal(torch.where(inside, tokens + 1, 0), wit_tokens)
    images = torch.randn(2, 3, 64, 64)
    image_features, text_features = open_clip_features(tmp_path / "oc", tokens, images)
    with torch.no_grad():
        assert (model.encode_image(images) - image_features).abs().max() <= 1e-4
        assert (model.encode_text(wit_tokens) - text_features).abs().max() <= 1e-4
    _, back, _ = load_run(tmp_path / "oc")
    assert back.merges() == tokenizer.merges()
