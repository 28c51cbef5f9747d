"""wit download against a local server: every misbehaviour ends as a sample status and reason."""

from __future__ import annotations

import io
import json
import os
import signal
import tarfile
import threading
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import webdataset as wds

from tests.wit_pipeline.download.image_server import image_server
from wit_pipeline.download.options import DownloadOptions
from wit_pipeline.download.raw_shards import download_manifest
from wit_pipeline.layout.shard_dir import reason_of
from wit_pipeline.manifest import ManifestLimits
from wit_pipeline.manifest_validation import validate_rows

BAD_PATHS = {
    "/status/404": "http_404",
    "/status/500": "http_5xx",
    "/reset": {"connection_reset", "connection_error", "bad_response"},
    "/stall": {"read_timeout", "total_timeout"},
    "/drip": "total_timeout",
    "/truncated.jpg": "truncated_image",
    "/page.jpg": "not_an_image",
    "/bomb.png": "too_many_pixels",
    "/empty.jpg": "empty_body",
    "/noai.jpg": "x_robots_tag",
    "/redirect-private": "address_private",
}


def write_manifest(directory: Path, urls: list[str], rows_per_part: int = 10) -> Path:
    directory.mkdir(parents=True)
    for p in range(0, len(urls), rows_per_part):
        chunk = urls[p : p + rows_per_part]
        raw = pa.table({"url": chunk, "caption": [f"caption {u.rsplit('/', 1)[-1]}" for u in chunk]})
        result = validate_rows(raw, stage="import", source="import", limits=ManifestLimits())
        pq.write_table(result.kept, directory / f"part-{p // rows_per_part:05d}.parquet")
    return directory


def options(**kw) -> DownloadOptions:
    base = dict(
        samples_per_shard=8,
        image_size=64,
        allow_networks=("127.0.0.1/32",),
        timeout=1.5,
        shard_deadline=30,
        thread_count=8,
    )
    return DownloadOptions(**{**base, **kw})


def shard_samples(out: Path) -> dict[str, dict]:
    """Every sample of every tar, read by the plain webdataset pipeline."""
    urls = sorted(str(p) for p in out.glob("*.tar"))
    samples = {}
    for sample in wds.WebDataset(urls, shardshuffle=False):
        samples[sample["__key__"]] = sample
    return samples


@pytest.fixture(scope="module")
def downloaded(tmp_path_factory) -> tuple[Path, dict]:
    tmp = tmp_path_factory.mktemp("dl")
    with image_server() as base:
        urls = [f"{base}/img/{i}.jpg" for i in range(20)] + [f"{base}{p}" for p in BAD_PATHS]
        urls += [f"{base}/redirect/21.jpg"]
        manifest = write_manifest(tmp / "manifest", urls)
        stats = download_manifest(manifest, tmp / "shards", options(), progress=False)
    return tmp / "shards", stats


def test_every_bad_response_has_a_status_and_reason(downloaded) -> None:
    out, _ = downloaded
    table = pd.concat(pd.read_parquet(p) for p in sorted(out.glob("*.parquet")))
    by_path = {"/" + u.split("/", 3)[3]: r for u, r in zip(table["url"], table["error_message"])}
    for path, expected in BAD_PATHS.items():
        reason = reason_of(by_path[path])
        assert reason in (expected if isinstance(expected, set) else {expected}), (path, reason)
    ok = table[table["status"] == "success"]
    assert len(ok) == 21 and ok["error_message"].isna().all()
    assert set(table["status"]) == {"success", "failed_to_download", "failed_to_resize"}


def test_shards_are_readable_and_sizes_match(downloaded) -> None:
    out, stats = downloaded
    sizes = json.loads((out / "sizes.json").read_text())
    samples = shard_samples(out)
    assert sum(sizes.values()) == len(samples) == 21
    for tar in sorted(out.glob("*.tar")):
        with tarfile.open(tar) as tf:
            keys = {m.name.split(".", 1)[0] for m in tf.getmembers()}
        assert len(keys) == sizes[tar.name]
    for key, sample in samples.items():
        assert "." not in key and sample["txt"].decode().startswith("caption ")
        meta = json.loads(sample["json"])
        assert meta["status"] == "success" and meta["key"] == key and meta["width"] == 64
        from PIL import Image

        assert Image.open(io.BytesIO(sample["jpg"])).size == (64, 64)
    info = json.loads((out / "_info.json").read_text())
    assert info["samples"] == 21 and info["attempted"] == 32
    assert sorted(p.name for p in out.glob("[0-9]*_stats.json")) == [f"0000{i}_stats.json" for i in range(4)]
    download = stats["funnel"][-1]
    assert download["stage"] == "download" and download["rows_in"] == 32
    assert download["kept"] + download["rejected_total"] == 32 and download["kept"] == 21


