"""``wit eval RUN_OR_CHECKPOINT --data DIR``: zero-shot classification, retrieval and linear probe."""

from __future__ import annotations

import argparse
from pathlib import Path

from wit_pipeline.cli.common import out_path, resolve_config
from wit_pipeline.errors import WitError
from wit_pipeline.eval import TASK_CHOICES


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="evaluate a run or checkpoint: zero-shot, retrieval, linear probe",
        description="Evaluate a training run, checkpoint directory or .safetensors file. --data is an image folder "
        "DIR/<class name>/*.png|jpg|jpeg|webp (zero-shot classification and linear probe; '_' in folder names reads "
        "as a space) or a shard directory with sizes.json (image<->text retrieval; a txt of several lines gives "
        "several captions). Writes eval.json (default: in the run directory) and prints a table.",
    )
    p.add_argument(
        "model",
        metavar="RUN_OR_CHECKPOINT",
        help="run, checkpoint, .safetensors, or pretrained CLIP weights (OpenAI-layout .pt/.bin/.safetensors, "
        "open_clip model directory)",
    )
    p.add_argument("--data", dest="eval.data", metavar="DIR", help="image folder or shard directory")
    p.add_argument("--task", dest="eval.task", choices=TASK_CHOICES, help="what to run (default: all the data allows)")
    p.add_argument(
        "--templates",
        dest="eval.templates",
        metavar="NAME|FILE",
        help="zero-shot prompts: clip, ensemble (default), imagenet80, or a file with one template per line ({})",
    )
    p.add_argument("--batch-size", dest="eval.batch_size", type=int, metavar="N", help="images per batch (64)")
    p.add_argument("--device", dest="eval.device", metavar="DEVICE", help="auto (default), cpu, cuda, cuda:N")
    p.add_argument("--workers", dest="eval.workers", type=int, metavar="N", help="image decoding threads (2)")
    p.add_argument("--out", type=out_path, metavar="FILE", help="where to write the JSON (default: RUN/eval.json)")
    group = p.add_argument_group("runtime")
    group.add_argument("--config", metavar="FILE", help="TOML config file (flags override its values)")
    group.add_argument(
        "--seed", dest="runtime.seed", type=int, metavar="N", help="seed of the linear probe's split (default 0)"
    )
    group.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = resolve_config(args)
    settings = config.eval
    if not settings.data:
        raise WitError("no evaluation data: give --data DIR (or [eval] data in --config)")

    from wit_pipeline.eval.runner import evaluate
    from wit_pipeline.eval.table import format_table

    record = evaluate(
        args.model,
        settings.data,
        task=settings.task,
        templates=settings.templates,
        batch_size=settings.batch_size,
        device=settings.device,
        out=args.out,
        workers=settings.workers,
        seed=config.runtime.seed,
        progress=not args.quiet,
    )
    print(format_table(record["results"]))
    tasks, seconds = ", ".join(record["tasks"]), record["seconds"]
    print(f"wit eval: {tasks} on {Path(settings.data)} in {seconds:.1f} s -> {record['out']}")
    return 0
