"""Embeddings of a shard directory under a trained run: per-shard image and caption arrays plus an index.

>>> from wit_pipeline.embed import EmbedSettings, embed_shards, EmbeddingIndex
>>> embed_shards("runs/tiny", "shards/", "emb/", EmbedSettings())   # one dask task per shard, resumable
>>> index = EmbeddingIndex.open("emb/")

Everything is imported on first use, so the CLI can build its parser without importing torch.
"""

from typing import Any

__all__ = ["EmbedSettings", "EmbeddingIndex", "embed_shards"]


def __getattr__(name: str) -> Any:
    if name in ("EmbedSettings", "embed_shards"):
        from wit_pipeline.embed import task

        return getattr(task, name)
    if name == "EmbeddingIndex":
        from wit_pipeline.embed.index import EmbeddingIndex

        return EmbeddingIndex
    raise AttributeError(f"module 'wit_pipeline.embed' has no attribute {name!r}")
