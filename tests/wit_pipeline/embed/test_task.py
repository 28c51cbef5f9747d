"""``embed_shards`` and ``wit embed``: per-shard arrays and an index, dask = serial, resume after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from tests.wit_pipeline.embed.helpers import CLASSES, captioned
from tests.wit_pipeline.eval.helpers import ENV, assert_one_line_error, wit, write_caption_shards
from wit_pipeline.embed.encode import embed_shard
from wit_pipeline.embed.index import EmbeddingIndex
from wit_pipeline.embed.task import EmbedSettings, embed_shards
from wit_pipeline.errors import WitError
from wit_pipeline.layout import embedding_index as layout
from wit_pipeline.layout.manifest_dir import STATS_FILE
from wit_pipeline.model.weights import load_run


def class_shards(root: Path, count: int, per_shard: int) -> Path:
    samples = [captioned(*CLASSES[i % len(CLASSES)], i, uid=f"uid-{i}") for i in range(count)]
    return write_caption_shards(root, samples, per_shard=per_shard)


def test_embed_writes_per_shard_arrays_and_an_index(clip_run: Path, tmp_path: Path) -> None:
    shards = class_shards(tmp_path / "shards", 20, per_shard=8)
    out = tmp_path / "emb"
    stats = embed_shards(clip_run, shards, out, EmbedSettings(device="cpu", batch_size=5), progress=False)
    assert stats["samples"] == 20 and stats["shards"] == 3
    index = EmbeddingIndex.open(out)
    assert index.rows.column_names == ["key", "shard", "row", "uid", "caption", "clip_score"]
    assert index.rows["uid"].to_pylist() == [f"uid-{i}" for i in range(20)]
    assert index.rows["shard"].to_pylist() == ["00000"] * 8 + ["00001"] * 8 + ["00002"] * 4
    assert index.info["shards"] == {"00000": 8, "00001": 8, "00002": 4} and index.info["dtype"] == "float16"
    model, tokenizer, _ = load_run(clip_run)
    direct = embed_shard(model, tokenizer, shards / "00001.tar")
    images = np.load(out / layout.image_file("00001"))
    assert images.dtype == np.float16 and images.shape == (8, model.config.embed_dim)
    np.testing.assert_allclose(images, direct.images, atol=2e-3)
    np.testing.assert_allclose(np.load(out / layout.text_file("00001")), direct.texts, atol=2e-3)
    np.testing.assert_allclose(index.rows["clip_score"].to_numpy()[8:16], direct.scores, atol=1e-6)
    assert [start for start, _ in index.blocks("text")] == [0, 8, 16] and index.array().shape == (20, 64)
    embed = stats["funnel"][-1]
    assert embed["stage"] == "embed" and embed["rows_in"] == embed["kept"] == 20
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    assert embed_shards(clip_run, shards, out, EmbedSettings(device="cpu"), progress=False) == stats
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before
    with pytest.raises(WitError, match="different job"):
        embed_shards(clip_run, shards, out, EmbedSettings(dtype="float32"), progress=False)


def test_dask_output_equals_serial(clip_run: Path, tmp_path: Path, dask_client) -> None:
    shards = class_shards(tmp_path / "shards", 24, per_shard=6)
    settings = EmbedSettings(device="cpu", batch_size=4, threads=1)
    embed_shards(clip_run, shards, tmp_path / "serial", settings, progress=False)
    embed_shards(clip_run, shards, tmp_path / "dask", settings, client=dask_client, progress=False)
    assert read_outputs(tmp_path / "serial") == read_outputs(tmp_path / "dask")


def read_outputs(out: Path) -> dict[str, bytes]:
    """Every published output file's bytes (arrays, row tables, index), not the job's records."""
    names = [p for p in out.iterdir() if p.suffix in (".npy", ".parquet")]
    return {p.name: p.read_bytes() for p in sorted(names)}


@pytest.mark.slow
def test_resume_after_a_kill_recomputes_only_unfinished_shards(clip_run: Path, tmp_path: Path) -> None:
    shards = class_shards(tmp_path / "shards", 8 * 8, per_shard=8)
    args = ["embed", str(clip_run), "--data", str(shards), "--device", "cpu", "--batch-size", "2", "--workers", "1"]
    args += ["--threads", "1"]
    reference = wit(*args, "--out", str(tmp_path / "ref"), "--quiet")
    assert reference.returncode == 0, reference.stderr
    assert "wit embed: 64 samples of 8 shard(s) embedded" in reference.stdout
    out = tmp_path / "out"
    command = [sys.executable, "-m", "wit_pipeline.cli.main", *args, "--out", str(out), "--quiet"]
    proc = subprocess.Popen(command, env=ENV, start_new_session=True, stderr=subprocess.DEVNULL)
    first = out / "_tasks" / "00000" / "_SUCCESS"
    deadline = time.monotonic() + 120
    while not first.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)  # the command, its local cluster and workers: all at once
    proc.wait()
    assert first.exists() and not (out / "_SUCCESS").exists()
    done = sorted(p.parent.name for p in (out / "_tasks").glob("*/_SUCCESS"))
    assert 1 <= len(done) < 8
    finished = {n: (out / "_tasks" / n / layout.image_file(n)).stat() for n in done}
    resumed = wit(*args, "--out", str(out), "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    for name, before in finished.items():
        after = (out / layout.image_file(name)).stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # published, not redone
    assert read_outputs(out) == read_outputs(tmp_path / "ref")
    assert (
        json.loads((out / STATS_FILE).read_text())["funnel"]
        == json.loads((tmp_path / "ref" / STATS_FILE).read_text())["funnel"]
    )
    assert pq.read_table(out / layout.INDEX_FILE).num_rows == 64


def test_bad_input_is_a_one_line_error(clip_run: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert_one_line_error(wit("embed", str(clip_run), "--data", str(tmp_path / "empty"), "--out", "x"), "sizes.json")
    shards = class_shards(tmp_path / "shards", 4, per_shard=4)
    with pytest.raises(WitError, match="no such run directory"):
        embed_shards(tmp_path / "no-run", shards, tmp_path / "o", progress=False)
    with pytest.raises(WitError, match="--dtype"):
        embed_shards(clip_run, shards, tmp_path / "o", EmbedSettings(dtype="int8"), progress=False)


def test_local_cluster_size_and_threads_per_task() -> None:
    from wit_pipeline.embed.task import local_workers, task_threads
    from wit_pipeline.runtime.cluster import default_workers

    assert local_workers("cpu", None, None) is None and local_workers("cuda:0", None, None) == 1
    assert local_workers("cuda", 3, None) == 3 and local_workers("cuda", None, "tcp://x:8786") is None
    assert task_threads(None, 1, None) == default_workers() and task_threads(None, None, None) == 1
    assert task_threads(4, 1, None) == 4 and task_threads(None, 1, "tcp://x:8786") == 0
