"""``wit clip-filter SHARDS --clip-model RUN --out DIR``: keep the shard pairs a CLIP model finds matching.

The input is a shard directory (what ``wit download`` writes), not a manifest: every pair is scored
(``clip_score`` = cosine of image and caption features) and the kept ones are written as a shard
directory of the same layout. ``wit filter SHARDS --clip-model RUN`` runs the same, with a note.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wit_pipeline.cli.clip_filter_args import add_clip_flags
from wit_pipeline.cli.common import add_common, out_path
from wit_pipeline.cli.stage_command import StageRun, stage_command
from wit_pipeline.config import BuildConfig
from wit_pipeline.errors import WitError
from wit_pipeline.layout.shard_dir import is_shard_dir

RENAMED_NOTE = "wit filter: note: --clip-model is `wit clip-filter` now (same flags); this spelling still works"


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``wit clip-filter`` and its flags (each overrides a ``[filters] clip_*`` config key)."""
    p = sub.add_parser(
        "clip-filter",
        help="keep the shard pairs whose image and caption agree under a CLIP model",
        description="Score every pair of a shard directory with a training run or pretrained CLIP weights "
        "(clip_score = cosine of image and caption features) and keep those at or above --clip-threshold, or "
        "the best --clip-top-fraction. The kept pairs are written as a shard directory of the same layout, "
        "every pair's score in the shard parquet; rerun the same command to resume.",
    )
    p.add_argument("input", metavar="IN_DIR", help="shard directory to filter (NNNNN.tar + sizes.json)")
    p.add_argument("--out", required=True, type=out_path, help="output shard directory")
    add_clip_flags(p)
    add_common(p)
    p.set_defaults(run=run)


def prepare(args: argparse.Namespace, config: BuildConfig) -> StageRun:
    """Score and filter the shard directory ``args.input`` into ``args.out``."""
    from wit_pipeline.embed.task import local_workers, task_threads
    from wit_pipeline.model.weights import resolve_weights
    from wit_pipeline.shards.clip_filter import clip_filter_shards, clip_settings, score_summary

    flag = "--clip-model" if args.command == "filter" else "wit clip-filter"
    if not config.filters.clip_model:
        raise WitError("no CLIP model: give --clip-model RUN (or [filters] clip_model in --config)")
    rt = config.runtime
    source = Path(args.input).expanduser()
    if not is_shard_dir(source):
        raise WitError(
            f"{source}: {flag} filters a shard directory (NNNNN.tar + sizes.json, what wit download writes); "
            "run wit download first"
        )
    workers = local_workers(config.filters.clip_device, rt.workers, rt.scheduler)
    settings, rule = clip_settings(config.filters, task_threads(None, workers, rt.scheduler))
    resolve_weights(settings.run)
    if args.command == "filter":
        print(RENAMED_NOTE, file=sys.stderr)

    def summary(stats: dict) -> str:
        kept = score_summary(args.out)
        lowest = f", clip_score >= {kept['min']:.4f}" if kept["min"] is not None else ""
        kept_line = f"{stats['samples']} samples kept{lowest} in {stats['shards']} shard(s) -> {args.out}"
        return f"wit {args.command}: {kept_line}"

    return StageRun(
        work=lambda client: clip_filter_shards(
            source, args.out, settings, rule, client=client, progress=not args.quiet
        ),
        summary=summary,
        workers=workers,
    )


run = stage_command(prepare)
