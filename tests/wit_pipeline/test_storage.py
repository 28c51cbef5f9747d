"""Locations (paths, file:// and fsspec URLs) and remote reads."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fsspec.implementations.memory import MemoryFileSystem

from wit_pipeline import storage
from wit_pipeline.errors import WitError


def test_paths_and_file_urls_become_absolute_local_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert storage.location("out/x") == tmp_path / "out" / "x"
    assert storage.location(f"file://{tmp_path}/a") == tmp_path / "a"
    assert storage.location(Path("b")) == tmp_path / "b"
    assert storage.location("memory://bucket/x") == "memory://bucket/x"
    assert storage.join(tmp_path, "a", "b") == tmp_path / "a" / "b"
    assert storage.join("memory://bucket/", "a", "b") == "memory://bucket/a/b"
    with pytest.raises(WitError, match="unknown storage protocol"):
        storage.location("nosuchproto://x")
    with pytest.raises(WitError, match="local"):
        storage.local_dir("memory://x", "the image stage")


def test_remote_reads(memory: MemoryFileSystem) -> None:
    table = pa.table({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    with memory.open("/d/part-00001.parquet", "wb") as fh:
        pq.write_table(table, fh)
    with memory.open("/d/part-00000.parquet", "wb") as fh:
        pq.write_table(table.slice(0, 1), fh)
    memory.pipe("/d/stats.json", b'{"rows_out": 4}')
    assert storage.list_files("memory://d", "part-*.parquet") == [
        "memory:///d/part-00000.parquet",
        "memory:///d/part-00001.parquet",
    ]
    assert storage.read_parquet("memory://d/part-00001.parquet", columns=["b"]).column("b").to_pylist() == list("xyz")
    assert storage.parquet_metadata("memory://d/part-00001.parquet").num_rows == 3
    assert storage.read_json("memory://d/stats.json") == {"rows_out": 4}
    assert storage.size("memory://d/stats.json") == 15 and storage.size("memory://d/none") is None
    assert storage.file_identities(["memory://d/stats.json", "memory://d/none"]) == [
        ["memory://d/stats.json", 15],
        ["memory://d/none", None],
    ]
    assert storage.is_dir("memory://d") and storage.exists("memory://d/stats.json")
    with storage.open_input("memory://d/stats.json") as fh:
        fh.seek(2)
        assert fh.read(8) == b"rows_out"
