"""``wit report DIR``: one self-contained HTML page about a demo, build, shard, manifest or run directory."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="write an HTML report: funnel, languages, caption lengths, queries, samples, rejects, curves, eval",
        description="Write one self-contained HTML file (inline SVG charts, images inlined, nothing fetched) about "
        "a wit demo, build, shard, manifest or training run directory: the funnel, caption languages and lengths, "
        "per-query counts before/after balancing, sample thumbnails with captions, example rejects per reason, "
        "training curves and the evaluation table. Sections without data say why.",
    )
    p.add_argument("dir", type=_local_path, help="a wit demo, build, shard, manifest or run directory")
    p.add_argument("--out", type=_local_path, metavar="FILE", help="where to write the page (default DIR/report.html)")
    p.add_argument("--samples", type=_positive, default=48, metavar="N", help="sample thumbnails to show (default 48)")
    p.add_argument(
        "--rejects-per-reason",
        type=_positive,
        default=3,
        metavar="K",
        help="example rows per reject reason (default 3)",
    )
    p.add_argument(
        "--max-rows",
        type=_positive,
        default=200_000,
        metavar="N",
        help="most rows read for the caption and language histograms (default 200000)",
    )
    p.set_defaults(run=run)


def _local_path(value: str) -> Path:
    if "://" in value:
        raise argparse.ArgumentTypeError(f"{value}: wit report reads and writes local paths only")
    return Path(value).expanduser()


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return number


def run(args: argparse.Namespace) -> int:
    from wit_pipeline.report import ReportOptions, make_report

    options = ReportOptions(samples=args.samples, rejects_per_reason=args.rejects_per_reason, max_rows=args.max_rows)
    target, data = make_report(args.dir, args.out, options)
    absent = ", ".join(sorted(data.absent)) or "none"
    print(f"wit report: {data.inputs.kind} directory {data.inputs.root}; sections without data: {absent}")
    print(f"wit report: wrote {target}")
    return 0
