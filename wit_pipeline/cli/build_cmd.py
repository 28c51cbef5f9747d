"""``wit build CONFIG --out DIR``: sources → filters → download → image stage from one config."""

from __future__ import annotations

import argparse

from wit_pipeline.cli.common import add_common, out_path, resolve_config
from wit_pipeline.runtime import open_client
from wit_pipeline.runtime.funnel import format_funnel, read_funnel


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "build",
        help="run the whole dataset flow from one TOML config (resumable)",
        description="Import/crawl the configured sources, filter (dedup, language, captions, WIT queries and "
        "balancing), download into webdataset shards, dedup images, train the tokenizer. Each step resumes where "
        "it stopped: rerun the same command after an interruption.",
    )
    p.add_argument("build_config", metavar="CONFIG", help="TOML build config")
    p.add_argument("--out", required=True, type=out_path, help="output directory")
    add_common(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from wit_pipeline.build_job.runner import build, read_build

    config = resolve_config(args, args.build_config)
    with open_client(
        config.runtime.scheduler, config.runtime.workers, quiet=args.quiet, dashboard=config.runtime.dashboard
    ) as client:
        stats = build(config, args.out, client, progress=not args.quiet)
    record = read_build(args.out)
    shards = args.out / record.get("shards", "shards")
    print(format_funnel(read_funnel(shards)))
    print(summary_table(record["steps"]))
    print(f"wit build: {stats['samples']} samples in {stats['shards']} shard(s) -> {shards}")
    return 0


def summary_table(steps: list[dict]) -> str:
    """Wall time and throughput of each step this run (resumed steps that were done show ~0 s)."""
    lines = [f"{'step':<14}{'seconds':>10}{'rows out':>12}{'rows/s':>10}"]
    for s in steps:
        rows = s["rows_out"] if isinstance(s["rows_out"], int) else None
        rate = f"{rows / s['seconds']:,.0f}" if rows and s["seconds"] > 0.05 else "-"
        lines.append(f"{s['step']:<14}{s['seconds']:>10.1f}{rows if rows is not None else '-':>12}{rate:>10}")
    return "\n".join(lines)
