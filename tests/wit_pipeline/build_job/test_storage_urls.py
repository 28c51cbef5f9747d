"""import → filter → download with fsspec URLs for every input and output (file:// and memory://).

Stage functions write local directories; an output URL goes through ``staging.run_staged`` (the
Python wrapper) or a command's ``--out`` (the CLI), both of which stage and upload it.

``memory://`` is one store per process, so the memory case runs on a dask cluster of threads in
this process (``processes=False``); ``file://`` runs on the shared two-process cluster.
"""

from __future__ import annotations

import io
import logging
import tarfile
from dataclasses import replace
from pathlib import Path

import fsspec
import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster

from crawlers.url_list_import import import_lists
from crawlers.warc_crawl import crawl_warc
from filters.pipeline import filter_manifest
from tests.crawlers.warc_factory import html_response, wat_document, wat_metadata, write_warc
from tests.wit_pipeline.build_job.test_build import write_inputs
from tests.wit_pipeline.download.image_server import image_server
from wit_pipeline import staging, storage
from wit_pipeline.build_job.options import import_options
from wit_pipeline.cli.main import main
from wit_pipeline.config import load_config
from wit_pipeline.download.flow import download_options, image_rules, manifest_to_shards
from wit_pipeline.staging import WORK_DIR_ENV, run_staged


def run_flow(csv: str, root: str, config, client: Client) -> dict:
    """The three stages, each reading the previous one's output URL and writing its own through ``run_staged``."""
    run_staged(f"{root}/manifest", lambda out: import_lists([csv], out, import_options(config), client, False))
    run_staged(
        f"{root}/filtered",
        lambda out: filter_manifest(f"{root}/manifest", out, config.filters, 0, client, progress=False),
    )
    return run_staged(
        f"{root}/shards",
        lambda out: manifest_to_shards(
            f"{root}/filtered", out, download_options(config), image_rules(config), client, progress=False
        ),
    )


def tar_members(root: str) -> dict:
    """Every shard tar's member names and bytes, read through fsspec."""
    fs, path = fsspec.core.url_to_fs(f"{root}/shards")
    out = {}
    for name in sorted(p for p in fs.ls(path, detail=False) if p.endswith(".tar")):
        with tarfile.open(fileobj=io.BytesIO(fs.cat(name))) as tar:
            out[name.rsplit("/", 1)[1]] = [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]
    return out


def filtered_rows(root: str) -> list:
    return [storage.read_parquet(p).to_pylist() for p in storage.list_files(f"{root}/filtered", "part-*.parquet")]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("urls")
    with image_server() as base:
        config = load_config(write_inputs(tmp, base))
        yield tmp, config


@pytest.mark.slow
def test_file_and_memory_urls_give_the_same_shards(inputs, dask_client, tmp_path: Path, monkeypatch) -> None:
    tmp, config = inputs
    monkeypatch.setenv(WORK_DIR_ENV, str(tmp_path / "staging"))
    local = f"file://{tmp_path}/local"
    stats = run_flow(f"file://{tmp}/urls.csv", local, config, dask_client)
    assert stats["samples"] == 24 and (tmp_path / "local" / "shards" / "sizes.json").exists()

    memory = fsspec.filesystem("memory")
    memory.pipe("/in/urls.csv", (tmp / "urls.csv").read_bytes())
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
                           silence_logs=logging.CRITICAL)  # fmt: skip
    try:
        with Client(cluster) as threads:
            remote = run_flow("memory://in/urls.csv", "memory://out", config, threads)
    finally:
        cluster.close()
    try:
        assert remote["samples"] == stats["samples"] and remote["funnel"] == stats["funnel"]
        assert tar_members("memory://out") == tar_members(local)
        assert filtered_rows("memory://out") == filtered_rows(local)
        assert staging.uploaded("memory://out/shards") and memory.exists("/out/shards/_SUCCESS")
        assert not list((tmp_path / "staging").iterdir()), "staging copies are removed once uploaded"
        shard = pq.read_table(io.BytesIO(memory.cat("/out/shards/00000.parquet")))
        assert shard.num_rows == 8
    finally:
        memory.rm("/out", recursive=True)
        memory.rm("/in", recursive=True)


