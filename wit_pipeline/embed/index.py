"""Read a finished embedding directory (what ``wit embed`` writes): ``EmbeddingIndex``.

The directory's layout (file names, the rows schema, the writer's ``finish`` step) is owned by
``wit_pipeline.layout.embedding_index``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from wit_pipeline.errors import WitError
from wit_pipeline.layout.embedding_index import INDEX_FILE, INFO_FILE, image_file, is_embedding_dir, text_file


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
        if not is_embedding_dir(root):
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