def test_private_address_refused_before_connecting(tmp_path: Path) -> None:
    with image_server() as base:
        manifest = write_manifest(tmp_path / "m", [f"{base}/img/1.jpg"])
        stats = download_manifest(manifest, tmp_path / "s", options(allow_networks=()), progress=False)
    table = pq.read_table(next((tmp_path / "s").glob("*.parquet")))
    assert reason_of(table["error_message"][0].as_py()) == "address_loopback"
    assert stats["funnel"][-1]["rejected"] == {"address_loopback": 1}


def test_no_connection_is_made_to_a_refused_address(tmp_path: Path) -> None:
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    manifest = write_manifest(tmp_path / "m", [f"http://127.0.0.1:{port}/x.jpg"])
    download_manifest(manifest, tmp_path / "s", options(allow_networks=()), progress=False)
    with pytest.raises(TimeoutError):
        listener.accept()
    listener.close()


def test_hard_shard_deadline_bounds_a_stalled_shard(tmp_path: Path) -> None:
    with image_server() as base:
        urls = [f"{base}/stall"] * 3 + [f"{base}/img/{i}.jpg" for i in range(3)]
        manifest = write_manifest(tmp_path / "m", urls)
        started = time.monotonic()
        download_manifest(
            manifest, tmp_path / "s", options(timeout=20, shard_deadline=2, thread_count=2), progress=False
        )
        assert time.monotonic() - started < 10
    table = pq.read_table(next((tmp_path / "s").glob("*.parquet")))
    assert {reason_of(m) for m in table["error_message"].to_pylist()} == {"shard_deadline"}
    assert table.num_rows == 6


def test_rerun_skips_finished_shards_and_redoes_partial_ones(tmp_path: Path) -> None:
    with image_server() as base:
        manifest = write_manifest(tmp_path / "m", [f"{base}/img/{i}.jpg" for i in range(20)])
        out = tmp_path / "s"
        download_manifest(manifest, out, options(), progress=False)
        before = shard_samples(out)
        # A killed run: shard 1's task never finished and the job was never published.
        import shutil

        shutil.rmtree(out / "_tasks" / "00001")
        for name in ("00001.tar", "00001.parquet", "00001_stats.json", "_SUCCESS"):
            (out / name).unlink()
        (out / "_tasks" / "00002.tmp-0123abcd").mkdir()
        download_manifest(manifest, out, options(), progress=False)
    after = shard_samples(out)
    assert before.keys() == after.keys()
    assert all(before[k]["jpg"] == after[k]["jpg"] for k in before)
    assert not list((out / "_tasks").glob("*.tmp-*"))


def test_killed_worker_mid_download_gives_the_same_keys(tmp_path: Path, dask_client) -> None:
    from tests.wit_pipeline.runtime.stages_for_tests import worker_pid

    with image_server() as base:
        urls = [f"{base}/img/{i}.jpg?sleep=0.05" for i in range(64)]
        manifest = write_manifest(tmp_path / "m", urls, rows_per_part=16)
        reference = download_manifest(manifest, tmp_path / "ref", options(thread_count=2), progress=False)
        pids = list(dask_client.run(worker_pid).values())
        out = tmp_path / "s"

        def kill_when_started() -> None:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not list((out / "_tasks").glob("*")):
                time.sleep(0.02)
            time.sleep(0.3)
            os.kill(pids[0], signal.SIGKILL)

        killer = threading.Thread(target=kill_when_started)
        killer.start()
        stats = download_manifest(manifest, out, options(thread_count=2), client=dask_client, progress=False)
        killer.join()
    assert shard_samples(out).keys() == shard_samples(tmp_path / "ref").keys()
    assert stats["samples"] == reference["samples"] == 64
    dask_client.wait_for_workers(2, timeout=60)


def test_rows_after_a_slow_one_keep_their_order_and_what_finished_survives_the_deadline(tmp_path: Path) -> None:
    """Fetches complete out of order; samples are still written in row order, one key per row."""
    with image_server() as base:
        urls = [f"{base}/img/{i}.jpg" for i in range(9)]
        urls[2] = f"{base}/stall"
        manifest = write_manifest(tmp_path / "m", urls, rows_per_part=100)
        opts = options(samples_per_shard=100, timeout=20, shard_deadline=3, thread_count=2)
        download_manifest(manifest, tmp_path / "s", opts, progress=False)
    table = pq.read_table(next((tmp_path / "s").glob("*.parquet"))).to_pandas()
    assert list(table["url"]) == urls and list(table["key"]) == sorted(table["key"])
    assert list(table["status"]) == ["success"] * 2 + ["failed_to_download"] + ["success"] * 6
    assert reason_of(table["error_message"][2]) == "shard_deadline"
    with tarfile.open(next((tmp_path / "s").glob("*.tar"))) as tf:
        names = [m.name for m in tf.getmembers() if m.name.endswith(".txt")]
        captions = [tf.extractfile(n).read().decode() for n in names]
    assert names == sorted(names) and captions == [f"caption {u.rsplit('/', 1)[-1]}" for u in urls if "stall" not in u]
