"""Per-shard image fingerprints for dedup: content hash, perceptual hash, original size.

The pHash is taken on the pixels every other part of wit sees (``loaders.image_decode``: EXIF
orientation applied, alpha composited onto white, 16-bit scaled, ICC converted), so a phone photo
stored sideways and its upright copy, or a transparent PNG and its flattened copy, hash alike.
Evaluation decontamination (``shards.decontaminate``) hashes eval images with the same functions,
so a training copy of an eval image matches it whatever its encoding.
"""

from __future__ import annotations

import json
from pathlib import Path

import imagehash
import numpy as np
import pandas as pd
from PIL import Image

from loaders.image_decode import decode_rgb
from loaders.tar_reader import iter_samples

HASH_COLUMNS = {
    "key": "string",
    "shard": "string",
    "sha256": "string",
    "phash": "string",
    "original_width": "Int64",
    "original_height": "Int64",
}
IMAGE_EXTS = ("jpg", "jpeg", "png", "webp")
UNDECODABLE = (OSError, ValueError, SyntaxError)  # what decoding hostile or broken bytes raises


def decoded(data: bytes) -> np.ndarray | None:
    """Upright RGB pixels of encoded image bytes (``loaders.image_decode``), or None if they do not decode."""
    try:
        return decode_rgb(data)
    except UNDECODABLE:
        return None


def phash(pixels: np.ndarray) -> int:
    """The 64-bit perceptual hash (imagehash's DCT pHash) of HWC uint8 RGB pixels."""
    return int(str(imagehash.phash(Image.fromarray(pixels))), 16)


def centre_square(pixels: np.ndarray) -> np.ndarray:
    """The centred square of side ``min(width, height)`` (what a centre-crop shard keeps)."""
    height, width = pixels.shape[:2]
    side = min(width, height)
    top, left = (height - side) // 2, (width - side) // 2
    return pixels[top : top + side, left : left + side]


def shard_hashes(tar_path: str) -> pd.DataFrame:
    """One row per sample of a shard tar (``phash`` as 16 hex digits, null if undecodable)."""
    rows = []
    for sample in iter_samples(tar_path):
        ext = next((e for e in IMAGE_EXTS if e in sample), None)
        meta = json.loads(sample["json"]) if "json" in sample else {}
        pixels = decoded(sample[ext]) if ext is not None else None
        rows.append(
            {
                "key": sample["__key__"],
                "shard": Path(tar_path).name,
                "sha256": meta.get("sha256"),
                "phash": f"{phash(pixels):016x}" if pixels is not None else None,
                "original_width": meta.get("original_width"),
                "original_height": meta.get("original_height"),
            }
        )
    return pd.DataFrame(rows, columns=list(HASH_COLUMNS)).astype(HASH_COLUMNS)
