"""Decide which samples the image stage removes, and why, deterministically.

Rules, in order: an image that does not decode (``undecodable_image``), a copy of an evaluation
image (``eval_duplicate: <eval file>``, when ``decontaminate`` names eval sets), min side
(``too_small``), aspect ratio (``aspect_ratio``), exact duplicate of an earlier key
(``exact_duplicate``, same content hash), near duplicate of an earlier kept key
(``near_duplicate``, pHash Hamming distance <= threshold). "Earlier" is key order, so the
survivor never depends on scheduling. Exact duplicates are found with a dask groupby; near
duplicates with a multi-index over pHash bands (pigeonhole: two 64-bit hashes within
distance d share at least one of d + 1 bands exactly).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import dask.dataframe as dd
import numpy as np
import pandas as pd

from wit_pipeline.config import ShardsConfig, check_bounds
from wit_pipeline.layout.shard_dir import error_message
from wit_pipeline.shards.decontaminate import REASON as EVAL_DUPLICATE
from wit_pipeline.shards.decontaminate import EvalIndex


@dataclass(frozen=True)
class ImageRules:
    """Which image-level filters run; 0 turns a numeric rule off. The ``[shards]`` settings of the same names."""

    exact_dedup: bool = ShardsConfig.exact_dedup
    phash_dedup: bool = ShardsConfig.phash_dedup
    phash_distance: int = ShardsConfig.phash_distance
    min_side: int = ShardsConfig.min_side
    max_aspect_ratio: float = ShardsConfig.max_aspect_ratio
    decontaminate: tuple[str, ...] = ()  # evaluation sets whose images no training sample may copy

    def __post_init__(self) -> None:
        check_bounds(ShardsConfig, {f.name: getattr(self, f.name) for f in fields(self)}, "shards.", "image rules")


def plan_removals(hashes: dd.DataFrame, rules: ImageRules, evals: EvalIndex | None = None) -> dict[str, str]:
    """``{key: error message}`` (``reason`` or ``reason: detail``) for every sample to remove.

    ``hashes`` has HASH_COLUMNS; ``evals`` is the evaluation index when decontaminating.
    """
    removals: dict[str, str] = {}
    if rules.exact_dedup:
        first = hashes.dropna(subset=["sha256"]).groupby("sha256")["key"].min().compute()
        keep_first = set(first.tolist())
        exact = hashes.dropna(subset=["sha256"])[["key"]].compute()
        for key in exact["key"]:
            if key not in keep_first:
                removals[key] = "exact_duplicate"
    local = hashes.compute().sort_values("key", kind="stable")
    shas = local["sha256"].astype(object).where(local["sha256"].notna(), None)
    columns = zip(local["key"], local["phash"], shas, local["original_width"], local["original_height"])
    for key, phash, sha, w, h in columns:
        if pd.isna(phash):
            removals.setdefault(key, "undecodable_image")
        elif evals is not None and (copied := evals.match(sha, int(phash, 16))) is not None:
            removals[key] = error_message(EVAL_DUPLICATE, copied)
        elif rules.min_side and not pd.isna(w) and min(w, h) < rules.min_side:
            removals[key] = "too_small"
        elif rules.max_aspect_ratio and not pd.isna(w) and max(w, h) / max(1, min(w, h)) > rules.max_aspect_ratio:
            removals[key] = "aspect_ratio"
    if rules.phash_dedup:
        candidates = local[~local["key"].isin(removals.keys())]
        phashes = [int(p, 16) for p in candidates["phash"]]
        removals.update(near_duplicates(candidates["key"].tolist(), phashes, rules.phash_distance))
    return removals


def near_duplicates(keys: list[str], phashes: list[int], distance: int) -> dict[str, str]:
    """Greedy in key order: drop a sample within ``distance`` bits of an already kept one."""
    bands = distance + 1
    widths = [64 // bands + (1 if i < 64 % bands else 0) for i in range(bands)]
    shifts = np.cumsum([0, *widths[:-1]]).tolist()
    index: list[dict[int, list[int]]] = [{} for _ in range(bands)]
    kept: list[int] = []
    removed: dict[str, str] = {}
    for key, value in sorted(zip(keys, phashes)):
        parts = [(value >> s) & ((1 << w) - 1) for s, w in zip(shifts, widths)]
        seen: set[int] = set()
        duplicate = False
        for band, part in enumerate(parts):
            for other in index[band].get(part, ()):
                if other not in seen:
                    seen.add(other)
                    if (kept[other] ^ value).bit_count() <= distance:
                        duplicate = True
                        break
            if duplicate:
                break
        if duplicate:
            removed[key] = "near_duplicate"
            continue
        kept.append(value)
        for band, part in enumerate(parts):
            index[band].setdefault(part, []).append(len(kept) - 1)
    return removed
