"""``wit demo [--out DIR]``: run the whole flow on embedded, generated inputs."""

from __future__ import annotations

import argparse

from wit_pipeline.cli.common import add_common, out_path, resolve_config
from wit_pipeline.cli.inspect_cmd import summary_text
from wit_pipeline.demo import run_demo
from wit_pipeline.inspect import summarize_manifest
from wit_pipeline.runtime import open_client
from wit_pipeline.runtime.funnel import format_funnel, read_funnel


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the flow end to end on embedded generated data")
    p.add_argument("--out", type=out_path, default=out_path("demo-out"), help="output directory (default demo-out)")
    add_common(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = resolve_config(args)
    with open_client(config.runtime.scheduler, config.runtime.workers, quiet=args.quiet) as client:
        run_demo(args.out, client, progress=not args.quiet)
    manifest = args.out / "manifest"
    print("funnel:")
    print(format_funnel(read_funnel(manifest)))
    print(summary_text(summarize_manifest(manifest, sample_rows=3)))
    print(f"wit demo: done; outputs in {args.out}")
    return 0
