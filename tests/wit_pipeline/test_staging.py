"""Remote outputs: staging copies, upload on success, and stage functions that take local paths only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fsspec.implementations.memory import MemoryFileSystem

from crawlers.html_crawl import crawl_html
from crawlers.html_crawl_options import CrawlOptions
from crawlers.url_list_import import import_lists
from crawlers.warc_crawl import crawl_warc
from filters.pipeline import filter_manifest
from wit_pipeline import staging
from wit_pipeline.build_job.runner import build
from wit_pipeline.config import BuildConfig, FiltersConfig
from wit_pipeline.download.flow import manifest_to_shards
from wit_pipeline.download.options import DownloadOptions
from wit_pipeline.download.raw_shards import download_manifest
from wit_pipeline.errors import WitError
from wit_pipeline.layout.manifest_dir import REJECTS_DIR, STATS_FILE
from wit_pipeline.runtime import run_file_job, run_job
from wit_pipeline.shards.dedup_plan import ImageRules


def test_working_dir_is_stable_per_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(staging.WORK_DIR_ENV, str(tmp_path / "work"))
    a = staging.working_dir("s3://bucket/runs/one")
    assert a == staging.working_dir("s3://bucket/runs/one") != staging.working_dir("s3://other/runs/one")
    assert a.parent == tmp_path / "work" and a.name.startswith("one-")
    assert staging.working_dir(tmp_path / "x") == tmp_path / "x"


def test_run_staged_uploads_once_then_reads_the_result(
    tmp_path: Path, memory: MemoryFileSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(staging.WORK_DIR_ENV, str(tmp_path / "work"))
    calls = []

    def work(out: Path) -> dict:
        calls.append(out)
        out.mkdir(parents=True, exist_ok=True)
        (out / STATS_FILE).write_text('{"rows_out": 7}')
        (out / "_SUCCESS").write_text("")
        return {"rows_out": 7}

    assert staging.run_staged("memory://staged", work) == {"rows_out": 7}
    assert staging.run_staged("memory://staged", work) == {"rows_out": 7}
    assert len(calls) == 1 and calls[0].parent == tmp_path / "work"
    assert not calls[0].exists(), "the staging copy is removed once uploaded"
    assert memory.cat(f"/staged/{STATS_FILE}") == b'{"rows_out": 7}'
    local = tmp_path / "plain"
    assert staging.run_staged(f"file://{local}", work) == {"rows_out": 7}
    assert calls[-1] == local and (local / "_SUCCESS").exists()


def test_failed_stage_is_not_uploaded(tmp_path: Path, memory: MemoryFileSystem, monkeypatch) -> None:
    monkeypatch.setenv(staging.WORK_DIR_ENV, str(tmp_path / "work"))

    def work(out: Path) -> dict:
        out.mkdir(parents=True)
        (out / "part-00000.parquet").write_bytes(b"half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        staging.run_staged("memory://failed", work)
    assert not memory.exists("/failed")
    assert (staging.working_dir("memory://failed") / "part-00000.parquet").exists(), "kept for the rerun"


STAGES = {
    "import_lists": lambda url: import_lists(["urls.csv"], url, progress=False),
    "crawl_warc": lambda url: crawl_warc(["a.warc"], url, progress=False),
    "crawl_html": lambda url: crawl_html(CrawlOptions(seeds=("http://example.org/",)), url, progress=False),
    "filter_manifest": lambda url: filter_manifest("manifest", url, FiltersConfig(), progress=False),
    "download_manifest": lambda url: download_manifest("manifest", url, DownloadOptions(), progress=False),
    "manifest_to_shards": lambda url: manifest_to_shards("manifest", url, DownloadOptions(), ImageRules()),
    "build": lambda url: build(BuildConfig(), url, progress=False),
    "the custom job": lambda url: run_job([], url, job="custom", progress=False),  # a custom stage (README)
    "the files job": lambda url: run_file_job([], url, job="files", progress=False),
}


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_functions_refuse_an_output_url_and_name_the_wrapper(name: str, memory: MemoryFileSystem) -> None:
    """A URL ``out_dir`` is one clear error before any work: staging happens at the CLI or in ``run_staged``."""
    with pytest.raises(WitError, match=rf"^memory://x/out: {name} writes a local directory; .*staging\.run_staged"):
        STAGES[name]("memory://x/out")
    assert not memory.exists("/x")


def test_upload_sends_data_before_markers_and_resumes(
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
    memory.pipe("/pub/part-00000.parquet", b"DATA-0")  # same size: left from an interrupted upload
    uploaded: list[str] = []
    real_put = MemoryFileSystem.put_file

    def spy(self, lpath, rpath, *args, **kwargs):
        uploaded.append(rpath.split("/pub/", 1)[1])
        return real_put(self, lpath, rpath, *args, **kwargs)

    monkeypatch.setattr(MemoryFileSystem, "put_file", spy)
    record = staging.upload(local, "memory://pub")
    assert uploaded == [f"{REJECTS_DIR}/part-00000.parquet", STATS_FILE, "_tasks/00000/_SUCCESS", "_SUCCESS"]
    assert record["files"]["part-00000.parquet"] == 6
    assert json.loads(memory.cat("/pub/_PUBLISHED.json"))["files"] == record["files"]
    assert staging.uploaded("memory://pub") and not staging.uploaded(local)
