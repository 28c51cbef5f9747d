"""``wit build CONFIG --out DIR``: sources → filters → download → image stage from one config."""

from __future__ import annotations

import argparse

from wit_pipeline.cli.common import add_common, out_path
from wit_pipeline.cli.stage_command import StageRun, stage_command
from wit_pipeline.config import BuildConfig


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


def prepare(args: argparse.Namespace, config: BuildConfig) -> StageRun:
    """Run every step of the build; print the final shards' funnel and each step's time."""
    from wit_pipeline.build_job.runner import build
    from wit_pipeline.layout.build_dir import final_shards, read_build

    def summary(stats: dict) -> str:
        table = summary_table(read_build(args.out)["steps"])
        return (
            f"{table}\nwit build: {stats['samples']} samples in {stats['shards']} shard(s) -> {final_shards(args.out)}"
        )

    return StageRun(
        work=lambda client: build(config, args.out, client, progress=not args.quiet),
        summary=summary,
        write_config=False,  # build writes it itself, before its first step
        funnel_dir=lambda: final_shards(args.out),
    )


run = stage_command(prepare, config_arg="build_config")


def summary_table(steps: list[dict]) -> str:
    """Wall time and throughput of each step this run (resumed steps that were done show ~0 s)."""
    lines = [f"{'step':<14}{'seconds':>10}{'rows out':>12}{'rows/s':>10}"]
    for s in steps:
        rows = s["rows_out"] if isinstance(s["rows_out"], int) else None
        rate = f"{rows / s['seconds']:,.0f}" if rows and s["seconds"] > 0.05 else "-"
        lines.append(f"{s['step']:<14}{s['seconds']:>10.1f}{rows if rows is not None else '-':>12}{rate:>10}")
    return "\n".join(lines)
