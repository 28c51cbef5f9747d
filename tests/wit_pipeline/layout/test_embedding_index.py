"""The embedding directory's owner: the writer's ``finish`` and ``EmbeddingIndex`` agree on every name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wit_pipeline.embed.index import EmbeddingIndex
from wit_pipeline.errors import WitError
from wit_pipeline.layout import embedding_index as layout
from wit_pipeline.layout.job_dir import SUCCESS


def write_shard(out: Path, shard: str, rows: int, dim: int = 4) -> np.ndarray:
    rng = np.random.default_rng(rows)
    images = rng.standard_normal((rows, dim)).astype(np.float16)
    np.save(out / layout.image_file(shard), images)
    np.save(out / layout.text_file(shard), images)
    table = pa.table(
        {
            "key": [f"{shard}{i:04d}" for i in range(rows)],
            "shard": [shard] * rows,
            "row": list(range(rows)),
            "uid": [f"u{shard}{i}" for i in range(rows)],
            "caption": [f"caption {i}" for i in range(rows)],
            "clip_score": [0.5] * rows,
        },
        schema=layout.ROWS_SCHEMA,
    )
    pq.write_table(table, out / layout.rows_file(shard))
    return images


def test_a_finished_directory_opens_and_an_unfinished_one_is_refused(tmp_path: Path) -> None:
    first, second = write_shard(tmp_path, "00000", 3), write_shard(tmp_path, "00001", 2)
    totals = layout.finish(tmp_path, ["00000", "00001"], {"model": "test"})
    assert totals == {"samples": 5, "shards": 2}
    assert not layout.is_embedding_dir(tmp_path)  # _SUCCESS is the runtime's, written last
    with pytest.raises(WitError, match="not a finished wit embed output"):
        EmbeddingIndex.open(tmp_path)
    (tmp_path / SUCCESS).write_text("")
    assert layout.is_embedding_dir(tmp_path)
    index = EmbeddingIndex.open(tmp_path)
    assert index.size == 5 and index.embed_dim == 4 and index.shards == ["00000", "00001"]
    np.testing.assert_array_equal(index.array(), np.concatenate([first, second]).astype(np.float32))
    assert index.row(3)["key"] == "000010000"
    assert pq.read_table(tmp_path / layout.INDEX_FILE).schema == layout.ROWS_SCHEMA
