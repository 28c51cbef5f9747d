"""The on-disk layout of an embedding directory: what ``wit embed`` (and the CLIP-score filter's
``_embed``) writes, and what ``wit search`` and the CLIP-score filter read::

    OUT/NNNNN.img.npy        image features of shard NNNNN, [n, D], unit length (float16 by default)
    OUT/NNNNN.txt.npy        caption features, same rows
    OUT/NNNNN.rows.parquet   key, shard, row, uid, caption, clip_score: row i of the arrays
    OUT/index.parquet        every shard's rows in shard order; its row number is the global position
    OUT/_info.json           model, weights digest, data, embed_dim, dtype, samples, per-shard counts
    OUT/_stats.json          the funnel: the shards' own, then ``embed`` (skips per reason)
    OUT/_SUCCESS             written last: the directory is complete (``layout.job_dir``)

The arrays are plain ``.npy`` files, memory-mapped when read, so any NumPy or faiss user can load them.
``wit_pipeline.embed.index.EmbeddingIndex`` reads a finished directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa

from wit_pipeline.layout.job_dir import SUCCESS
from wit_pipeline.layout.shard_dir import INFO_FILE  # the same name as a shard directory's totals

INDEX_FILE = "index.parquet"
ROWS_SCHEMA = pa.schema(
    [
        pa.field("key", pa.string()),
        pa.field("shard", pa.string()),
        pa.field("row", pa.int64()),
        pa.field("uid", pa.string()),
        pa.field("caption", pa.string()),
        pa.field("clip_score", pa.float32()),
    ]
)


def image_file(shard: str) -> str:
    """The image features of shard ``shard``."""
    return f"{shard}.img.npy"


def text_file(shard: str) -> str:
    """The caption features of shard ``shard``."""
    return f"{shard}.txt.npy"


def rows_file(shard: str) -> str:
    """The rows (key, uid, caption, clip_score, ...) of shard ``shard``'s arrays."""
    return f"{shard}.rows.parquet"


def is_embedding_dir(path: str | os.PathLike) -> bool:
    """A finished embedding directory: ``_SUCCESS`` and ``_info.json`` both written."""
    root = Path(path)
    return (root / SUCCESS).is_file() and (root / INFO_FILE).is_file()


def finish(out: Path, shards: list[str], info: dict) -> dict:
    """Write ``index.parquet`` (all shards' rows, in shard order) and ``_info.json``; return the totals."""
    import numpy as np
    import pyarrow.parquet as pq

    from wit_pipeline import __version__
    from wit_pipeline.atomic_files import write_json, write_parquet

    tables = [pq.read_table(out / rows_file(name), schema=ROWS_SCHEMA) for name in shards]
    index = pa.concat_tables(tables) if tables else ROWS_SCHEMA.empty_table()
    write_parquet(out / INDEX_FILE, index)
    dim = next((np.load(out / image_file(n), mmap_mode="r").shape[1] for n in shards), 0)
    record = {
        "version": __version__,
        **info,
        "embed_dim": int(dim),
        "samples": index.num_rows,
        "shards": {name: t.num_rows for name, t in zip(shards, tables)},
    }
    write_json(out / INFO_FILE, record)
    return {"samples": index.num_rows, "shards": len(shards)}
