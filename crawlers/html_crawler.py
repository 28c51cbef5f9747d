"""The polite breadth-first HTML crawler: robots.txt, per-host limits, allowlist, depth and page caps.

Network I/O runs on a thread pool in the client process (it is I/O bound); all crawl state
is changed on the calling thread only, and every handled URL is persisted through
``CrawlState`` before the next is scheduled. Politeness (``politeness.HostSchedule``, shared with the
image downloader): at most ``per_host_concurrency`` requests per host at a time, ``delay``
seconds (or the host's robots.txt ``Crawl-delay`` if longer, up to ``max_crawl_delay``)
between requests to one host, a 429/503 ``Retry-After`` honoured (up to the same cap), a user
agent naming a contact. Redirects are not followed inline: the target is queued and goes through the same
allowlist, address, robots.txt and politeness checks as any link, with the redirect chain
carried along to stop loops and long chains. A URL no request can be made for (a port out of
range, a broken IPv6 literal) is counted and never queued; one already in a frontier is
handled as a ``malformed_url`` outcome, so a resumed crawl does not trip on it again.

The crawl is reproducible: it goes depth by depth (no page of depth d+1 starts before every
page of depth d is handled), so each URL gets its shortest link depth whatever the timing,
and within a depth URLs are taken in sorted order; when the page budget cannot cover a whole
depth, pages start strictly in that order, so which ones are fetched does not depend on
timing either. The manifest is written in (depth, URL) order (``html_crawl``).
"""

from __future__ import annotations

import heapq
import sys
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crawlers.crawl_state import CrawlState, FrontierItem
from crawlers.html_crawl_options import CrawlOptions, host_allowed
from crawlers.html_extract import extract_page, is_html
from crawlers.html_limits import PageTooComplex
from crawlers.http_fetch import Fetcher
from crawlers.net_safety import AddressRefused, checked_addresses
from crawlers.politeness import BACKOFF_STATUSES, HostSchedule, retry_after
from crawlers.robots import RobotsCache
from crawlers.robots_tags import opt_outs
from crawlers.url_resolve import UnusableUrl, http_target, origin, without_fragment

Queue = list[tuple[int, str, FrontierItem]]  # a heap of (depth, url, item)


