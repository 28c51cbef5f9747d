"""Reading evaluation data into features: several captions per sample, skipped samples counted by reason."""

from __future__ import annotations

import io
import tarfile
from collections import Counter
from pathlib import Path

import pytest
import torch

from tests.wit_pipeline.eval.helpers import MICRO_MODEL, jpeg_bytes, shape_image, write_caption_shards
from tests.wit_pipeline.train.helpers import CONTEXT
from wit_pipeline.errors import WitError
from wit_pipeline.eval.captioned_shards import iter_captioned_images
from wit_pipeline.eval.datasets import folder_features, shard_features
from wit_pipeline.eval.image_folder import scan_image_folder
from wit_pipeline.model import CLIP, ModelConfig


def micro_clip() -> CLIP:
    config = ModelConfig.from_dict(MICRO_MODEL)
    config.text.context_length, config.text.vocab_size = CONTEXT, 64
    torch.manual_seed(0)
    return CLIP(config).eval()


def count_tokenizer(texts: list[str]) -> torch.Tensor:
    """Token rows [sot, one token per word, eot] with ids from the word lengths (enough for a random model)."""
    rows = torch.zeros(len(texts), CONTEXT, dtype=torch.long)
    for i, text in enumerate(texts):
        words = [min(len(w), 60) for w in text.split()][: CONTEXT - 2]
        rows[i, : len(words) + 2] = torch.tensor([62, *words, 63])
    return rows


def samples() -> list[dict]:
    red, blue = jpeg_bytes(shape_image("red", "circle", 0)), jpeg_bytes(shape_image("blue", "square", 1))
    return [
        {"jpg": red, "txt": "a red circle\n\na round red thing\n"},  # two captions, a blank line
        {"jpg": blue, "txt": "a blue square"},
        {"jpg": red},  # no caption
        {"txt": "no image"},
        {"jpg": b"not a jpeg", "txt": "broken image"},
        {"png": blue, "txt": "  \n "},  # only blank lines
        {"jpg": blue, "txt": b"\xff\xfe bad utf-8"},
        {"png": red, "txt": "another red circle\nred disc\nred dot"},
    ]


def test_several_captions_per_image_and_skips_by_reason(tmp_path: Path) -> None:
    shards = write_caption_shards(tmp_path / "shards", samples(), per_shard=3)
    features = shard_features(micro_clip(), count_tokenizer, shards, batch_size=2, workers=2)
    assert features.images.shape == (3, 64) and features.texts.shape == (6, 64)
    assert features.text_image.tolist() == [0, 0, 1, 2, 2, 2]
    assert features.skipped == {"bad_caption": 1, "decode_error": 1, "missing_caption": 2, "missing_image": 1}
    assert torch.allclose(features.images.norm(dim=1), torch.ones(3))


def test_unsafe_members_are_never_read(tmp_path: Path) -> None:
    root = write_caption_shards(tmp_path / "shards", samples()[:2])
    with tarfile.open(root / "00000.tar", "a") as tar:
        info = tarfile.TarInfo("../00000x.txt")
        data = b"escaped"
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("00009.jpg")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    skipped: Counter = Counter()
    captions = [s.captions for s in iter_captioned_images(root, skipped)]
    assert captions == [["a red circle", "a round red thing"], ["a blue square"]]
    assert skipped == {"unsafe_member": 1, "non_regular_member": 1}


def test_shards_with_nothing_usable_are_an_error(tmp_path: Path) -> None:
    shards = write_caption_shards(tmp_path / "shards", [{"txt": "no image"}, {"jpg": b"junk", "txt": "x"}])
    with pytest.raises(WitError, match=r"no usable image-caption pairs \(decode_error: 1, missing_image: 1\)"):
        shard_features(micro_clip(), count_tokenizer, shards, batch_size=4)


def test_folder_features_in_folder_order_and_a_broken_image_named(tmp_path: Path) -> None:
    for name, colour in (("red_circle", "red"), ("blue_circle", "blue")):
        (tmp_path / name).mkdir()
        for i in range(3):
            shape_image(colour, "circle", i).save(tmp_path / name / f"{i}.png")
    model = micro_clip()
    folder = scan_image_folder(tmp_path)
    features = folder_features(model, folder, batch_size=4, workers=2)
    assert features.shape == (6, 64)
    single = folder_features(model, folder, batch_size=1, workers=0)
    assert torch.allclose(features, single, atol=1e-5)
    (tmp_path / "red_circle" / "9.png").write_bytes(b"not a png")
    with pytest.raises(WitError, match=r"red_circle/9.png: cannot read image"):
        folder_features(model, scan_image_folder(tmp_path), batch_size=4)
