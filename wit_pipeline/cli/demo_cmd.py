"""``wit demo [--out DIR]``: mini-web on 127.0.0.1 → crawl → filter → download → train → evaluate."""

from __future__ import annotations

import argparse

from wit_pipeline.cli.common import add_common, out_path, resolve_config
from wit_pipeline.runtime import open_client
from wit_pipeline.runtime.funnel import format_funnel
from wit_pipeline.runtime.results import StageCounters


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run the whole flow on an embedded mini-web: raw pages to a trained, evaluated model",
        description="Generate a mini-web of linked pages with shape images and web-style alt text (planted "
        "problems included), serve it on 127.0.0.1, crawl it, filter, download, dedup images, train a small CLIP "
        "on the CPU and evaluate it zero-shot on held-out images. Rerun to resume.",
    )
    p.add_argument("--out", type=out_path, default=out_path("demo-out"), help="output directory (default demo-out)")
    p.add_argument("--pages", type=int, default=300, help="pages in the mini-web (default 300)")
    p.add_argument("--epochs", type=int, default=12, help="training epochs (default 12)")
    add_common(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from wit_pipeline.demo import DemoSettings, run_demo

    config = resolve_config(args)
    settings = DemoSettings(pages=args.pages, epochs=args.epochs)
    with open_client(
        config.runtime.scheduler, config.runtime.workers, quiet=args.quiet, dashboard=config.runtime.dashboard
    ) as client:
        result = run_demo(args.out, client, settings, progress=not args.quiet)
    print(report_text(result, args.out))
    return 0


def removed(funnel: list[dict], stage: str, reason: str) -> int:
    """Rows a stage of the funnel rejected for ``reason``."""
    return sum(s["rejected"].get(reason, 0) for s in funnel if s["stage"] == stage)


def report_text(result: dict, out) -> str:
    """What the demo did: planted problems, the funnel, training and zero-shot accuracy."""
    planted = ", ".join(f"{k}={v}" for k, v in sorted(result["planted"].items()))
    funnel = format_funnel([StageCounters.from_dict(s) for s in result["funnel"]])
    metrics = [m for m in result["metrics"] if "loss" in m]
    train = result["train"]
    zs = result["eval"]["results"]["zeroshot"]
    lines = [
        f"planted in the mini-web: {planted}",
        "funnel (rows in / kept / rejected by reason, per stage):",
        funnel,
        f"shards: {result['samples']} samples",
        f"decontamination: {removed(result['funnel'], 'image_filter', 'eval_duplicate')} training sample(s) removed "
        "as copies of held-out evaluation images; near-duplicate captions: "
        f"{removed(result['funnel'], 'dedup', 'near_duplicate_caption')} row(s) removed",
        f"training: {train['steps']} steps, {train['samples']:,} samples in {train['seconds']:.0f} s; "
        f"loss {metrics[0]['loss']:.3f} -> {train['final_loss']:.3f}"
        if metrics
        else "training: no steps",
        f"zero-shot on {zs['samples']} held-out images, {zs['classes']} classes (chance {1 / zs['classes']:.0%}): "
        f"top-1 {zs['acc1']:.1%}, top-5 {zs.get('acc5', float('nan')):.1%}, "
        f"mean per-class recall {zs['mean_per_class_recall']:.1%}",
        f"wit demo: outputs in {out} (shards: {out}/build/shards, run: {out}/run, eval: {out}/eval.json)",
    ]
    if result.get("report"):
        lines.append(f"wit demo: report in {result['report']} (open it in a browser)")
    return "\n".join(lines)
