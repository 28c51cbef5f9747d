"""``wit train --data SHARDS --out RUN``: contrastive CLIP training, one process or under torchrun."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from wit_pipeline.cli.common import default_of, out_path, resolve_config, runtime_group
from wit_pipeline.model.config import model_names
from wit_pipeline.model.run_dir import RunDir

FLAG = {"action": "store_const", "const": True, "default": None}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a CLIP model on webdataset shards",
        description="Contrastive CLIP training on webdataset shards. Runs in one process, or one process per "
        "device under torchrun (NCCL on GPUs, gloo on CPU): torchrun --nproc-per-node N -m wit_pipeline.cli.main "
        "train ... . Checkpoints resume exactly (--resume), mid-epoch included.",
    )
    p.add_argument("--data", dest="train.data", metavar="SHARDS", help="shard directory, .tar pattern or file")
    p.add_argument("--out", required=True, type=out_path, metavar="RUN", help="run directory")
    p.add_argument(
        "--model", dest="train.model", metavar="NAME|FILE", help=f"{', '.join(model_names())} or a .toml/.json config"
    )
    p.add_argument(
        "--tokenizer",
        dest="train.tokenizer",
        metavar="clip|train|FILE",
        help="clip: CLIP's tokenizer (shipped with wit); train: a BPE trained on the captions; or a tokenizer.json "
        "(default: the shards' tokenizer.json, else train)",
    )
    length = p.add_mutually_exclusive_group()
    length.add_argument("--epochs", dest="train.epochs", type=int, metavar="N", help="passes over the data")
    length.add_argument("--samples", dest="train.samples", type=int, metavar="N", help="train on N samples in all")
    p.add_argument("--batch-size", dest="train.batch_size", type=int, metavar="N", help="samples per process per step")
    p.add_argument("--accum-freq", dest="train.accum_freq", type=int, metavar="K", help="micro-batches per step")
    p.add_argument("--lr", dest="train.lr", type=float, metavar="LR", help="peak learning rate")
    p.add_argument("--warmup", dest="train.warmup", type=int, metavar="STEPS", help="linear warmup steps")
    p.add_argument("--weight-decay", dest="train.weight_decay", type=float, metavar="W", help="AdamW decay")
    p.add_argument("--grad-clip", dest="train.grad_clip", type=float, metavar="NORM", help="max grad norm (0: off)")
    p.add_argument("--local-loss", dest="train.local_loss", **FLAG, help="DDP: score local rows only")
    p.add_argument(
        "--resume", nargs="?", const="latest", metavar="CHECKPOINT", help="continue RUN (its latest checkpoint)"
    )
    p.add_argument("--device", dest="train.device", metavar="DEVICE", help="auto (default), cpu, cuda, cuda:N")
    p.add_argument(
        "--precision", dest="train.precision", metavar="P", help="auto (bf16 on CUDA, else fp32), fp32, bf16, fp16"
    )
    compiling = p.add_mutually_exclusive_group()
    compiling.add_argument(
        "--compile", dest="train.compile", **FLAG, help="torch.compile the model (default: on CUDA for 200+ steps)"
    )
    compiling.add_argument(
        "--no-compile", dest="train.compile", action="store_const", const=False, help="never torch.compile"
    )
    p.add_argument("--grad-checkpointing", dest="train.grad_checkpointing", **FLAG, help="recompute activations")
    p.add_argument("--deterministic", dest="train.deterministic", **FLAG, help="deterministic kernels")
    p.add_argument("--loader-workers", dest="train.loader_workers", type=int, metavar="N", help="loader processes")
    p.add_argument(
        "--checkpoint-every",
        dest="train.checkpoint_every",
        type=int,
        metavar="STEPS",
        help=f"default {default_of('train.checkpoint_every')} (and at the end)",
    )
    p.add_argument("--log-every", dest="train.log_every", type=int, metavar="STEPS", help="metrics line every STEPS")
    p.add_argument("--tensorboard", dest="train.tensorboard", **FLAG, help="also log to RUN/tensorboard")
    evaluation = p.add_argument_group("evaluation during training (results go to RUN/metrics.jsonl)")
    evaluation.add_argument(
        "--eval-data",
        dest="eval.data",
        metavar="DIR",
        help="image folder DIR/<class>/* (zero-shot) or shard directory (retrieval) to evaluate on",
    )
    evaluation.add_argument(
        "--eval-every", dest="eval.every", type=int, metavar="STEPS", help="evaluate every STEPS (default: at the end)"
    )
    evaluation.add_argument(
        "--eval-templates", dest="eval.templates", metavar="NAME|FILE", help="zero-shot prompts (default: ensemble)"
    )
    group = runtime_group(p)
    group.add_argument(
        "--seed", dest="runtime.seed", type=int, metavar="N", help="seed for initialisation and data order"
    )
    group.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from wit_pipeline.train.launch import run_training

    resumed_config = RunDir(args.out).config
    config_path = args.config or (str(resumed_config) if args.resume and resumed_config.exists() else None)
    config = resolve_config(args, config_path)
    if getattr(args, "train.epochs") is not None:
        config.train.samples = None
    result = run_training(config, args.out, resume=args.resume, progress=not args.quiet)
    if int(os.environ.get("RANK", "0")) == 0:
        loss = "n/a" if result.loss is None else f"{result.loss:.4f}"
        speed = result.samples / result.seconds if result.seconds > 0 else 0.0
        print(
            f"wit train: {result.steps} steps, {result.samples:,} samples in {result.seconds:.1f} s "
            f"({speed:,.0f} samples/s); final loss {loss} -> {Path(result.run_dir)}"
        )
    return 0
