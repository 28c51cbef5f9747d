"""``wit crawl html``: crawl (resumably), then write the collected rows as a manifest.

The crawl runs in the client process and persists everything under ``OUT/_crawl/``; when
it is over, the page log is read in (depth, URL) order, whatever order pages finished in,
cut into tasks of about ``rows_per_part`` image rows and written through ``run_job`` like
any manifest, with page outcomes (fetched, refused by robots.txt, timed out, opted out...)
counted in the stage's ``extra``. So the manifest (row order, keys, and everything built
from it) is a function of the crawled site and the settings, not of network timing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from distributed import Client

from crawlers.crawl_rows import RowBatch
from crawlers.crawl_state import CRAWL_DIR, PAGES, CrawlState, page_index, read_pages
from crawlers.html_crawl_options import CrawlOptions, resolve_options
from crawlers.html_crawler import HtmlCrawler
from crawlers.http_fetch import Fetcher
from crawlers.net_safety import Resolver, system_resolver
from wit_pipeline.layout.job_dir import task_name
from wit_pipeline.manifest import ManifestLimits
from wit_pipeline.runtime import Chunk, run_job
from wit_pipeline.staging import local_output

STAGE = "crawl_html"


@dataclass(frozen=True)
class PageLogTask:
    """Turn the page records at some ``(offset, length)`` spans of the page log into one chunk."""

    task_id: str
    path: str
    spans: tuple[tuple[int, int], ...]
    limits: ManifestLimits

    def run(self) -> Iterator[Chunk]:
        """One chunk of the pages' rows, with page outcomes and link counts in ``extra``."""
        batch = RowBatch()
        for page in read_pages(Path(self.path), self.spans):
            batch.extra["urls_handled"] += 1
            batch.extra["pages_fetched"] += bool(page["fetched"])
            batch.extra[f"outcome_{page['outcome']}"] += 1
            batch.extra.update(page.get("counters", {}))
            batch.add("html", page["rows"], page["url"])
        yield batch.to_chunk(STAGE, self.limits)


def page_log_tasks(path: Path, rows_per_part: int, limits: ManifestLimits) -> list[PageLogTask]:
    """Cut the page log, in (depth, URL) order, into tasks of about ``rows_per_part`` rows (at least one)."""
    groups: list[list[tuple[int, int]]] = []
    spans: list[tuple[int, int]] = []
    rows = 0
    for _, _, offset, length, count in sorted(page_index(path)):
        spans.append((offset, length))
        rows += count
        if rows >= rows_per_part:
            groups.append(spans)
            spans, rows = [], 0
    if spans or not groups:
        groups.append(spans)
    return [PageLogTask(task_name(i), str(path), tuple(g), limits) for i, g in enumerate(groups)]


def crawl_html(
    options: CrawlOptions,
    out_dir: str | Path,
    client: Client | None = None,
    progress: bool = True,
    resolver: Resolver = system_resolver,
) -> dict:
    """Crawl from ``options.seeds`` into the manifest directory ``out_dir``; returns its stats.

    Rerunning the same command after a kill resumes the crawl from ``OUT/_crawl/`` without
    refetching handled pages, then (re)writes the manifest. ``resolver`` maps a host name to
    addresses (tests use it to name local servers without DNS). ``out_dir`` is local (for a URL see
    ``wit_pipeline.staging``: the crawl state is then kept in the staging copy).
    """
    out = local_output(out_dir, "crawl_html")
    return write_crawl_manifest(run_crawl(options, out, progress, resolver), out, client, progress)


def run_crawl(
    options: CrawlOptions, out_dir: str | Path, progress: bool = True, resolver: Resolver = system_resolver
) -> CrawlOptions:
    """The crawl itself (client process, no dask); returns the checked options it ran with."""
    options = resolve_options(options)
    state = CrawlState(local_output(out_dir, "crawl_html"), options.identity(), list(options.seeds))
    try:
        if not state.finished:
            fetcher = Fetcher(options.policy, options.fetch, options.user_agent or "", resolver)
            HtmlCrawler(options, state, fetcher).run(progress)
            state.finish()
    finally:
        state.close()
    return options


def write_crawl_manifest(
    options: CrawlOptions, out_dir: str | Path, client: Client | None = None, progress: bool = True
) -> dict:
    """Write the rows of a finished crawl in ``out_dir`` as its manifest, through ``run_job``."""
    options = resolve_options(options)
    out = local_output(out_dir, "crawl_html")  # absolute: workers read the page log wherever they run
    log = out / CRAWL_DIR / PAGES
    tasks = page_log_tasks(log, options.rows_per_part, options.limits)
    fingerprint = {"crawl": options.identity(), "log_bytes": log.stat().st_size}
    return run_job(tasks, out, job=STAGE, fingerprint=fingerprint, client=client, progress=progress)