def test_cli_uploads_to_a_url_and_skips_a_finished_one(inputs, tmp_path: Path, monkeypatch, capsys) -> None:
    tmp, _ = inputs
    monkeypatch.setenv(WORK_DIR_ENV, str(tmp_path / "staging"))
    memory = fsspec.filesystem("memory")
    args = ["import", f"file://{tmp}/urls.csv", "--out", "memory://cli/manifest", "--workers", "1", "--quiet"]
    try:
        assert main(args) == 0
        assert "uploaded" in capsys.readouterr().out
        assert memory.exists("/cli/manifest/_PUBLISHED.json") and memory.exists("/cli/manifest/_config.toml")
        assert storage.read_json("memory://cli/manifest/_stats.json")["rows_out"] == 29
        assert main(args) == 0
        assert "already complete" in capsys.readouterr().err
        assert main(["train", "--data", str(tmp), "--out", "memory://cli/run"]) == 2
        assert "local path only" in capsys.readouterr().err
    finally:
        memory.rm("/cli", recursive=True)


def test_warc_and_wat_files_are_read_from_urls(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(WORK_DIR_ENV, str(tmp_path / "staging"))
    page = b"<img src=/a.png alt='a lighthouse on the coast'><img src=/b.png alt='two dogs in snow'>"
    write_warc(tmp_path / "a.warc.gz", [lambda w: html_response(w, "http://h.example/", page)])
    links = [{"path": "IMG@/src", "url": "/c.png", "alt": "fresh bread on a table"}]
    doc = wat_document("http://w.example/p", links)
    write_warc(tmp_path / "b.wat", [lambda w: wat_metadata(w, "http://w.example/p", doc)], gzip=False)
    memory = fsspec.filesystem("memory")
    for name in ("a.warc.gz", "b.wat"):
        memory.pipe(f"/warc/in/{name}", (tmp_path / name).read_bytes())
    try:
        local = crawl_warc([str(tmp_path)], tmp_path / "out", progress=False)
        remote = run_staged("memory://warc/out", lambda out: crawl_warc(["memory://warc/in"], out, progress=False))
        assert remote["rows_out"] == local["rows_out"] == 3
        columns = ["uid", "url", "caption", "page_url", "source"]
        rows = [storage.read_parquet(p, columns).to_pylist() for p in storage.list_files("memory://warc/out", "part-*")]
        parts = sorted((tmp_path / "out").glob("part-*"))
        assert rows == [pq.read_table(p, columns=columns).to_pylist() for p in parts]
    finally:
        memory.rm("/warc", recursive=True)


def test_dedup_reads_manifest_parts_from_a_url(inputs, tmp_path: Path, monkeypatch) -> None:
    """No per-partition step before dedup: the global shuffle itself reads the remote parts."""
    tmp, config = inputs
    monkeypatch.setenv(WORK_DIR_ENV, str(tmp_path / "staging"))
    memory = fsspec.filesystem("memory")
    memory.pipe("/dd/urls.csv", (tmp / "urls.csv").read_bytes())
    settings = replace(config.filters, caption_rules=False, lang_backend="none", languages=[], query_matching=False)
    try:
        run_staged(
            "memory://dd/manifest",
            lambda out: import_lists(["memory://dd/urls.csv"], out, import_options(config), progress=False),
        )
        stats = filter_manifest("memory://dd/manifest", tmp_path / "filtered", settings, progress=False)
        dedup = next(s for s in stats["funnel"] if s["stage"] == "dedup")
        assert dedup["rows_in"] == 29 and dedup["rejected"] == {"duplicate_url": 1}
    finally:
        memory.rm("/dd", recursive=True)
