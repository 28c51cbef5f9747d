"""``wit inspect PATH``: what a manifest directory holds."""

from __future__ import annotations

import argparse
import json

from wit_pipeline.inspect import summarize_manifest


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "inspect",
        help="summarise a manifest directory",
        description="Row counts, schema, sample rows, rejects and the funnel of a manifest directory.",
    )
    p.add_argument("path", help="manifest directory (or one part file)")
    p.add_argument("--rows", type=int, default=5, help="sample rows to show (default 5)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    summary = summarize_manifest(args.path, sample_rows=args.rows)
    print(json.dumps(summary, indent=2, default=str) if args.json else summary_text(summary))
    return 0


def summary_text(s: dict) -> str:
    lines = [f"manifest {s['path']}", f"  rows: {s['rows']} in {s['parts']} part(s); rejects: {s['rejects']}"]
    lines.append("  schema:")
    lines += [f"    {name}: {typ}" for name, typ in s["schema"].items()]
    if s["funnel"]:
        lines.append("  funnel:")
        for st in s["funnel"]:
            reasons = ", ".join(f"{k}={v}" for k, v in st["rejected"].items())
            lines.append(
                f"    {st['stage']}: in {st['rows_in']}, kept {st['kept']}, rejected {st['rejected_total']} {reasons}"
            )
    if s["rejects_by_reason"]:
        lines.append("  rejects by stage/reason: " + ", ".join(f"{k}={v}" for k, v in s["rejects_by_reason"].items()))
    if s["sample"]:
        lines.append("  sample:")
        for row in s["sample"]:
            lines.append(f"    {row.get('url')}  |  {str(row.get('caption'))[:80]}")
    return "\n".join(lines)
