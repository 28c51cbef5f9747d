"""Optional faiss backend: an inner-product index over the stored image features, cached beside them.

faiss is not a dependency of wit; ``--faiss`` uses it when installed (``pip install faiss-cpu``). The index
is ``IndexFlatIP`` (exact, on faiss's BLAS kernels), built on first use from the ``.npy`` arrays and saved as
``INDEX/images.faiss`` for later searches; a cached file that does not hold every row is rebuilt.
"""

from __future__ import annotations

import os

import numpy as np

from wit_pipeline.atomic_files import tmp_name
from wit_pipeline.embed.index import EmbeddingIndex
from wit_pipeline.errors import WitError

FAISS_FILE = "images.faiss"


def load_faiss():
    """The faiss module, or a one-line error saying how to get it."""
    try:
        import faiss
    except ImportError:
        raise WitError("--faiss needs the faiss package (pip install faiss-cpu); without it, search is exact") from None
    return faiss


def faiss_index(index: EmbeddingIndex):
    """The cached faiss index of ``index``'s image features, built and saved when missing or stale."""
    faiss = load_faiss()
    path = index.root / FAISS_FILE
    if path.exists():
        cached = faiss.read_index(str(path))
        if cached.ntotal == index.size and cached.d == index.embed_dim:
            return cached
    built = faiss.IndexFlatIP(index.embed_dim)
    built.add(np.ascontiguousarray(index.array("image"), dtype=np.float32))
    tmp = tmp_name(path)
    faiss.write_index(built, str(tmp))
    os.replace(tmp, path)
    return built


def faiss_top_k(index: EmbeddingIndex, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``(scores, positions)`` like ``exact.top_k``; faiss pads with position -1 past the last row."""
    scores, positions = faiss_index(index).search(np.ascontiguousarray(queries, dtype=np.float32), k)
    found = positions[0] >= 0
    return scores[:, found], positions[:, found].astype(np.int64)