class HtmlCrawler:
    """Crawl from the state's frontier until it is empty or ``max_pages`` pages were fetched."""

    def __init__(self, options: CrawlOptions, state: CrawlState, fetcher: Fetcher) -> None:
        self.options = options
        self.state = state
        self.fetcher = fetcher
        self.robots = RobotsCache(fetcher, options.agent)
        self.queues: dict[str, Queue] = {}
        self.hosts = HostSchedule(options.per_host_concurrency, options.delay)
        self.running_depths: Counter = Counter()
        self.queued_depths: Counter = Counter()
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

    def _queue(self, item: FrontierItem) -> None:
        heapq.heappush(self.queues.setdefault(_host(item.url), []), (item.depth, item.url, item))
        self.queued_depths[item.depth] += 1

    def _budget_left(self, running: int) -> bool:
        return self.state.pages_fetched + running < self.options.max_pages

    def _layer(self) -> tuple[int | None, bool]:
        """The depth being crawled (None: nothing left), and whether it must start in strict URL order.

        Strict order is needed when the page budget may not cover the whole layer: then the
        pages fetched must be the first ones in URL order, not the first ones whose host was free.
        """
        depths = [d for d, n in self.running_depths.items() if n] + [d for d, n in self.queued_depths.items() if n]
        if not depths:
            return None, False
        layer = min(depths)
        left = self.options.max_pages - self.state.pages_fetched - sum(self.running_depths.values())
        return layer, self.queued_depths[layer] > left

    def _startable(self, layer: int | None, strict: bool) -> list[str]:
        """Hosts whose next URL belongs to the layer, in the order they may start."""
        hosts = sorted((queue[0][1], host) for host, queue in self.queues.items() if queue and queue[0][0] == layer)
        return [host for _, host in hosts[:1]] if strict else [host for _, host in hosts]

    def _launch(self, pool: ThreadPoolExecutor, running: dict[Future, FrontierItem]) -> None:
        now = time.monotonic()
        while True:
            layer, strict = self._layer()
            launched = False
            for host in self._startable(layer, strict):
                queue = self.queues[host]
                while (
                    queue
                    and queue[0][0] == layer
                    and len(running) < self.options.concurrency
                    and self._budget_left(len(running))
                    and self.hosts.wait_for(host, now) == 0.0
                ):
                    item = heapq.heappop(queue)[2]
                    self.queued_depths[item.depth] -= 1
                    self.running_depths[item.depth] += 1
                    self.hosts.start(host, now)
                    running[pool.submit(self._visit, item)] = item
                    launched = True
                    if strict:
                        break
            if not (strict and launched):
                return

    def _next_ready_in(self, running: int) -> float | None:
        """Seconds until some queued URL may start; None if none can before a running page ends."""
        if not self._budget_left(running):
            return None
        now = time.monotonic()
        waits = [self.hosts.wait_for(host, now) for host in self._startable(*self._layer())]
        waits = [w for w in waits if w is not None]
        return min(waits) if waits else None

    def _visit(self, item: FrontierItem) -> dict:
        """Fetch and parse one URL (worker thread): returns the page record, touches no state."""
        page = {"url": item.url, "depth": item.depth, "fetched": False, "outcome": "", "status": None, "rows": []}
        try:
            self._fetch_page(item, page)
        except Exception as exc:  # noqa: BLE001 - one URL that trips the crawler is an outcome, not its end
            page.update(outcome="crawl_error", detail=f"{type(exc).__name__}: {exc}"[:200], rows=[], links=[])
            page.pop("redirect", None)
        return page

    def _fetch_page(self, item: FrontierItem, page: dict) -> None:
        try:
            scheme, host, port = http_target(item.url)
        except UnusableUrl as exc:
            page["outcome"] = exc.reason
            return
        try:
            checked_addresses(host, port, self.fetcher.policy, self.fetcher.resolver)
        except AddressRefused as exc:
            page["outcome"] = exc.reason
            return
        rules, fetched_robots = self.robots.rules_for(origin(scheme, host, port))
        page["crawl_delay"] = rules.crawl_delay
        if not rules.allowed(item.url):
            page["outcome"] = "robots_unreachable" if rules.unreachable else "robots_disallowed"
            if rules.unreachable:
                page["detail"] = rules.unreachable
            return
        if fetched_robots:
            time.sleep(self._delay_for(rules.crawl_delay))
        result = self.fetcher.fetch(item.url, accept=is_html)
        page.update(fetched=True, status=result.status)
        if result.location:
            page.update(outcome="redirect", redirect=without_fragment(result.location))
        elif result.error:
            page["outcome"] = "not_html" if result.error == "unwanted_content_type" else result.error
        elif result.status is None or not 200 <= result.status < 300:
            page["outcome"] = f"http_{result.status}"
            if result.status in BACKOFF_STATUSES:
                page["retry_after"] = result.header("Retry-After")
        else:
            try:
                self._extract(
                    page, result.body or b"", result.header("Content-Type"), result.header_values("X-Robots-Tag")
                )
            except PageTooComplex as exc:
                page.update(outcome=exc.reason, detail=str(exc), rows=[], links=[])
            except Exception:  # noqa: BLE001 - one unparsable page is an outcome, not the end of the crawl
                page.update(outcome="extract_error", rows=[], links=[])

    def _delay_for(self, crawl_delay: float | None) -> float:
        """Seconds between requests to a host: ``delay``, or its Crawl-delay up to ``max_crawl_delay``."""
        return max(self.options.delay, min(crawl_delay or 0.0, self.options.max_crawl_delay))

    def _extract(self, page: dict, body: bytes, content_type: str | None, robots_tags: list[str]) -> None:
        extract = extract_page(body, page["url"], content_type, agent=self.options.agent, want_links=True)
        rules = opt_outs(robots_tags, self.options.agent).merge(extract.opt_outs)
        page["outcome"] = "opted_out_noai" if rules.no_images else "ok"
        page["rows"] = [] if rules.no_images else extract.rows
        page["links"] = [] if rules.no_follow else extract.links

    def _finish(self, item: FrontierItem, page: dict) -> None:
        """Apply one visit's outcome (calling thread): politeness, new links, persistence."""
        host = _host(item.url)
        now = time.monotonic()
        self.running_depths[item.depth] -= 1
        self.hosts.finish(host, now, self._delay_for(page.pop("crawl_delay", None)))
        if page["status"] in BACKOFF_STATUSES:
            self.hosts.back_off(host, now, retry_after(page.pop("retry_after", None), self.options.max_crawl_delay))
        counters: Counter = Counter()
        candidates: list[FrontierItem] = []
        redirect: FrontierItem | None = None
        target = page.pop("redirect", None)
        if target:
            chain = (*item.chain, item.url)
            unusable = _unusable(target)
            if unusable:
                counters[f"redirect_{unusable}"] += 1
            elif target in chain:
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
            elif _unusable(link):
                counters[f"links_{_unusable(link)}"] += 1
            elif not host_allowed(link, self.options.allowed_domains):
                counters["links_off_allowlist"] += 1
            else:
                candidates.append(FrontierItem(link, item.depth + 1))
        queued = self.state.discover(candidates)
        for new in queued:
            self._queue(new)
        counters["links_queued"] += sum(1 for new in queued if new is not redirect)
        if redirect is not None and redirect not in queued:
            counters["redirect_to_seen"] += 1
        page["counters"] = {k: v for k, v in counters.items() if v}
        self.state.record(page)


def _host(url: str) -> str:
    """The host a URL's requests count against (empty for a URL no request can be made for)."""
    try:
        return http_target(url)[1]
    except UnusableUrl:
        return ""


def _unusable(url: str) -> str | None:
    """Why no request can be made for ``url`` (``malformed_url``, ``non_http``), or None."""
    try:
        http_target(url)
    except UnusableUrl as exc:
        return exc.reason
    return None
