"""``search_index``: encode a text or image query with a run and find its nearest images in an index.

The run must be the one the index was embedded with (checked by the weights' digest): features of
different models live in different spaces, so a mismatch is a one-line error rather than noise.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from wit_pipeline.embed.index import EmbeddingIndex
from wit_pipeline.errors import WitError
from wit_pipeline.model.device import resolve_device
from wit_pipeline.model.weights import load_run
from wit_pipeline.search.exact import top_k


@dataclass
class SearchResult:
    """The hits, best first: dicts with rank, score, position and the index row (key, shard, caption, ...)."""

    query: str
    hits: list[dict] = field(default_factory=list)
    searched: int = 0
    seconds: float = 0.0
    backend: str = "exact"


def encode_query(model: Any, tokenizer: Any, text: str | None = None, image: str | Path | None = None) -> np.ndarray:
    """The unit-length float32 feature ``[1, D]`` of a caption or an image file (eval transform)."""
    from wit_pipeline.eval.features import encode_images, encode_texts, eval_transform

    if text is not None:
        return encode_texts(model, tokenizer, [text], 1).numpy()
    path = Path(str(image)).expanduser()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WitError(f"{path}: cannot read the query image ({exc.strerror or exc})") from None
    try:
        pixels = eval_transform(model.config.vision.image_size)(data)
    except Exception as exc:  # any decoder failure on the user's file: name it
        raise WitError(f"{path}: cannot decode the query image ({type(exc).__name__})") from None
    return encode_images(model, pixels.unsqueeze(0)).numpy()


def check_same_model(index: EmbeddingIndex, run: str | Path) -> None:
    """Refuse a run whose weights are not the ones the index was embedded with."""
    from wit_pipeline.embed.task import weights_digest

    if weights_digest(run) != index.info.get("weights_digest"):
        raise WitError(f"{index.root} was embedded with {index.info.get('model')}, not {run}: search with that run")


def search_index(
    run: str | Path,
    index_dir: str | Path,
    text: str | None = None,
    image: str | Path | None = None,
    k: int = 10,
    device: str = "auto",
    use_faiss: bool = False,
) -> SearchResult:
    """The ``k`` images of ``index_dir`` closest to the query (exactly one of ``text`` and ``image``)."""
    if (text is None) == (image is None):
        raise WitError("give a text query or --image FILE (exactly one)")
    if k < 1:
        raise WitError(f"-k must be at least 1, got {k}")
    index = EmbeddingIndex.open(index_dir)
    check_same_model(index, run)
    model, tokenizer, _ = load_run(run, resolve_device(device))
    query = encode_query(model, tokenizer, text, image)
    started = time.perf_counter()
    if use_faiss:
        from wit_pipeline.search.faiss_index import faiss_top_k

        scores, positions = faiss_top_k(index, query, k)
    else:
        scores, positions = top_k(query, index.blocks("image"), k)
    seconds = time.perf_counter() - started
    hits = [
        {"rank": rank + 1, "score": float(score), "position": int(position), **index.row(int(position))}
        for rank, (score, position) in enumerate(zip(scores[0], positions[0]))
    ]
    label = text if text is not None else f"image {image}"
    return SearchResult(label, hits, index.size, seconds, "faiss" if use_faiss else "exact")
