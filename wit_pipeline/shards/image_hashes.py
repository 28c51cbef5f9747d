"""Per-shard image fingerprints for dedup: content hash, perceptual hash, original size."""

from __future__ import annotations

import io
import json
from pathlib import Path

import imagehash
import pandas as pd
from PIL import Image

from wit_pipeline.shards.tar_io import iter_samples

HASH_COLUMNS = {
    "key": "string",
    "shard": "string",
    "sha256": "string",
    "phash": "string",
    "original_width": "Int64",
    "original_height": "Int64",
}
IMAGE_EXTS = ("jpg", "jpeg", "png", "webp")


def shard_hashes(tar_path: str) -> pd.DataFrame:
    """One row per sample of a shard tar (``phash`` as 16 hex digits, null if undecodable)."""
    rows = []
    for sample in iter_samples(tar_path):
        ext = next((e for e in IMAGE_EXTS if e in sample), None)
        meta = json.loads(sample["json"]) if "json" in sample else {}
        phash = None
        if ext is not None:
            try:
                with Image.open(io.BytesIO(sample[ext])) as img:
                    phash = str(imagehash.phash(img))
            except (OSError, ValueError, SyntaxError):
                phash = None
        rows.append(
            {
                "key": sample["__key__"],
                "shard": Path(tar_path).name,
                "sha256": meta.get("sha256"),
                "phash": phash,
                "original_width": meta.get("original_width"),
                "original_height": meta.get("original_height"),
            }
        )
    return pd.DataFrame(rows, columns=list(HASH_COLUMNS)).astype(HASH_COLUMNS)
