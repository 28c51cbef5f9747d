"""Evaluation decontamination: which training samples are exact or perceptual copies of an eval image.

Any zero-shot number on a set whose images were also trained on is inflated; DataComp removes
training samples that near-duplicate its evaluation images. Here every image of the evaluation sets
(``eval_sources``: image folders, shard directories, any registered layout) is fingerprinted on
dask, one task per file or tar: the SHA-256 of its bytes, the pHash of the image and the pHash of its
centre square (training shards hold centre crops by default). A training sample matches when the
SHA-256 of its downloaded bytes equals an eval file's, or its pHash is within ``distance`` bits of
either eval pHash; it is removed as ``eval_duplicate`` with the matched eval file as the detail
(``<eval dir>/<name>``), and the smallest such name when several match, so the result is deterministic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from wit_pipeline.shards.eval_sources import layout_of
from wit_pipeline.shards.image_hashes import centre_square, decoded, phash

REASON = "eval_duplicate"
EVAL_COLUMNS = {"name": "string", "sha256": "string", "phash": "uint64", "crop_phash": "uint64"}


def fingerprints(directory: str, unit: str) -> pd.DataFrame:
    """SHA-256, pHash and centre-square pHash of every image of one unit of an eval set (undecodable: skipped).

    Pixels and hashes come from ``shards.image_hashes``, as for the training shards, so an eval image
    stored sideways with an EXIF tag, or with alpha, matches its upright, flattened training copy.
    """
    root = Path(directory)
    rows = []
    for name, data in layout_of(root).read(root, unit):
        pixels = decoded(data)
        if pixels is not None:
            digest = hashlib.sha256(data).hexdigest()
            rows.append((f"{root.name}/{name}", digest, phash(pixels), phash(centre_square(pixels))))
    frame = pd.DataFrame(rows, columns=list(EVAL_COLUMNS))
    return frame.astype(EVAL_COLUMNS)


def eval_fingerprints(directories: Sequence[str], client=None) -> pd.DataFrame:
    """Fingerprints of every image of every eval set: one dask task per file or tar, gathered small."""
    import dask

    tasks = []
    for directory in directories:
        root = Path(directory).expanduser().resolve()
        tasks += [dask.delayed(fingerprints)(str(root), unit) for unit in layout_of(root).units(root)]
    if client is None:
        frames = dask.compute(*tasks, scheduler="sync")
    else:
        frames = client.compute(tasks, sync=True)
    empty = pd.DataFrame({c: pd.Series(dtype=t) for c, t in EVAL_COLUMNS.items()})
    return pd.concat([empty, *frames], ignore_index=True).sort_values("name", kind="stable", ignore_index=True)


@dataclass
class EvalIndex:
    """Exact and perceptual lookups over eval fingerprints (pHash bands: pigeonhole over ``distance + 1``)."""

    evals: pd.DataFrame
    distance: int

    def __post_init__(self) -> None:
        self.by_sha = {}
        for name, sha in zip(self.evals["name"], self.evals["sha256"]):
            self.by_sha.setdefault(sha, name)
        hashes = np.concatenate([self.evals["phash"].to_numpy(), self.evals["crop_phash"].to_numpy()]).astype(np.uint64)
        self.hashes = hashes
        self.names = list(self.evals["name"]) * 2
        bands = self.distance + 1
        self.widths = [64 // bands + (1 if i < 64 % bands else 0) for i in range(bands)]
        self.shifts = np.cumsum([0, *self.widths[:-1]]).tolist()
        self.index: list[dict[int, list[int]]] = [{} for _ in range(bands)]
        for i, value in enumerate(hashes.tolist()):
            for band, part in enumerate(self._parts(value)):
                self.index[band].setdefault(part, []).append(i)

    def _parts(self, value: int) -> list[int]:
        return [(value >> s) & ((1 << w) - 1) for s, w in zip(self.shifts, self.widths)]

    def match(self, sha256: str | None, phash: int | None) -> str | None:
        """The eval image a training sample copies (smallest name), or None."""
        found = set()
        if sha256 is not None and sha256 in self.by_sha:
            found.add(self.by_sha[sha256])
        if phash is not None:
            for band, part in enumerate(self._parts(phash)):
                for i in self.index[band].get(part, ()):
                    if (int(self.hashes[i]) ^ phash).bit_count() <= self.distance:
                        found.add(self.names[i])
        return min(found) if found else None
