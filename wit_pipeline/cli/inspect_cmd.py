"""``wit inspect PATH``: what a manifest directory holds."""

from __future__ import annotations

import argparse
import json

from wit_pipeline.errors import WitError
from wit_pipeline.inspect import (
    summarize_manifest,
    summarize_rejects,
    summarize_run,
    summarize_shards,
)
from wit_pipeline.layout.shard_dir import is_shard_dir
from wit_pipeline.model.run_dir import is_run_dir


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "inspect",
        help="summarise a manifest, shard directory or training run",
        description="Row counts, schema, sample rows, rejects and the funnel of a manifest directory; "
        "samples, statuses and failure reasons of a shard directory; model, progress and eval of a run.",
    )
    p.add_argument("path", help="manifest directory (or one part file), or shard directory")
    p.add_argument("--rows", type=int, default=5, help="sample rows to show (default 5)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument(
        "--rejects",
        action="store_true",
        help="show a manifest's rejected rows (OUT/_rejects): counts per stage/reason and --rows sample rows",
    )
    p.add_argument("--stage", metavar="NAME", help="with --rejects: only the rows this stage rejected")
    p.add_argument(
        "--verify",
        action="store_true",
        help="check a build (or demo) directory: every input row in exactly one place (a shard sample, or a "
        "reject/failed row with stage and reason), shards, sizes.json and funnel consistent; exit 1 on any discrepancy",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.verify:
        from wit_pipeline.verify import verify_build

        report = verify_build(args.path)
        print(json.dumps(report.to_dict(), indent=2, default=str) if args.json else report.text())
        return 0 if report.ok else 1
    if args.stage and not args.rejects:
        raise WitError("--stage needs --rejects")
    if args.rejects:
        summary = summarize_rejects(args.path, sample_rows=args.rows, stage=args.stage)
        print(json.dumps(summary, indent=2, default=str) if args.json else rejects_text(summary))
        return 0
    if is_run_dir(args.path):
        summary = summarize_run(args.path)
        text = run_text
    elif is_shard_dir(args.path):
        summary = summarize_shards(args.path, sample_rows=args.rows)
        text = shards_text
    else:
        summary = summarize_manifest(args.path, sample_rows=args.rows)
        text = summary_text
    print(json.dumps(summary, indent=2, default=str) if args.json else text(summary))
    return 0


def rejects_text(s: dict) -> str:
    lines = [f"rejects of {s['path']} ({s['rejects_dir']})", f"  rows: {s['rejects']} in {s['parts']} part(s)"]
    if s["by_reason"]:
        lines.append("  by stage/reason: " + ", ".join(f"{k}={v}" for k, v in s["by_reason"].items()))
    if s["sample"]:
        lines.append("  sample:")
        for row in s["sample"]:
            where = f"{row.get('stage')}/{row.get('reason')}"
            lines.append(f"    {where}  {row.get('url')}  |  {str(row.get('caption'))[:80]}")
    return "\n".join(lines)


def shards_text(s: dict) -> str:
    lines = [f"shards {s['path']}", f"  samples: {s['samples']} in {s['shards']} shard(s)"]
    lines.append("  attempted rows by status: " + ", ".join(f"{k}={v}" for k, v in s["status"].items()))
    if s["reasons"]:
        lines.append("  reasons: " + ", ".join(f"{k}={v}" for k, v in s["reasons"].items()))
    lines += _funnel_lines(s["funnel"])
    lines += [f"    {row['key']}  |  {row['caption'][:80]}" for row in s["sample"]]
    return "\n".join(lines)


def run_text(s: dict) -> str:
    vision, text_tower = s["model"]["vision"], s["model"]["text"]
    lines = [
        f"run {s['path']} ({'finished' if s['finished'] else 'unfinished'})",
        f"  model: {vision['kind']} {vision['image_size']}px width {vision.get('width')} x {vision.get('layers')} "
        f"layers; text width {text_tower['width']} x {text_tower['layers']}, context {text_tower['context_length']}",
    ]
    if s["summary"]:
        sm = s["summary"]
        lines.append(f"  trained: {sm['steps']} steps, {sm['samples']:,} samples in {sm['seconds']:.0f} s")
    if s["last_metrics"]:
        m = s["last_metrics"]
        lines.append("  last metrics: " + ", ".join(f"{k}={v:.4g}" for k, v in m.items() if isinstance(v, float)))
    lines.append(f"  checkpoints: {', '.join(s['checkpoints']) or 'none'}")
    if s["eval"]:
        for task, report in s["eval"]["results"].items():
            values = ", ".join(f"{k}={v:.3f}" for k, v in report.items() if isinstance(v, float))
            lines.append(f"  eval {task}: {values}")
    return "\n".join(lines)


def _funnel_lines(funnel: list[dict]) -> list[str]:
    if not funnel:
        return []
    lines = ["  funnel:"]
    for st in funnel:
        reasons = ", ".join(f"{k}={v}" for k, v in st["rejected"].items())
        lines.append(
            f"    {st['stage']}: in {st['rows_in']}, kept {st['kept']}, rejected {st['rejected_total']} {reasons}"
        )
    return lines


def summary_text(s: dict) -> str:
    lines = [f"manifest {s['path']}", f"  rows: {s['rows']} in {s['parts']} part(s); rejects: {s['rejects']}"]
    if s["old_layout"]:
        lines.append(
            "  layout: written by an older wit (stats.json, rejects/): wit reads it, but pandas, pyarrow, dask and "
            "img2dataset need the current one; rerun the step into a new directory"
        )
    lines.append("  schema:")
    lines += [f"    {name}: {typ}" for name, typ in s["schema"].items()]
    lines += _funnel_lines(s["funnel"])
    if s["rejects_by_reason"]:
        lines.append("  rejects by stage/reason: " + ", ".join(f"{k}={v}" for k, v in s["rejects_by_reason"].items()))
    if s["sample"]:
        lines.append("  sample:")
        for row in s["sample"]:
            lines.append(f"    {row.get('url')}  |  {str(row.get('caption'))[:80]}")
    return "\n".join(lines)
