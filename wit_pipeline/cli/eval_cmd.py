"""``wit eval RUN_OR_CHECKPOINT --data DIR [--data DIR ...]``: zero-shot classification, retrieval, linear probe."""

from __future__ import annotations

import argparse

from wit_pipeline.cli.common import default_of, out_path, resolve_config, runtime_group
from wit_pipeline.config import EVAL_TASK_CHOICES
from wit_pipeline.errors import WitError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="evaluate a run or checkpoint: zero-shot, retrieval, linear probe",
        description="Evaluate a training run, checkpoint directory or .safetensors file. --data is an image folder "
        "DIR/<class name>/*.png|jpg|jpeg|webp (zero-shot classification and linear probe; '_' in folder names reads "
        "as a space, or --classnames names the classes), a CLIP_benchmark webdataset set (DIR/classnames.txt, "
        "DIR/zeroshot_classification_templates.txt, DIR/test/0.tar with KEY.cls + KEY.webp, or KEY.txt for "
        "retrieval; local or an fsspec URL) or a shard directory with sizes.json (image<->text retrieval). Give "
        "--data several times to evaluate a suite with the model loaded once. Writes eval.json (default: in the "
        "run directory), CLIP_benchmark's result JSON beside it (eval_clip_benchmark/), and prints one table.",
    )
    p.add_argument(
        "model",
        metavar="RUN_OR_CHECKPOINT",
        help="run, checkpoint, .safetensors, or pretrained CLIP weights (OpenAI-layout .pt/.bin/.safetensors, "
        "open_clip model directory)",
    )
    p.add_argument(
        "--data",
        action="append",
        metavar="DIR",
        help="image folder, CLIP_benchmark set (path or URL) or shard directory; repeat for a suite",
    )
    p.add_argument(
        "--classnames",
        metavar="FILE|imagenet",
        help="class names of an image folder (one per line in folder order, or id<TAB>name) or of a CLIP_benchmark "
        "set; 'imagenet': CLIP's 1000 ImageNet names (folders n01440764 ...) and its 80 templates",
    )
    p.add_argument("--split", default="test", metavar="NAME", help="CLIP_benchmark split folder (default test)")
    p.add_argument(
        "--task", dest="eval.task", choices=EVAL_TASK_CHOICES, help="what to run (default: all the data allows)"
    )
    p.add_argument(
        "--templates",
        dest="eval.templates",
        metavar="NAME|FILE",
        help="zero-shot prompts: clip, ensemble, imagenet80, or a file with one template per line ({}); default: the "
        "set's own (CLIP_benchmark's templates file, imagenet80 with --classnames imagenet), else ensemble",
    )
    p.add_argument(
        "--batch-size",
        dest="eval.batch_size",
        type=int,
        metavar="N",
        help=f"images per batch ({default_of('eval.batch_size')})",
    )
    p.add_argument("--device", dest="eval.device", metavar="DEVICE", help="auto (default), cpu, cuda, cuda:N")
    p.add_argument(
        "--workers",
        dest="eval.workers",
        type=int,
        metavar="N",
        help=f"image decoding threads ({default_of('eval.workers')})",
    )
    p.add_argument("--out", type=out_path, metavar="FILE", help="where to write the JSON (default: RUN/eval.json)")
    group = runtime_group(p)
    group.add_argument(
        "--seed",
        dest="runtime.seed",
        type=int,
        metavar="N",
        help=f"seed of the linear probe's split (default {default_of('runtime.seed')})",
    )
    group.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = resolve_config(args)
    settings = config.eval
    data = args.data or ([settings.data] if settings.data else [])
    if not data:
        raise WitError("no evaluation data: give --data DIR (or [eval] data in --config)")

    from wit_pipeline.eval.runner import evaluate
    from wit_pipeline.eval.table import format_table

    record = evaluate(
        args.model,
        data if len(data) > 1 else data[0],
        task=settings.task,
        templates=settings.templates,
        batch_size=settings.batch_size,
        device=settings.device,
        out=args.out,
        workers=settings.workers,
        seed=config.runtime.seed,
        progress=not args.quiet,
        classnames=args.classnames,
        split=args.split,
    )
    print(format_table(record["results"]))
    tasks, seconds = ", ".join(record["tasks"]), record["seconds"]
    where = ", ".join(d["name"] for d in record["datasets"])
    print(f"wit eval: {tasks} on {where} in {seconds:.1f} s -> {record['out']}")
    return 0
