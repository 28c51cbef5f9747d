"""The CLIP-score flags of ``wit clip-filter`` (and of ``wit filter``, whose ``--clip-model`` runs it).

The input is then a shard directory (what ``wit download`` writes), not a manifest: the pairs are
scored by the run and the kept ones written as a shard directory of the same layout.
"""

from __future__ import annotations

import argparse

from wit_pipeline.config import EMBED_BATCH_SIZE


def add_clip_flags(parser: argparse.ArgumentParser, title: str = "CLIP-score filter") -> None:
    """``--clip-model``, ``--clip-threshold``, ``--clip-top-fraction``, ``--clip-device``, ``--clip-batch-size``."""
    g = parser.add_argument_group(
        title,
        "keep the pairs whose image and caption agree under a CLIP model: clip_score = cosine(image, caption)",
    )
    g.add_argument(
        "--clip-model",
        dest="filters.clip_model",
        metavar="RUN",
        help="training run, or pretrained CLIP weights (OpenAI-layout .pt/.bin/.safetensors, open_clip model "
        "directory), that scores the pairs",
    )
    g.add_argument(
        "--clip-threshold", dest="filters.clip_threshold", type=float, metavar="T", help="keep clip_score >= T"
    )
    g.add_argument(
        "--clip-top-fraction",
        dest="filters.clip_top_fraction",
        type=float,
        metavar="F",
        help="keep the best fraction F (default 0.3, DataComp's, when no threshold is given)",
    )
    g.add_argument("--clip-device", dest="filters.clip_device", metavar="DEVICE", help="auto (default), cpu, cuda")
    g.add_argument(
        "--clip-batch-size", dest="filters.clip_batch_size", type=int, metavar="N", help=f"default {EMBED_BATCH_SIZE}"
    )
