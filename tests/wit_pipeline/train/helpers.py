"""Test helpers: a tiny model config, synthetic batches and a loader with the real loader's interface."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import torch

from wit_pipeline.config import TrainConfig
from wit_pipeline.model import ModelConfig, TextConfig, VisionConfig

CONTEXT = 16
VOCAB = 64


def micro_config(kind: str = "vit") -> ModelConfig:
    """A model small enough that a CPU step takes milliseconds (32 px, width 32, 2 layers)."""
    if kind == "resnet":
        vision = VisionConfig(kind="resnet", image_size=32, width=8, heads=2, resnet_layers=[1, 1, 1, 1])
    else:
        vision = VisionConfig(image_size=32, patch_size=8, width=32, layers=2, heads=2)
    return ModelConfig(
        embed_dim=32,
        vision=vision,
        text=TextConfig(context_length=CONTEXT, vocab_size=VOCAB, width=32, layers=2, heads=2),
    )


def synthetic_batch(batch: int, image_size: int = 32, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Random images and token rows ``[sot, words..., eot, 0...]`` of varied lengths."""
    g = torch.Generator().manual_seed(seed)
    images = torch.randn(batch, 3, image_size, image_size, generator=g)
    tokens = torch.zeros(batch, CONTEXT, dtype=torch.long)
    for i in range(batch):
        n = int(torch.randint(1, CONTEXT - 2, (1,), generator=g))
        tokens[i, 0] = VOCAB - 2
        tokens[i, 1 : n + 1] = torch.randint(1, VOCAB - 2, (n,), generator=g)
        tokens[i, n + 1] = VOCAB - 1
    return images, tokens


class SyntheticLoader:
    """Deterministic batches per (seed, epoch, index), with the ``loaders.make_loader`` interface.

    ``crash_after`` raises ``KeyboardInterrupt`` when that many batches have been drawn in this
    process, standing in for a kill.
    """

    def __init__(
        self, batch_size: int, num_batches: int, seed: int = 0, rank: int = 0, crash_after: int | None = None
    ) -> None:
        self.batch_size, self.num_batches, self.seed, self.rank = batch_size, num_batches, seed, rank
        self.epoch, self.position, self.drawn, self.crash_after = 0, 0, 0, crash_after

    def __len__(self) -> int:
        return self.num_batches

    def set_epoch(self, epoch: int) -> None:
        self.epoch, self.position = epoch, 0

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "position": self.position}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epoch, self.position = state["epoch"], state["position"]

    def __iter__(self):
        while self.position < self.num_batches:
            if self.crash_after is not None and self.drawn >= self.crash_after:
                raise KeyboardInterrupt("simulated kill")
            seed = (self.seed * 1_000_003 + self.epoch) * 10_007 + self.position * 101 + self.rank
            self.position += 1
            self.drawn += 1
            yield synthetic_batch(self.batch_size, seed=seed)


def train_config(**overrides: Any) -> TrainConfig:
    """A CPU, deterministic TrainConfig for tests (one log line and checkpoint per step unless overridden)."""
    values: dict[str, Any] = {
        "batch_size": 8,
        "lr": 1e-3,
        "warmup": 2,
        "device": "cpu",
        "log_every": 1,
        "checkpoint_every": 1000,
        "loader_workers": 0,
    }
    values.update(overrides)
    return TrainConfig(**values)


def write_tokenizer_stub(path: Path) -> Path:
    """A placeholder tokenizer file for runs that never load it (checkpoints copy it)."""
    path.write_text('{"stub": true}\n', encoding="utf-8")
    return path


def free_port() -> int:
    """An unused TCP port on 127.0.0.1 for a process group's rendezvous."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


COLOURS = {"red": (220, 30, 30), "green": (30, 180, 60), "blue": (40, 60, 220), "yellow": (230, 210, 40)}
SHAPES = ("square", "circle")


def write_shards(root: Path, sizes: list[int], image_size: int = 40) -> Path:
    """Webdataset shards of solid-colour shapes captioned by colour and shape, plus ``sizes.json``."""
    import io
    import json

    import webdataset as wds
    from PIL import Image, ImageDraw

    root.mkdir(parents=True, exist_ok=True)
    names = list(COLOURS)
    for shard, count in enumerate(sizes):
        with wds.TarWriter(str(root / f"{shard:05d}.tar")) as sink:
            for index in range(count):
                colour, shape = names[(shard + index) % len(names)], SHAPES[index % 2]
                image = Image.new("RGB", (image_size, image_size), (245, 245, 245))
                draw = ImageDraw.Draw(image)
                box = (6 + index % 5, 6, image_size - 6, image_size - 6 - index % 3)
                (draw.rectangle if shape == "square" else draw.ellipse)(box, fill=COLOURS[colour])
                buf = io.BytesIO()
                image.save(buf, "JPEG", quality=90)
                key = f"{shard:05d}{index:04d}"
                sink.write({"__key__": key, "jpg": buf.getvalue(), "txt": f"a {colour} {shape}", "json": {"key": key}})
    (root / "sizes.json").write_text(json.dumps({f"{s:05d}.tar": n for s, n in enumerate(sizes)}))
    return root
