"""``wit embed RUN --data SHARDS --out DIR``: image and caption embeddings of every shard sample."""

from __future__ import annotations

import argparse

from wit_pipeline.cli.common import add_common, out_path
from wit_pipeline.cli.stage_command import StageRun, stage_command
from wit_pipeline.config import EMBED_BATCH_SIZE, EMBED_DTYPES, BuildConfig


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``wit embed`` and its flags."""
    p = sub.add_parser(
        "embed",
        help="embed every image and caption of a shard directory with a trained run",
        description="Compute unit-length image and caption features of every sample of a shard directory with a "
        "training run (eval transform: shortest side to the model's size, center crop), one dask task per shard, "
        "on the CPU or a GPU. Writes OUT/NNNNN.img.npy and NNNNN.txt.npy per shard, OUT/index.parquet (key, "
        "shard, row, uid, caption, clip_score) and _info.json. Rerun the same command to resume.",
    )
    p.add_argument(
        "model",
        metavar="RUN",
        help="run, checkpoint, .safetensors, or pretrained CLIP weights (OpenAI-layout .pt/.bin/.safetensors, "
        "open_clip model directory)",
    )
    p.add_argument("--data", required=True, metavar="SHARDS", help="shard directory (sizes.json + NNNNN.tar)")
    p.add_argument("--out", required=True, type=out_path, help="output directory for the embeddings")
    p.add_argument(
        "--device",
        default="auto",
        metavar="DEVICE",
        help="auto (default: CUDA if available), cpu, cuda; on a GPU the local cluster has one worker unless --workers",
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=EMBED_BATCH_SIZE,
        metavar="N",
        help=f"samples per forward pass ({EMBED_BATCH_SIZE})",
    )
    p.add_argument("--dtype", choices=EMBED_DTYPES, default=EMBED_DTYPES[0], help=f"stored dtype ({EMBED_DTYPES[0]})")
    p.add_argument(
        "--threads", type=int, metavar="N", help="torch CPU threads per task (default: cores / local workers)"
    )
    add_common(p)
    p.set_defaults(run=run)


def prepare(args: argparse.Namespace, config: BuildConfig) -> StageRun:
    """Embed the shards and print what was written."""
    from wit_pipeline.embed.task import EmbedSettings, embed_shards, local_workers, shard_tars, task_threads
    from wit_pipeline.model.weights import resolve_weights

    rt = config.runtime
    workers = local_workers(args.device, rt.workers, rt.scheduler)
    settings = EmbedSettings(
        run=args.model,
        device=args.device,
        batch_size=args.batch_size,
        dtype=args.dtype,
        threads=task_threads(args.threads, workers, rt.scheduler),
    )
    settings.check()
    resolve_weights(args.model)  # bad input fails before a cluster starts
    shard_tars(args.data)
    return StageRun(
        work=lambda client: embed_shards(
            args.model, args.data, args.out, settings, client=client, progress=not args.quiet
        ),
        summary=lambda stats: (
            f"wit embed: {stats['samples']} samples of {stats['shards']} shard(s) embedded -> {args.out}"
        ),
        workers=workers,
        write_config=False,  # the index records its settings in _info.json
    )


run = stage_command(prepare)
