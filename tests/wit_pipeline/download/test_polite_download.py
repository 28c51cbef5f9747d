"""Issue 19 item 19: downloads are as polite as the crawler (one politeness code for both).

X-Robots-Tag judged on the headers before the body is read, the image host's robots.txt
consulted, per-host concurrency limits, 429/503 Retry-After backoff, a contact in the user agent.
Each case runs ``ImageFetcher`` against a site on 127.0.0.1.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from tests.crawlers.route_site import Route, RouteSite
from tests.wit_pipeline.download.image_server import jpeg_bytes
from wit_pipeline import __version__
from wit_pipeline.download.image_fetch import ImageFetcher
from wit_pipeline.download.options import DownloadOptions

JPEG = jpeg_bytes(3)
NO_ROBOTS = Route(b"", status=404)


def image(**kwargs) -> Route:
    return Route(JPEG, content_type="image/jpeg", **kwargs)


def fetcher(**overrides) -> ImageFetcher:
    base = dict(allow_networks=("127.0.0.1/32",), timeout=5.0, max_bytes=64 << 20)
    return ImageFetcher(DownloadOptions(**{**base, **overrides}))


def get(f: ImageFetcher, url: str, seconds: float = 30.0):
    return f.get(url, time.monotonic() + seconds)


def test_an_opted_out_image_is_refused_on_its_headers_before_the_body() -> None:
    body = JPEG + b"\0" * (48 << 20)  # far more than socket buffers hold
    routes = {
        "/robots.txt": NO_ROBOTS,
        "/noai.jpg": Route(body, content_type="image/jpeg", headers={"X-Robots-Tag": "noai"}),
    }
    with RouteSite(routes) as site:
        response = get(fetcher(), site.url + "noai.jpg")
        time.sleep(0.2)  # let the server notice the hang-up
    assert (response.reason, response.detail) == ("x_robots_tag", "noai")
    assert site.sent.get("/noai.jpg", 0) < len(body) // 2


def test_the_image_hosts_robots_txt_is_honoured() -> None:
    robots = Route(
        "User-agent: *\nDisallow: /private/\n\nUser-agent: wit\nDisallow: /not-for-wit/\n", content_type="text/plain"
    )
    routes = {"/robots.txt": robots, "/private/a.jpg": image(), "/not-for-wit/b.jpg": image(), "/ok.jpg": image()}
    with RouteSite(routes) as site:
        f = fetcher()
        assert get(f, site.url + "ok.jpg").data == JPEG
        assert get(f, site.url + "not-for-wit/b.jpg").reason == "robots_disallowed"
        assert get(f, site.url + "private/a.jpg").data == JPEG  # the wit group applies, not the * one
        assert get(fetcher(user_agent_token="otherbot"), site.url + "private/a.jpg").reason == "robots_disallowed"
        assert get(fetcher(respect_robots_txt=False), site.url + "not-for-wit/b.jpg").data == JPEG
    assert site.paths.count("/robots.txt") == 2  # once per fetcher (shard) that consults it, not per image
    assert site.paths.count("/not-for-wit/b.jpg") == 1  # only when told to ignore robots.txt
    with RouteSite({"/robots.txt": Route(b"down", status=503), "/x.jpg": image()}) as down:
        assert get(fetcher(), down.url + "x.jpg").reason == "robots_unreachable"
    assert down.paths == ["/robots.txt"]


def test_requests_to_one_host_are_limited() -> None:
    routes = {"/robots.txt": NO_ROBOTS} | {f"/{i}.jpg": image(delay=0.15) for i in range(12)}
    with RouteSite(routes) as site:
        f = fetcher(per_host_concurrency=3)
        with ThreadPoolExecutor(12) as pool:
            results = list(pool.map(lambda i: get(f, f"{site.url}{i}.jpg"), range(12)))
    assert all(r.data == JPEG for r in results)
    assert site.max_in_flight == 3


def test_429_and_503_make_the_host_wait_for_retry_after() -> None:
    busy = [Route(b"slow down", status=429, headers={"Retry-After": "1"}), image()]
    routes = {"/robots.txt": NO_ROBOTS, "/busy.jpg": busy, "/other.jpg": image()}
    with RouteSite(routes) as site:
        f = fetcher(retries=1)
        assert get(f, site.url + "busy.jpg").data == JPEG  # retried after the wait
        assert get(f, site.url + "other.jpg").data == JPEG
    visits = {path: (start, end) for path, start, end, _ in site.visits}
    first_end = min(end for path, _, end, _ in site.visits if path == "/busy.jpg")
    assert visits["/other.jpg"][0] - first_end >= 0.95  # the whole host waited, not only the URL
    assert max(start for path, start, _, _ in site.visits if path == "/busy.jpg") - first_end >= 0.95


def test_a_retry_after_past_the_deadline_fails_fast_and_is_capped() -> None:
    busy = [Route(b"", status=503, headers={"Retry-After": "100000"}), image()]
    routes = {"/robots.txt": NO_ROBOTS, "/a.jpg": busy, "/b.jpg": image()}
    with RouteSite(routes) as site:
        f = fetcher()
        assert get(f, site.url + "a.jpg").reason == "http_5xx"
        started = time.monotonic()
        assert get(f, site.url + "b.jpg", seconds=5.0).reason == "shard_deadline"  # no 5 s sleep to find out
        assert time.monotonic() - started < 4.0
        capped = fetcher(max_retry_after=0.3, retries=1)
        assert get(capped, site.url + "a.jpg").data == JPEG


def test_the_user_agent_names_the_contact() -> None:
    with RouteSite({"/robots.txt": NO_ROBOTS, "/x.jpg": image()}) as site:
        get(fetcher(contact="data-team@example.org"), site.url + "x.jpg")
    agents = {headers["User-Agent"] for _, _, _, headers in site.visits}
    assert agents == {f"Mozilla/5.0 (compatible; wit/{__version__}; +data-team@example.org)"}
