"""``wit export RUN --to open_clip OUT``: a run (or pretrained model) as an open_clip model directory."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="write a run as an open_clip model directory",
        description="Write a training run (or checkpoint, or pretrained model) as an open_clip model directory: "
        "open_clip_config.json + open_clip_model.safetensors, loaded by open_clip.create_model('local-dir:OUT'). "
        "A run trained with wit's own BPE also gets bpe_simple_vocab.txt.gz for open_clip's SimpleTokenizer.",
    )
    p.add_argument("model", metavar="RUN", help="run directory, checkpoint, .safetensors, or a pretrained model")
    p.add_argument("--to", required=True, choices=["open_clip"], help="target format")
    p.add_argument("target", metavar="OUT", help="new directory to write")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from wit_pipeline.model.export import export_open_clip
    from wit_pipeline.model.weights import load_run

    model, tokenizer, config = load_run(args.model)
    out = export_open_clip(model, tokenizer, config, args.target)
    print(f"wit export: {args.model} -> {out} (open_clip: create_model('local-dir:{out}'))")
    return 0
