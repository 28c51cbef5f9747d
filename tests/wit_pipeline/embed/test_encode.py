"""Embedding one shard: the stored features are the model's own, unusable samples are counted by reason."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from loaders.transforms import ImageTransform, normalize_on_device
from tests.wit_pipeline.embed.helpers import captioned
from tests.wit_pipeline.eval.helpers import write_caption_shards
from wit_pipeline.embed.encode import caption_of, embed_shard
from wit_pipeline.model.weights import load_run


def test_embeddings_match_the_models_direct_output(clip_run: Path, tmp_path: Path) -> None:
    samples = [captioned(c, s, i) for i, (c, s) in enumerate([("red", "square"), ("blue", "circle")] * 4)]
    shards = write_caption_shards(tmp_path / "shards", samples, per_shard=8)
    model, tokenizer, _ = load_run(clip_run)
    result = embed_shard(model, tokenizer, shards / "00000.tar", batch_size=3)
    transform = ImageTransform(model.config.vision.image_size, train=False)
    with torch.no_grad():
        images = model.encode_image(normalize_on_device(torch.stack([transform(s["jpg"]) for s in samples])))
        texts = model.encode_text(tokenizer([s["txt"] for s in samples]))
    assert result.keys == [f"00000{i:04d}" for i in range(8)]
    assert result.captions == [s["txt"] for s in samples]
    np.testing.assert_allclose(result.images, images.numpy(), atol=1e-5)
    np.testing.assert_allclose(result.texts, texts.numpy(), atol=1e-5)
    np.testing.assert_allclose(result.scores, (images * texts).sum(1).numpy(), atol=1e-5)
    assert result.samples == 8 and not result.skipped


def test_unusable_samples_are_skipped_and_counted(clip_run: Path, tmp_path: Path) -> None:
    good = captioned("red", "square", 0)
    samples = [good, {"jpg": b"not a jpeg", "txt": "a red square"}, {"txt": "no image"}]
    samples += [{"jpg": good["jpg"]}, {"jpg": good["jpg"], "txt": "  \n "}, captioned("blue", "circle", 1)]
    shards = write_caption_shards(tmp_path / "shards", samples, per_shard=8)
    model, tokenizer, _ = load_run(clip_run)
    result = embed_shard(model, tokenizer, shards / "00000.tar", batch_size=2)
    assert result.keys == ["000000000", "000000005"]
    assert result.samples == 6
    assert result.skipped == {"undecodable_image": 1, "missing_image": 1, "missing_caption": 2}
    assert result.images.shape == result.texts.shape == (2, model.config.embed_dim)


def test_caption_lines_are_joined_and_bad_text_is_none() -> None:
    assert caption_of(b"a red\n  square ") == "a red square"
    assert caption_of(b"\xff\xfe") is None and caption_of(b" ") is None and caption_of(None) is None
