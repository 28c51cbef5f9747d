"""Issue 19: single hostile inputs must not stop, stall or skew an HTML crawl.

Malformed URLs (item 1), Crawl-delay bombs (item 3), IPv6-literal seeds (item 5) and a crawl
whose output depends on network timing (item 14), each against a site served on loopback.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from crawlers.crawl_state import CRAWL_DIR, PAGES, CrawlState, FrontierItem
from crawlers.html_crawl import crawl_html
from crawlers.html_crawl_options import CrawlOptions, resolve_options
from crawlers.http_fetch import FetchLimits
from tests.crawlers.conftest import literal_resolver, page_log, read_parts, site_crawl_options
from tests.crawlers.route_site import Route, RouteSite, page
from wit_pipeline.errors import WitError

LIMITS = FetchLimits(connect_timeout=1.0, read_timeout=2.0, total_timeout=3.0)
POISON = ("http://127.0.0.1:99999/", "http://[::1/x", "http://127.0.0.1:0/", "http://127.0.0.1:-1/")


def options(site: RouteSite, **overrides) -> CrawlOptions:
    settings = dict(allow_networks=("127.0.0.1/32", "::1/128"), max_depth=3, max_pages=100, fetch=LIMITS)
    return site_crawl_options(site.url, **(settings | overrides))


def extra(stats: dict) -> dict:
    return stats["funnel"][0]["extra"]


def test_malformed_links_and_redirects_are_counted_not_fatal(tmp_path: Path) -> None:
    links = "".join(f'<a href="{u}">x</a>' for u in POISON) + '<a href="/moved">m</a><a href="/ok">ok</a>'
    routes = {
        "/robots.txt": Route(b"", status=404),
        "/": page(f'<img src="http://127.0.0.1:99999/i.png" alt="bad port image">{links}'),
        "/moved": Route(status=302, headers={"Location": "http://127.0.0.1:70000/elsewhere"}),
        "/ok": page('<img src="/fine.png" alt="a fine picture">'),
    }
    with RouteSite(routes) as site:
        stats = crawl_html(options(site), tmp_path, progress=False, resolver=literal_resolver())
    counts = extra(stats)
    assert counts["links_malformed_url"] == len(POISON)
    assert counts["redirect_malformed_url"] == 1
    assert {p.removeprefix(site.url.rstrip("/")) for p in page_log(tmp_path)} == {"/", "/moved", "/ok"}
    assert read_parts(tmp_path)["caption"].to_pylist() == ["a fine picture"]
    rejects = read_parts(next(d for d in (tmp_path / "_rejects", tmp_path / "rejects") if d.is_dir()))
    assert rejects["url"].to_pylist() == ["http://127.0.0.1:99999/i.png"]
    assert rejects["reason"].to_pylist() == ["malformed_url"]


def test_a_poison_url_already_in_the_frontier_is_handled_once(tmp_path: Path) -> None:
    """A frontier written before the fix may hold a bad URL: it becomes an outcome, and a rerun skips it."""
    routes = {"/robots.txt": Route(b"", status=404), "/": page('<img src="/a.png" alt="home picture">')}
    with RouteSite(routes) as site:
        opts = options(site)
        state = CrawlState(tmp_path, resolve_options(opts).identity(), [site.url])
        state.discover([FrontierItem(url, 1) for url in POISON])
        state.close()
        crawl_html(opts, tmp_path, progress=False, resolver=literal_resolver())
        outcomes = {url: p["outcome"] for url, p in page_log(tmp_path).items()}
        assert [outcomes[u] for u in POISON] == ["malformed_url"] * len(POISON)
        assert outcomes[site.url] == "ok"
        (tmp_path / CRAWL_DIR / "_DONE").unlink()  # as if killed before the end: the rerun crawls again
        crawl_html(opts, tmp_path, progress=False, resolver=literal_resolver())
    assert len((tmp_path / CRAWL_DIR / PAGES).read_text().splitlines()) == 1 + len(POISON)


@pytest.mark.parametrize("seed", ["http://127.0.0.1:99999/", "http://[::1/"])
def test_a_malformed_seed_is_a_user_error(tmp_path: Path, seed: str) -> None:
    with pytest.raises(WitError, match="port in 1-65535"):
        crawl_html(CrawlOptions(seeds=(seed,), contact="t@example.org"), tmp_path, progress=False)


@pytest.mark.parametrize("value", ["inf", "100000", "1e400"])
def test_crawl_delay_bombs_are_capped(tmp_path: Path, value: str) -> None:
    routes = {
        "/robots.txt": Route(f"User-agent: *\nCrawl-delay: {value}\n", content_type="text/plain"),
        "/": page('<a href="/a">a</a><a href="/b">b</a>'),
        "/a": page('<img src="/a.png" alt="picture a">'),
        "/b": page('<img src="/b.png" alt="picture b">'),
    }
    with RouteSite(routes) as site:
        crawl_html(options(site, max_crawl_delay=0.2), tmp_path, progress=False, resolver=literal_resolver())
    visits = sorted(site.visits, key=lambda v: v[1])
    assert sorted(v[0] for v in visits) == ["/", "/a", "/b", "/robots.txt"]
    # honoured up to the cap: each request starts at least 0.2 s after the previous one ended
    assert all(b[1] - a[2] >= 0.19 for a, b in zip(visits, visits[1:]))
    assert len(read_parts(tmp_path)) == 2


@pytest.mark.parametrize(
    ("name", "value"), [("delay", float("inf")), ("delay", float("nan")), ("max_crawl_delay", -1.0)]
)
def test_delays_must_be_finite(tmp_path: Path, name: str, value: float) -> None:
    bad = CrawlOptions(seeds=("http://127.0.0.1/",), contact="t@example.org", **{name: value})
    with pytest.raises(WitError, match=name):
        crawl_html(bad, tmp_path, progress=False)


def test_an_ipv6_literal_seed_is_crawled_with_its_own_robots_txt(tmp_path: Path) -> None:
    try:
        site = RouteSite(
            {
                "/robots.txt": Route("User-agent: *\nDisallow: /private\n", content_type="text/plain"),
                "/": page('<img src="/v6.png" alt="over IPv6"><a href="/private">p</a>'),
            },
            host="::1",
        )
    except OSError as exc:
        pytest.skip(f"no IPv6 loopback here: {exc}")
    with site:
        crawl_html(options(site), tmp_path, progress=False, resolver=literal_resolver())
    outcomes = {url: p["outcome"] for url, p in page_log(tmp_path).items()}
    assert outcomes == {site.url: "ok", site.url + "private": "robots_disallowed"}
    assert site.paths == ["/robots.txt", "/"]
    assert site.visits[1][3]["Host"] == f"[::1]:{site.port}"
    assert read_parts(tmp_path)["url"].to_pylist() == [f"http://[::1]:{site.port}/v6.png"]


def depth_race_site() -> RouteSite:
    """/slow-hub (depth 1) answers late; the fast path reaches /target at depth 3 first."""
    return RouteSite(
        {
            "/robots.txt": Route(b"", status=404),
            "/": page('<a href="/slow-hub">s</a><a href="/fast">f</a><a href="/e">e</a><a href="/c">c</a>'),
            "/slow-hub": page('<img src="/hub.png" alt="hub"><a href="/target">t</a>', delay=0.8),
            "/fast": page('<img src="/fast.png" alt="fast"><a href="/fast2">f2</a>'),
            "/fast2": page('<img src="/fast2.png" alt="fast two"><a href="/target">t</a>'),
            "/target": page('<img src="/target.png" alt="target"><a href="/leaf">leaf</a>'),
            "/leaf": page('<img src="/leaf.png" alt="leaf">'),
            "/e": page('<img src="/e.png" alt="e">'),
            "/c": page('<img src="/c.png" alt="c">', delay=0.3),
        }
    )


def test_links_get_their_shortest_depth_whatever_the_timing(tmp_path: Path) -> None:
    with depth_race_site() as site:
        crawl_html(options(site), tmp_path, progress=False, resolver=literal_resolver())
    base = site.url.rstrip("/")
    depths = {url.removeprefix(base): p["depth"] for url, p in page_log(tmp_path).items()}
    assert depths == {"/": 0, "/slow-hub": 1, "/fast": 1, "/e": 1, "/c": 1, "/fast2": 2, "/target": 2, "/leaf": 3}
    started = {v[0]: v[1] for v in site.visits}
    ended = {v[0]: v[2] for v in site.visits}
    assert started["/fast2"] >= ended["/slow-hub"]  # depth by depth
    pages = read_parts(tmp_path)["page_url"].to_pylist()
    assert [p.removeprefix(base) for p in pages] == ["/c", "/e", "/fast", "/slow-hub", "/fast2", "/target", "/leaf"]


def test_two_runs_write_identical_manifests(tmp_path: Path) -> None:
    with depth_race_site() as site:
        for run in ("one", "two"):
            crawl_html(options(site, concurrency=4), tmp_path / run, progress=False, resolver=literal_resolver())
    one, two = (read_parts(tmp_path / run / "") for run in ("one", "two"))
    assert one.equals(two)
    assert [pq.read_metadata(p).num_rows for p in sorted((tmp_path / "one").glob("part-*.parquet"))] == [7]


def test_a_page_budget_short_of_a_depth_takes_its_first_urls(tmp_path: Path) -> None:
    links = "".join(f'<a href="/{name}">{name}</a>' for name in "edcba")
    routes = {"/robots.txt": Route(b"", status=404), "/": page(links)}
    routes |= {
        f"/{name}": page(f'<img src="/{name}.png" alt="{name}">', delay=0.05 * i) for i, name in enumerate("edcba")
    }
    with RouteSite(routes) as site:
        crawl_html(options(site, max_pages=3), tmp_path, progress=False, resolver=literal_resolver())
    assert sorted(site.paths) == ["/", "/a", "/b", "/robots.txt"]


def test_the_demo_crawl_twice_gives_the_same_manifest(tmp_path: Path) -> None:
    """Issue 19 item 14 on the demo's own mini-web and crawl settings (16 requests in flight)."""
    from wit_pipeline.build_job.options import crawl_options
    from wit_pipeline.demo import DemoSettings, demo_config
    from wit_pipeline.miniweb.server import serve_site
    from wit_pipeline.miniweb.site import build_site

    with serve_site(build_site(pages=120, seed=0)) as base:
        config = demo_config(base, tmp_path / "config", DemoSettings(pages=120))
        crawl = crawl_options(config, config.sources.seeds)
        tables = [crawl_html(crawl, tmp_path / run, progress=False) and read_parts(tmp_path / run) for run in "ab"]
    assert tables[0].num_rows > 500
    assert tables[0].equals(tables[1])
