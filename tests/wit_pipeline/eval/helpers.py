"""Evaluation test data: shape images in class folders, caption shards, a small model, the real CLI."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import torch
from PIL import Image, ImageDraw

from tests.wit_pipeline.train.helpers import COLOURS, SHAPES

ENV = {**os.environ, "OMP_NUM_THREADS": "1"}
# A CLIP small enough to learn colours and shapes in ~100 CPU steps (the named "tiny" needs minutes here).
MICRO_MODEL = {
    "embed_dim": 64,
    "vision": {"image_size": 32, "patch_size": 8, "width": 64, "layers": 2, "heads": 2},
    "text": {"width": 64, "layers": 2, "heads": 2},
}
SHAPE_CLASSES = [f"{colour}_{shape}" for colour in COLOURS for shape in SHAPES]


def shape_image(colour: str, shape: str, variant: int, size: int = 40) -> Image.Image:
    """A solid ``colour`` square or circle on a light background, as the training shards draw them."""
    image = Image.new("RGB", (size, size), (245, 245, 245))
    draw = ImageDraw.Draw(image)
    box = (5 + variant % 5, 7, size - 6, size - 7 - variant % 3)
    (draw.rectangle if shape == "square" else draw.ellipse)(box, fill=COLOURS[colour])
    return image


def write_image_folder(root: Path, per_class: int = 5, classes: list[str] = SHAPE_CLASSES) -> Path:
    """``root/<colour>_<shape>/NN.png`` for every class (folder names use ``_``, read as a space)."""
    for name in classes:
        colour, shape = name.split("_")
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            shape_image(colour, shape, i).save(folder / f"{i:02d}.png")
    return root


def jpeg_bytes(image: Image.Image) -> bytes:
    """The image encoded as JPEG."""
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def write_caption_shards(root: Path, samples: list[dict[str, bytes | str]], per_shard: int = 4) -> Path:
    """Shards of ``samples`` (webdataset fields such as ``jpg``, ``txt``) plus ``sizes.json``; keys are digits."""
    import webdataset as wds

    root.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for shard, start in enumerate(range(0, len(samples), per_shard)):
        name = f"{shard:05d}.tar"
        chunk = samples[start : start + per_shard]
        with wds.TarWriter(str(root / name)) as sink:
            for index, fields in enumerate(chunk):
                sink.write({"__key__": f"{shard:05d}{index:04d}", **fields})
        sizes[name] = len(chunk)
    (root / "sizes.json").write_text(json.dumps(sizes))
    return root


def write_micro_model(path: Path) -> Path:
    """The ``MICRO_MODEL`` config as a JSON file for ``--model``."""
    path.write_text(json.dumps(MICRO_MODEL))
    return path


class TableModel(torch.nn.Module):
    """A stand-in CLIP whose text features come from a table, for hand-checked zero-shot arithmetic.

    ``tokenize`` turns each text into a one-token row holding its index in the table.
    """

    def __init__(self, text_features: dict[str, list[float]]) -> None:
        super().__init__()
        self.texts = list(text_features)
        self.table = torch.tensor([text_features[t] for t in self.texts])
        self.config = SimpleNamespace(embed_dim=self.table.shape[1])
        self.anchor = torch.nn.Parameter(torch.zeros(1))  # gives the model a device

    def tokenize(self, texts: list[str]) -> torch.Tensor:
        return torch.tensor([[self.texts.index(t)] for t in texts])

    def encode_text(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.table[tokens[:, 0]]


def wit(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    """Run the real ``wit`` entry point."""
    return subprocess.run(
        [sys.executable, "-m", "wit_pipeline.cli.main", *args], capture_output=True, text=True, env=ENV, timeout=timeout
    )


def assert_one_line_error(result: subprocess.CompletedProcess, fragment: str) -> None:
    """Exit status 2 and exactly one stderr line, ``wit: error: ...`` containing ``fragment``."""
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("wit: error:") and fragment in lines[0], result.stderr


COLOURS_RGB = {
    "red": (255, 0, 0),
    "green": (0, 255, 0),
    "blue": (0, 0, 255),
    "yellow": (255, 255, 0),
    "cyan": (0, 255, 255),
    "magenta": (255, 0, 255),
}


def colour_bytes(colour: str, fmt: str = "png") -> bytes:
    """A solid ``colour`` image, losslessly encoded as ``fmt`` (png or webp)."""
    buf = io.BytesIO()
    options = {"lossless": True} if fmt == "webp" else {}
    Image.new("RGB", (20, 20), COLOURS_RGB[colour]).save(buf, fmt.upper(), **options)
    return buf.getvalue()


class ColourModel(torch.nn.Module):
    """A stand-in CLIP whose image feature is the mean (normalised) colour, so every prediction is known.

    Texts map through ``texts`` to a colour (or a mix of colours): a text's feature is the image feature of
    that colour, so "a photo of a red." scores 1.0 against a red image and less against any other.
    """

    def __init__(self, texts: dict[str, dict[str, float]]) -> None:
        super().__init__()
        from wit_pipeline.eval.features import eval_transform

        self.config = SimpleNamespace(embed_dim=3, vision=SimpleNamespace(image_size=16))
        self.anchor = torch.nn.Parameter(torch.zeros(1))
        transform = eval_transform(16)
        from loaders.transforms import normalize_on_device

        base = {c: self.encode_image(normalize_on_device(transform(colour_bytes(c))[None]))[0] for c in COLOURS_RGB}
        self.texts = list(texts)
        rows = [sum(w * base[c] for c, w in texts[t].items()) for t in self.texts]
        self.table = torch.nn.functional.normalize(torch.stack(rows), dim=-1)

    def encode_image(self, pixels: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.normalize(pixels.float().mean(dim=(2, 3)), dim=-1)

    def tokenize(self, texts: list[str]) -> torch.Tensor:
        return torch.tensor([[self.texts.index(t)] for t in texts])

    def encode_text(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.table[tokens[:, 0]]


def write_benchmark_set(
    root: Path,
    samples: list[dict],
    classnames: list[str] | None = None,
    templates: list[str] | None = None,
    kind: str | None = None,
    per_shard: int = 4,
    split: str = "test",
) -> Path:
    """A CLIP_benchmark webdataset set as its ``webdataset_builder.convert_dataset`` writes one.

    ``samples`` are webdataset fields (``webp``/``png``/``jpg`` image, ``cls`` int, or ``txt`` captions);
    keys are ``s%07d``, shards ``SPLIT/%d.tar`` written by ``webdataset.ShardWriter``, ``SPLIT/nshards.txt``.
    """
    import webdataset as wds

    (root / split).mkdir(parents=True, exist_ok=True)
    if classnames is not None:
        (root / "classnames.txt").write_text("\n".join(classnames) + "\n", encoding="utf-8")
    if templates is not None:
        (root / "zeroshot_classification_templates.txt").write_text("\n".join(templates) + "\n", encoding="utf-8")
    if kind is not None:
        (root / "dataset_type.txt").write_text(kind + "\n", encoding="utf-8")
    sink = wds.ShardWriter(str(root / split / "%d.tar"), maxcount=per_shard, verbose=0)
    for index, fields in enumerate(samples):
        sink.write({"__key__": f"s{index:07d}", **fields})
    count = sink.shard
    sink.close()
    (root / split / "nshards.txt").write_text(f"{count}\n", encoding="utf-8")
    return root
