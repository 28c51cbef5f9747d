"""The image stage: fingerprint every shard (dask), plan removals globally, rewrite shards.

Exact and perceptual duplicates across all shards, copies of evaluation images
(``decontaminate``), min side and aspect-ratio rules; every removal has a reason, counted in the
funnel as stage ``image_filter``.
"""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

import dask
import dask.dataframe as dd
import pandas as pd
from distributed import Client

from wit_pipeline import storage
from wit_pipeline.errors import WitError
from wit_pipeline.layout.job_dir import is_complete
from wit_pipeline.layout.shard_dir import shard_tars, write_shard_index
from wit_pipeline.runtime import run_file_job
from wit_pipeline.runtime.faults import fault_point
from wit_pipeline.runtime.funnel import read_stats
from wit_pipeline.shards.decontaminate import EvalIndex, eval_fingerprints
from wit_pipeline.shards.dedup_plan import ImageRules, plan_removals
from wit_pipeline.shards.image_hashes import HASH_COLUMNS, shard_hashes
from wit_pipeline.shards.rewrite import RewriteShardTask
from wit_pipeline.staging import local_output


def filter_shards(
    shard_dir: str | Path,
    out_dir: str | Path,
    rules: ImageRules | None = None,
    client: Client | None = None,
    progress: bool = True,
) -> dict:
    """Write ``shard_dir``'s shards into ``out_dir`` without duplicate or rejected images."""
    rules = rules or ImageRules()
    src = storage.local_dir(shard_dir, "the image stage")
    tars = shard_tars(src)
    if not tars:
        raise WitError(f"{src}: no shard tars (expected NNNNN.tar files)")
    out = local_output(out_dir, "filter_shards")
    if is_complete(out):
        return read_stats(out)
    meta = pd.DataFrame({c: pd.Series(dtype=t) for c, t in HASH_COLUMNS.items()})
    frames = dd.from_delayed([dask.delayed(shard_hashes)(str(t)) for t in tars], meta=meta).persist()
    evals = None
    if rules.decontaminate:
        evals = EvalIndex(eval_fingerprints(rules.decontaminate, client), rules.phash_distance)
        if progress:
            print(f"wit: decontamination against {len(evals.evals):,} evaluation image(s)", file=sys.stderr)
    removals = plan_removals(frames, rules, evals)
    fault_point("image_filter", "planned")
    by_shard: dict[str, list[tuple[str, str]]] = {t.stem: [] for t in tars}
    for key, reason in sorted(removals.items()):
        by_shard.setdefault(key_shard(key, tars), []).append((key, reason))
    tasks = [RewriteShardTask(t.stem, str(src), t.stem, tuple(by_shard[t.stem])) for t in tars]
    fingerprint = {"shards": str(src.resolve()), "rules": asdict(rules), "removals": len(removals)}
    return run_file_job(
        tasks,
        out,
        job="image_filter",
        fingerprint=fingerprint,
        client=client,
        upstream=src,
        finish=lambda o: write_shard_index(o, {"image_rules": asdict(rules)}),
        progress=progress,
    )


def key_shard(key: str, tars: list[Path]) -> str:
    """The shard a key lives in: img2dataset keys start with the shard number."""
    width = len(tars[0].stem)
    return key[:width]
