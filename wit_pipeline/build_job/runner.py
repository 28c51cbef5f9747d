"""Run the whole flow from a ``BuildConfig``: sources → filters → download → image stage.

The output's layout is ``wit_pipeline.layout.build_dir``'s.

A rerun after a kill skips finished steps and resumes the unfinished one where it stopped.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from distributed import Client

from crawlers.html_crawl import crawl_html
from crawlers.url_list_import import import_lists
from crawlers.warc_crawl import crawl_warc
from filters.pipeline import filter_manifest
from wit_pipeline.atomic_files import write_json
from wit_pipeline.build_job.options import check_build, crawl_options, import_options, warc_options
from wit_pipeline.config import BuildConfig, write_resolved
from wit_pipeline.download.flow import download_options, image_rules, manifest_to_shards
from wit_pipeline.layout.build_dir import (
    BUILD_FILE,
    CLIP_SHARDS_DIR,
    FILTERED_DIR,
    MERGED_SOURCES,
    SHARDS_DIR,
    source_dir,
)
from wit_pipeline.layout.shard_dir import TOKENIZER_FILE
from wit_pipeline.manifest import list_parts
from wit_pipeline.runtime import run_job
from wit_pipeline.runtime.faults import fault_point
from wit_pipeline.runtime.stage import partition_tasks
from wit_pipeline.staging import local_output


@dataclass
class BuildReport:
    """What each step did in this run: wall seconds and rows out (skipped steps take ~0 s)."""

    steps: list[dict] = field(default_factory=list)

    def timed(self, name: str, run: Callable[[], dict], rows_key: str = "rows_out") -> dict:
        started = time.perf_counter()
        stats = run()
        fault_point("build", name, "done")
        seconds = time.perf_counter() - started
        self.steps.append({"step": name, "seconds": round(seconds, 3), "rows_out": stats.get(rows_key)})
        return stats


def build(config: BuildConfig, out_dir: str | Path, client: Client | None = None, progress: bool = True) -> dict:
    """Run every configured step into the local directory ``out_dir``; returns the final shard stats.

    For a URL, wrap the call: ``run_staged(url, lambda local: build(config, local, client), "shards")``
    (``wit_pipeline.staging``; ``wit build --out URL`` does that). Every step's settings are checked
    before the first step runs (``check_build``).
    """
    out = local_output(out_dir, "build")
    check_build(config)
    out.mkdir(parents=True, exist_ok=True)
    write_resolved(config, out)
    report = BuildReport()
    manifests = _sources(config, out, client, progress, report)
    manifest = (
        manifests[0] if len(manifests) == 1 else _merge(manifests, source_dir(out, MERGED_SOURCES), client, progress)
    )
    report.timed(
        "filter",
        lambda: filter_manifest(manifest, out / FILTERED_DIR, config.filters, config.runtime.seed, client, progress),
    )
    shards = out / SHARDS_DIR
    stats = report.timed(
        "download",
        lambda: manifest_to_shards(
            out / FILTERED_DIR,
            shards,
            download_options(config),
            image_rules(config),
            client,
            progress,
            even_shards=config.shards.reshard,
        ),
        rows_key="samples",
    )
    _tokenizer(shards, config, report, progress)
    if config.filters.clip_model:
        source, shards = shards, out / CLIP_SHARDS_DIR
        stats = report.timed("clip filter", lambda: _clip_filter(config, source, shards, client, progress), "samples")
    record = {"steps": report.steps, "funnel": stats["funnel"], "samples": stats["samples"], "shards": shards.name}
    write_json(out / BUILD_FILE, record)
    return stats


def _clip_filter(config: BuildConfig, source: Path, out: Path, client: Client | None, progress: bool) -> dict:
    """The CLIP-score filter of ``[filters] clip_*`` on the downloaded shards."""
    from wit_pipeline.embed.task import task_threads
    from wit_pipeline.shards.clip_filter import clip_filter_shards, clip_settings

    threads = task_threads(None, config.runtime.workers, config.runtime.scheduler)
    settings, rule = clip_settings(config.filters, threads)
    return clip_filter_shards(source, out, settings, rule, client, progress)


def _sources(config: BuildConfig, out: Path, client: Client | None, progress: bool, report: BuildReport) -> list[Path]:
    s = config.sources
    manifests = []
    if s.lists:
        path = source_dir(out, "import")
        report.timed("import", lambda: import_lists(s.lists, path, import_options(config), client, progress))
        manifests.append(path)
    if s.warc:
        path = source_dir(out, "warc")
        report.timed("crawl warc", lambda: crawl_warc(s.warc, path, warc_options(config), client, progress))
        manifests.append(path)
    if s.seeds:
        path = source_dir(out, "html")
        report.timed("crawl html", lambda: crawl_html(crawl_options(config, s.seeds), path, client, progress))
        manifests.append(path)
    return manifests


def _merge(manifests: list[Path], out: Path, client: Client | None, progress: bool) -> Path:
    """One manifest of every source's parts, carrying every source's funnel."""
    parts = [str(p) for m in manifests for p in list_parts(m)]
    fingerprint = {"merge": [str(m) for m in manifests], "parts": len(parts)}
    tasks = partition_tasks(parts, [])
    run_job(tasks, out, job="merge", fingerprint=fingerprint, client=client, upstream=manifests, progress=progress)
    return out


def _tokenizer(shards: Path, config: BuildConfig, report: BuildReport, progress: bool) -> None:
    """Train the BPE tokenizer on the shards' captions (saved as ``shards/tokenizer.json``)."""
    from loaders import train_tokenizer_for_shards

    if (shards / TOKENIZER_FILE).exists():
        return
    if progress:
        print("wit build: training the tokenizer on the shards' captions", file=sys.stderr)
    train = config.train
    report.timed(
        "tokenizer",
        lambda: {
            "rows_out": str(train_tokenizer_for_shards(shards, train.vocab_size, context_length=train.context_length))
        },
    )
