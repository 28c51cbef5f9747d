"""Locations (paths, file:// and fsspec URLs), remote reads and uploads."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fsspec.implementations.memory import MemoryFileSystem

from wit_pipeline import storage
from wit_pipeline.errors import WitError
from wit_pipeline.layout.manifest_dir import REJECTS_DIR, STATS_FILE


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
    assert storage.is_dir("memory://d") and storage.exists("memory://d/stats.json")
    with storage.open_input("memory://d/stats.json") as fh:
        fh.seek(2)
        assert fh.read(8) == b"rows_out"


def test_publish_uploads_data_before_markers_and_resumes(
    tmp_path: Path, memory: MemoryFileSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = tmp_path / "out"
    (local / "_tasks" / "00000").mkdir(parents=True)
    (local / "part-00000.parquet").write_bytes(b"data-0")
    (local / REJECTS_DIR).mkdir()
    (local / REJECTS_DIR / "part-00000.parquet").write_bytes(b"rej")
    (local / "_tasks" / "00000" / "_SUCCESS").write_text("")
    (local / STATS_FILE).write_text("{}")
    (local / "_SUCCESS").write_text("")
    memory.pipe("/pub/part-00000.parquet", b"DATA-0")  # same size: left from an interrupted publish
    uploaded: list[str] = []
    real_put = MemoryFileSystem.put_file

    def spy(self, lpath, rpath, *args, **kwargs):
        uploaded.append(rpath.split("/pub/", 1)[1])
        return real_put(self, lpath, rpath, *args, **kwargs)

    monkeypatch.setattr(MemoryFileSystem, "put_file", spy)
    record = storage.upload(local, "memory://pub")
    assert uploaded == [f"{REJECTS_DIR}/part-00000.parquet", STATS_FILE, "_tasks/00000/_SUCCESS", "_SUCCESS"]
    assert record["files"]["part-00000.parquet"] == 6
    assert json.loads(memory.cat("/pub/_PUBLISHED.json"))["files"] == record["files"]
    assert storage.uploaded("memory://pub") and not storage.uploaded(local)
