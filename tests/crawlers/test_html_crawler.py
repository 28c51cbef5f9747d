"""The polite crawler against the mini-site: robots, cycles, depth, errors, timeouts, redirects, safety."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pyarrow as pa
import pytest

from crawlers.crawl_state import CRAWL_DIR, PAGES
from crawlers.html_crawl import crawl_html
from crawlers.html_crawl_options import CrawlOptions
from crawlers.http_fetch import FetchLimits
from tests.crawlers.conftest import literal_resolver, page_log, read_parts, site_crawl_options
from tests.crawlers.mini_site import MiniSite
from wit_pipeline import __version__
from wit_pipeline.errors import WitError

# the drip sends a byte a second: reads never time out (2 s), the whole request does (3 s)
LIMITS = FetchLimits(connect_timeout=1.0, read_timeout=2.0, total_timeout=3.0, max_bytes=1024 * 1024)


def site_options(site: MiniSite, **overrides) -> CrawlOptions:
    settings = dict(
        allowed_domains=("127.0.0.1", "10.0.0.1"),
        allow_networks=("127.0.0.1/32",),
        max_depth=2,
        max_pages=60,
        fetch=LIMITS,
    )
    return site_crawl_options(site.url, **(settings | overrides))


def test_crawl_of_the_mini_site(tmp_path: Path, mini_site: MiniSite, connect_guard) -> None:
    calls: list[str] = []
    started = time.monotonic()
    stats = crawl_html(site_options(mini_site), tmp_path, progress=False, resolver=literal_resolver(calls))
    assert time.monotonic() - started < 30  # the drip alone would take 100 s without the total timeout
    base = mini_site.url.rstrip("/")
    log = page_log(tmp_path)
    outcome = {url.removeprefix(base): page["outcome"] for url, page in log.items()}
    assert outcome["/"] == outcome["/a"] == outcome["/b"] == outcome["/a/deeper"] == outcome["/slow"] == "ok"
    assert outcome["/private/secret.html"] == "robots_disallowed"
    assert outcome["/stall"] == "read_timeout"
    assert outcome["/drip"] == "total_timeout"
    silent = log[f"http://127.0.0.1:{mini_site.silent_port}/"]  # its robots.txt never comes: all disallowed
    assert (silent["outcome"], silent["detail"], silent["fetched"]) == ("robots_unreachable", "read_timeout", False)
    assert outcome["/missing"] == "http_404" and outcome["/error"] == "http_500"
    assert outcome["/doc.pdf"] == "not_html"
    assert outcome["/big"] == "too_large"
    assert outcome["/loop1"] == outcome["/loop2"] == outcome["/redirect-private"] == "redirect"
    assert outcome["http://10.0.0.1/x"] == "address_private"
    assert outcome["/noai"] == "opted_out_noai"
    assert outcome["/latin1"] == "ok"
    assert "/a/deeper/deepest" not in outcome  # depth 3 > max_depth 2
    assert all("offsite" not in url for url in log)
    # robots.txt honoured and each page requested once, in spite of the cycles
    assert "/private/secret.html" not in mini_site.requests
    pages = [p for p in mini_site.requests if p != "/robots.txt"]
    assert len(pages) == len(set(pages))
    assert mini_site.requests.count("/robots.txt") == 1
    # the private redirect target was refused before any connection; no DNS for the off-allowlist host
    assert not any(host == "10.0.0.1" for host, _ in connect_guard.attempts)
    assert "offsite.test" not in calls
    (funnel,) = stats["funnel"]
    extra = funnel["extra"]
    assert extra["redirect_loop"] == 1 and extra["links_off_allowlist"] == 1
    assert extra["links_beyond_depth"] == 1
    assert extra["outcome_ok"] == 6 and extra["outcome_opted_out_noai"] == 1
    assert funnel["rows_in"] == funnel["kept"] + funnel["rejected_total"]
    kept = read_parts(tmp_path)
    pairs = dict(zip(kept["url"].to_pylist(), kept["caption"].to_pylist()))
    assert pairs == {
        f"{base}/img/home.png": "home & garden",
        f"{base}/img/a.png": "picture A",
        f"{base}/img/b.png": "Figure B",
        f"{base}/img/deeper.png": "deeper picture",
        f"{base}/img/slow.png": "slow picture",
        f"{base}/img/cafe.png": "café crème",
    }
    assert set(kept["source"].to_pylist()) == {"html"}
    assert kept.filter(pa.compute.equal(kept["url"], f"{base}/img/a.png"))["page_url"].to_pylist() == [f"{base}/a"]


def test_loopback_is_refused_without_permission_before_connecting(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(0.2)
    accepted: list[object] = []

    def accept_loop() -> None:
        while listener.fileno() != -1:
            try:
                accepted.append(listener.accept())
            except OSError:
                if listener.fileno() == -1:
                    return

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    options = CrawlOptions(seeds=(f"http://127.0.0.1:{port}/",), contact="t@example.org", delay=0.0, fetch=LIMITS)
    stats = crawl_html(options, tmp_path, progress=False, resolver=literal_resolver())
    time.sleep(0.3)
    listener.close()
    thread.join(2)
    assert accepted == []
    assert page_log(tmp_path)[f"http://127.0.0.1:{port}/"]["outcome"] == "address_loopback"
    assert stats["funnel"][0]["extra"]["outcome_address_loopback"] == 1
    assert stats["rows_out"] == 0


def test_killed_crawl_resumes_without_refetching(tmp_path: Path, mini_site: MiniSite) -> None:
    options = site_options(mini_site, max_depth=1, seeds=(mini_site.url + "a",), concurrency=1)
    resolve = literal_resolver()
    lookups = []

    def interrupted_resolver(host: str, port: int) -> list[str]:
        lookups.append(host)
        if len(lookups) == 4:  # /a: check, robots.txt, page; then the kill comes
            raise KeyboardInterrupt
        return resolve(host, port)

    with pytest.raises(KeyboardInterrupt):
        crawl_html(options, tmp_path, progress=False, resolver=interrupted_resolver)
    assert [p for p in mini_site.requests if p != "/robots.txt"] == ["/a"]
    with (tmp_path / CRAWL_DIR / PAGES).open("a") as fh:
        fh.write('{"url": "torn')  # a write cut short by the kill
    mini_site.requests.clear()
    stats = crawl_html(options, tmp_path, progress=False, resolver=literal_resolver())
    assert sorted(p for p in mini_site.requests if p != "/robots.txt") == ["/", "/a/deeper"]
    urls = read_parts(tmp_path)["url"].to_pylist()
    assert sorted(u.rsplit("/", 1)[1] for u in urls) == ["a.png", "deeper.png", "home.png"]
    assert stats["funnel"][0]["extra"]["urls_handled"] == 3


def test_resuming_with_other_settings_is_refused(tmp_path: Path, mini_site: MiniSite) -> None:
    crawl_html(site_options(mini_site, max_pages=1), tmp_path, progress=False, resolver=literal_resolver())
    with pytest.raises(WitError, match="different settings"):
        crawl_html(site_options(mini_site, max_pages=2), tmp_path, progress=False, resolver=literal_resolver())


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"seeds": ("ftp://x/",)}, "not an absolute http"),
        ({"seeds": ()}, "no seed URLs"),
        ({"contact": None}, "--contact"),
        ({"max_pages": 0}, "max_pages"),
        ({"allow_networks": ("not-a-net",)}, "allow_networks"),
    ],
)
def test_bad_options_are_user_errors(tmp_path: Path, overrides: dict, message: str) -> None:
    options = CrawlOptions(**{"seeds": ("http://127.0.0.1/",), "contact": "t@example.org", **overrides})
    with pytest.raises(WitError, match=message):
        crawl_html(options, tmp_path, progress=False, resolver=literal_resolver())


def test_politeness_delay_crawl_delay_concurrency_and_page_cap(tmp_path: Path) -> None:
    site = MiniSite(robots="User-agent: *\nDisallow: /private/\nCrawl-delay: 0.3\n")
    try:
        options = site_options(site, max_pages=4, delay=0.1, per_host_concurrency=1, concurrency=8)
        stats = crawl_html(options, tmp_path, progress=False, resolver=literal_resolver())
    finally:
        site.close()
    pages = [v for v in site.visits if v[0] != "/robots.txt"]
    assert len(pages) == 4 == stats["funnel"][0]["extra"]["pages_fetched"]
    assert site.max_in_flight == 1
    starts = sorted(v[1] for v in site.visits)
    ends = sorted(v[2] for v in site.visits)
    # each request starts at least Crawl-delay (0.3 s, longer than --delay) after the previous one ended
    assert all(start - end >= 0.29 for end, start in zip(ends, starts[1:]))
    assert {v[3] for v in site.visits} == {f"witbot/{__version__} (+tests@example.org)"}


def test_redirect_hops_are_bounded(tmp_path: Path, mini_site: MiniSite) -> None:
    options = site_options(mini_site, seeds=(mini_site.url + "loop1",), max_redirects=0)
    stats = crawl_html(options, tmp_path, progress=False, resolver=literal_resolver())
    assert stats["funnel"][0]["extra"]["too_many_redirects"] == 1
    assert [p for p in mini_site.requests if p != "/robots.txt"] == ["/loop1"]
