"""The layout of an embedding directory (what ``wit embed`` writes) and ``EmbeddingIndex`` to read it.

```
OUT/NNNNN.img.npy        image features of shard NNNNN, [n, D], unit length (float16 by default)
OUT/NNNNN.txt.npy        caption features, same rows
OUT/NNNNN.rows.parquet   key, shard, row, uid, caption, clip_score: row i of the arrays
OUT/index.parquet        every shard's rows in shard order; its row number is the global position
OUT/_info.json           model, weights digest, data, embed_dim, dtype, samples, per-shard counts
OUT/_stats.json          the funnel: the shards' own, then ``embed`` (skips per reason)
OUT/_SUCCESS             written last: the directory is complete
```

The arrays are plain ``.npy`` files, memory-mapped when read, so any NumPy or faiss user can load them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from wit_pipeline import __version__
from wit_pipeline.errors import WitError
from wit_pipeline.runtime.atomic import write_json, write_parquet

INDEX_FILE = "index.parquet"
INFO_FILE = "_info.json"
DONE = "_SUCCESS"
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
    return f"{shard}.img.npy"


def text_file(shard: str) -> str:
    return f"{shard}.txt.npy"


def rows_file(shard: str) -> str:
    return f"{shard}.rows.parquet"


def finish(out: Path, shards: list[str], info: dict) -> dict:
    """Write ``index.parquet`` (all shards' rows, in shard order) and ``_info.json``; return the totals."""
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


@dataclass
class EmbeddingIndex:
    """A finished embedding directory: its info, its rows (a table) and per-shard memory-mapped arrays."""

    root: Path
    info: dict
    rows: pa.Table

    @classmethod
    def open(cls, directory: str | Path) -> EmbeddingIndex:
        """Open ``directory``; anything but a complete ``wit embed`` output is a one-line error."""
        root = Path(directory).expanduser()
        if not root.is_dir():
            raise WitError(f"{root}: no such embedding directory (the output of wit embed)")
        if not (root / DONE).exists() or not (root / INFO_FILE).exists():
            raise WitError(f"{root}: not a finished wit embed output (rerun wit embed to finish it)")
        info = json.loads((root / INFO_FILE).read_text(encoding="utf-8"))
        return cls(root, info, pq.read_table(root / INDEX_FILE))

    @property
    def size(self) -> int:
        return self.rows.num_rows

    @property
    def embed_dim(self) -> int:
        return int(self.info["embed_dim"])

    @property
    def shards(self) -> list[str]:
        return list(self.info["shards"])

    def blocks(self, kind: str = "image") -> Iterator[tuple[int, np.ndarray]]:
        """``(global position of the first row, memory-mapped [n, D] array)`` per non-empty shard."""
        name = image_file if kind == "image" else text_file
        start = 0
        for shard, count in self.info["shards"].items():
            if count:
                array = np.load(self.root / name(shard), mmap_mode="r")
                if array.shape[0] != count:
                    raise WitError(f"{self.root / name(shard)}: {array.shape[0]} rows, the index says {count}")
                yield start, array
            start += count

    def array(self, kind: str = "image") -> np.ndarray:
        """All features of one kind as one float32 array (in memory: for faiss and small indexes)."""
        blocks = [np.asarray(block, dtype=np.float32) for _, block in self.blocks(kind)]
        return np.concatenate(blocks) if blocks else np.zeros((0, self.embed_dim), np.float32)

    def row(self, position: int) -> dict:
        """The index row (key, shard, row, uid, caption, clip_score) at a global position."""
        return self.rows.slice(position, 1).to_pylist()[0]
