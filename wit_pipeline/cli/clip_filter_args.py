"""The CLIP-score flags of ``wit filter`` and what it runs when ``--clip-model`` is given.

With ``--clip-model RUN`` the input is a shard directory (what ``wit download`` writes), not a manifest:
the pairs are scored by the run and the kept ones written as a shard directory of the same layout.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from wit_pipeline.config import EMBED_BATCH_SIZE, BuildConfig, write_resolved
from wit_pipeline.errors import WitError
from wit_pipeline.layout.shard_dir import is_shard_dir


def add_clip_flags(parser: argparse.ArgumentParser) -> None:
    """``--clip-model``, ``--clip-threshold``, ``--clip-top-fraction``, ``--clip-device``, ``--clip-batch-size``."""
    g = parser.add_argument_group(
        "CLIP-score filter (IN_DIR is then a shard directory)",
        "keep the pairs whose image and caption agree under a CLIP model: clip_score = cosine(image, caption)",
    )
    g.add_argument(
        "--clip-model",
        dest="filters.clip_model",
        metavar="RUN",
        help="training run, or pretrained CLIP weights (OpenAI-layout .pt/.bin/.safetensors, open_clip model "
        "directory), that scores the pairs",
    )
    g.add_argument(
        "--clip-threshold", dest="filters.clip_threshold", type=float, metavar="T", help="keep clip_score >= T"
    )
    g.add_argument(
        "--clip-top-fraction",
        dest="filters.clip_top_fraction",
        type=float,
        metavar="F",
        help="keep the best fraction F (default 0.3, DataComp's, when no threshold is given)",
    )
    g.add_argument("--clip-device", dest="filters.clip_device", metavar="DEVICE", help="auto (default), cpu, cuda")
    g.add_argument(
        "--clip-batch-size", dest="filters.clip_batch_size", type=int, metavar="N", help=f"default {EMBED_BATCH_SIZE}"
    )


def run_clip_filter(args: argparse.Namespace, config: BuildConfig) -> int:
    """Score and filter the shard directory ``args.input`` into ``args.out``; print the funnel."""
    from wit_pipeline.embed.task import local_workers, task_threads
    from wit_pipeline.model.weights import resolve_weights
    from wit_pipeline.runtime import open_client
    from wit_pipeline.runtime.funnel import format_funnel, read_funnel
    from wit_pipeline.shards.clip_filter import clip_filter_shards, clip_settings, score_summary

    rt = config.runtime
    source = Path(args.input).expanduser()
    if not is_shard_dir(source):
        raise WitError(
            f"{source}: --clip-model filters a shard directory (NNNNN.tar + sizes.json, what wit download writes); "
            "run wit download first"
        )
    workers = local_workers(config.filters.clip_device, rt.workers, rt.scheduler)
    settings, rule = clip_settings(config.filters, task_threads(None, workers, rt.scheduler))
    resolve_weights(settings.run)
    with open_client(rt.scheduler, workers, quiet=args.quiet, dashboard=rt.dashboard) as client:
        stats = clip_filter_shards(source, args.out, settings, rule, client=client, progress=not args.quiet)
    write_resolved(config, args.out)
    print(format_funnel(read_funnel(args.out)))
    kept = score_summary(args.out)
    lowest = f", clip_score >= {kept['min']:.4f}" if kept["min"] is not None else ""
    print(f"wit filter: {stats['samples']} samples kept{lowest} in {stats['shards']} shard(s) -> {args.out}")
    return 0
