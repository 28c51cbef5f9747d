"""The polite breadth-first HTML crawler: robots.txt, per-host limits, allowlist, depth and page caps.

Network I/O runs on a thread pool in the client process (it is I/O bound); all crawl state
is changed on the calling thread only, and every handled URL is persisted through
``CrawlState`` before the next is scheduled. Politeness: at most ``per_host_concurrency``
requests per host at a time, ``delay`` seconds (or the host's robots.txt ``Crawl-delay``
if longer) between requests to one host, a user agent naming a contact. Redirects are not
followed inline: the target is queued (ahead of other URLs of its host) and goes through
the same allowlist, address, robots.txt and politeness checks as any link, with the
redirect chain carried along to stop loops and long chains.
"""

from __future__ import annotations

import sys
import time
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from urllib.parse import urlsplit

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crawlers.crawl_state import CrawlState, FrontierItem
from crawlers.html_crawl_options import CrawlOptions, host_allowed
from crawlers.html_extract import extract_page, is_html
from crawlers.http_fetch import Fetcher
from crawlers.net_safety import AddressRefused, checked_addresses
from crawlers.robots import RobotsCache
from crawlers.robots_tags import opt_outs
from crawlers.url_resolve import without_fragment


class HtmlCrawler:
    """Crawl from the state's frontier until it is empty or ``max_pages`` pages were fetched."""

    def __init__(self, options: CrawlOptions, state: CrawlState, fetcher: Fetcher) -> None:
        self.options = options
        self.state = state
        self.fetcher = fetcher
        self.robots = RobotsCache(fetcher, options.agent)
        self.queues: dict[str, deque[FrontierItem]] = {}
        self.next_time: dict[str, float] = {}
        self.in_flight: Counter = Counter()
        self.host_delay: dict[str, float] = {}
        for item in state.pending():
            self._queue(item)

    def run(self, progress: bool = False) -> None:
        """Crawl; returns when nothing is left to fetch or the page budget is spent."""
        columns = [TextColumn("[bold]crawl_html pages"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
        with Progress(*columns, transient=True, disable=not progress, console=Console(file=sys.stderr)) as bar:
            task = bar.add_task("crawl", total=self.options.max_pages, completed=self.state.pages_fetched)
            pool = ThreadPoolExecutor(max_workers=self.options.concurrency, thread_name_prefix="wit-crawl")
            running: dict[Future, FrontierItem] = {}
            try:
                while True:
                    self._launch(pool, running)
                    wake = self._next_ready_in(len(running))
                    if not running:
                        if wake is None:
                            return
                        time.sleep(wake)
                        continue
                    busy = wake is None or len(running) >= self.options.concurrency
                    done, _ = wait(running, timeout=None if busy else wake, return_when=FIRST_COMPLETED)
                    for future in done:
                        item = running.pop(future)
                        self._finish(item, future.result())
                        bar.update(task, completed=self.state.pages_fetched)
            finally:
                pool.shutdown(wait=True, cancel_futures=True)

    def _queue(self, item: FrontierItem, first: bool = False) -> None:
        host = urlsplit(item.url).hostname or ""
        queue = self.queues.setdefault(host, deque())
        if first:
            queue.appendleft(item)
        else:
            queue.append(item)

    def _budget_left(self, running: int) -> bool:
        return self.state.pages_fetched + running < self.options.max_pages

    def _launch(self, pool: ThreadPoolExecutor, running: dict[Future, FrontierItem]) -> None:
        now = time.monotonic()
        for host, queue in self.queues.items():
            while (
                queue
                and len(running) < self.options.concurrency
                and self._budget_left(len(running))
                and self.in_flight[host] < self.options.per_host_concurrency
                and self.next_time.get(host, 0.0) <= now
            ):
                item = queue.popleft()
                self.in_flight[host] += 1
                self.next_time[host] = now + self.host_delay.get(host, self.options.delay)
                running[pool.submit(self._visit, item)] = item

    def _next_ready_in(self, running: int) -> float | None:
        """Seconds until some queued URL may start; None if none ever will in this run."""
        if not self._budget_left(running):
            return None
        now = time.monotonic()
        waits = [
            max(0.0, self.next_time.get(host, 0.0) - now)
            for host, queue in self.queues.items()
            if queue and self.in_flight[host] < self.options.per_host_concurrency
        ]
        return min(waits) if waits else None

    def _visit(self, item: FrontierItem) -> dict:
        """Fetch and parse one URL (worker thread): returns the page record, touches no state."""
        page = {"url": item.url, "depth": item.depth, "fetched": False, "outcome": "", "status": None, "rows": []}
        parts = urlsplit(item.url)
        scheme, host = parts.scheme.lower(), parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        try:
            checked_addresses(host, port, self.fetcher.policy, self.fetcher.resolver)
        except AddressRefused as exc:
            page["outcome"] = exc.reason
            return page
        rules, fetched_robots = self.robots.rules_for(f"{scheme}://{host}:{port}")
        page["crawl_delay"] = rules.crawl_delay
        if not rules.allowed(item.url):
            page["outcome"] = "robots_unreachable" if rules.unreachable else "robots_disallowed"
            if rules.unreachable:
                page["detail"] = rules.unreachable
            return page
        if fetched_robots:
            time.sleep(max(self.options.delay, rules.crawl_delay or 0.0))
        result = self.fetcher.fetch(item.url, accept=is_html)
        page.update(fetched=True, status=result.status)
        if result.location:
            page.update(outcome="redirect", redirect=without_fragment(result.location))
        elif result.error:
            page["outcome"] = "not_html" if result.error == "unwanted_content_type" else result.error
        elif result.status is None or not 200 <= result.status < 300:
            page["outcome"] = f"http_{result.status}"
        else:
            try:
                self._extract(
                    page, result.body or b"", result.header("Content-Type"), result.header_values("X-Robots-Tag")
                )
            except Exception:  # noqa: BLE001 - one unparsable page is an outcome, not the end of the crawl
                page.update(outcome="extract_error", rows=[], links=[])
        return page

    def _extract(self, page: dict, body: bytes, content_type: str | None, robots_tags: list[str]) -> None:
        extract = extract_page(body, page["url"], content_type, agent=self.options.agent, want_links=True)
        rules = opt_outs(robots_tags, self.options.agent).merge(extract.opt_outs)
        page["outcome"] = "opted_out_noai" if rules.no_images else "ok"
        page["rows"] = [] if rules.no_images else extract.rows
        page["links"] = [] if rules.no_follow else extract.links

    def _finish(self, item: FrontierItem, page: dict) -> None:
        """Apply one visit's outcome (calling thread): politeness, new links, persistence."""
        host = urlsplit(item.url).hostname or ""
        self.in_flight[host] -= 1
        delay = max(self.options.delay, page.pop("crawl_delay", None) or 0.0)
        self.host_delay[host] = delay
        self.next_time[host] = max(self.next_time.get(host, 0.0), time.monotonic() + delay)
        counters: Counter = Counter()
        candidates: list[FrontierItem] = []
        redirect: FrontierItem | None = None
        target = page.pop("redirect", None)
        if target:
            chain = (*item.chain, item.url)
            if target in chain:
                counters["redirect_loop"] += 1
            elif len(chain) > self.options.max_redirects:
                counters["too_many_redirects"] += 1
            elif not host_allowed(target, self.options.allowed_domains):
                counters["redirect_off_allowlist"] += 1
            else:
                redirect = FrontierItem(target, item.depth, chain)
                candidates.append(redirect)
        for link in page.pop("links", []):
            if item.depth + 1 > self.options.max_depth:
                counters["links_beyond_depth"] += 1
            elif not host_allowed(link, self.options.allowed_domains):
                counters["links_off_allowlist"] += 1
            else:
                candidates.append(FrontierItem(link, item.depth + 1))
        queued = self.state.discover(candidates)
        for new in queued:
            self._queue(new, first=new is redirect)
        counters["links_queued"] += sum(1 for new in queued if new is not redirect)
        if redirect is not None and redirect not in queued:
            counters["redirect_to_seen"] += 1
        page["counters"] = {k: v for k, v in counters.items() if v}
        self.state.record(page)
