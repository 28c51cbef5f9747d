"""A small CLIP trained once per test session on shape shards, and shards with planted caption problems.

The run is trained in-process (60 CPU steps of the eval tests' micro model on 128 captioned shapes, ~15 s)
into the session's base temp directory, so the embed, search and CLIP-filter tests share one training.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from tests.wit_pipeline.eval.helpers import jpeg_bytes, shape_image, write_caption_shards, write_micro_model
from tests.wit_pipeline.train.helpers import COLOURS, SHAPES, write_shards

TRAIN_STEPS = 60
CLASSES = [(colour, shape) for colour in COLOURS for shape in SHAPES]


def shared_clip_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's trained run directory (trained on first use, then reused)."""
    from wit_pipeline.config import BuildConfig
    from wit_pipeline.train.launch import run_training

    root = tmp_path_factory.getbasetemp() / "shared-clip-run"
    run = root / "run"
    if (run / "model.safetensors").exists():
        return run
    shards = write_shards(root / "shards", [64, 64])
    config = BuildConfig()
    train = config.train
    train.data, train.model = str(shards), str(write_micro_model(root / "micro.json"))
    train.samples, train.batch_size, train.lr, train.warmup = TRAIN_STEPS * 32, 32, 3e-3, 5
    train.loader_workers, train.device, train.vocab_size, train.context_length = 0, "cpu", 1000, 16
    train.log_every, train.checkpoint_every = TRAIN_STEPS, 1000
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        run_training(config, run, progress=False)
    finally:
        torch.set_num_threads(threads)
    return run


def captioned(colour: str, shape: str, variant: int, caption: str | None = None, uid: str | None = None) -> dict:
    """One webdataset sample of a shape image; the caption names it unless another is given."""
    sample = {"jpg": jpeg_bytes(shape_image(colour, shape, variant)), "txt": caption or f"a {colour} {shape}"}
    if uid is not None:
        sample["json"] = json.dumps({"uid": uid}).encode()
    return sample


def write_swapped_shards(root: Path, per_class: int = 8, swap_every: int = 4) -> tuple[Path, set[str]]:
    """Shape shards where every ``swap_every``-th caption names another class; returns the swapped keys.

    Keys are those ``write_caption_shards`` assigns (shard number + index, 8 samples per shard).
    """
    samples, swapped = [], set()
    for i in range(per_class * len(CLASSES)):
        colour, shape = CLASSES[i % len(CLASSES)]
        if i % swap_every == swap_every - 1:
            other_colour, other_shape = CLASSES[(i + 3) % len(CLASSES)]
            samples.append(captioned(colour, shape, i, f"a {other_colour} {other_shape}", uid=f"u{i}"))
            swapped.add(f"{i // 8:05d}{i % 8:04d}")
        else:
            samples.append(captioned(colour, shape, i, uid=f"u{i}"))
    return write_caption_shards(root, samples, per_shard=8), swapped


def write_download_shards(root: Path, samples: list[dict], per_shard: int = 8) -> Path:
    """Shards laid out as ``wit download`` writes them: tars plus ``NNNNN.parquet`` and ``NNNNN_stats.json``.

    Each parquet also holds one failed attempt (status ``failed_to_download``) after the samples.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    write_caption_shards(root, samples, per_shard=per_shard)
    for shard, start in enumerate(range(0, len(samples), per_shard)):
        chunk = samples[start : start + per_shard]
        keys = [f"{shard:05d}{i:04d}" for i in range(len(chunk))] + [f"{shard:05d}{len(chunk):04d}"]
        captions = [s.get("txt") for s in chunk] + ["a lost image"]
        table = pa.table(
            {
                "key": keys,
                "caption": captions,
                "status": ["success"] * len(chunk) + ["failed_to_download"],
                "error_message": [None] * len(chunk) + ["http_404"],
            }
        )
        pq.write_table(table, root / f"{shard:05d}.parquet")
        stats = {"count": len(keys), "successes": len(chunk), "failed_to_download": 1}
        (root / f"{shard:05d}_stats.json").write_text(json.dumps(stats))
    return root
