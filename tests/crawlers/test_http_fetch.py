"""One safe GET against local servers: caps, timeouts, checked addresses, redirects returned."""

from __future__ import annotations

import gzip
import socket
import threading
import time

import pytest

from crawlers.html_extract import is_html
from crawlers.http_fetch import Fetcher, FetchLimits
from crawlers.net_safety import AddressPolicy
from crawlers.url_resolve import join_url
from tests.crawlers.conftest import literal_resolver
from tests.crawlers.mini_site import MiniSite
from wit_pipeline.miniweb.loopback import QuietHandler, base_url, serve_loopback

LOCAL = AddressPolicy(allow_networks=("127.0.0.1/32",))
# the drip sends a byte a second: reads never time out (2 s), the whole request does (3 s)
LIMITS = FetchLimits(connect_timeout=1.0, read_timeout=2.0, total_timeout=3.0, max_bytes=100_000)


def fetcher(limits: FetchLimits = LIMITS, policy: AddressPolicy = LOCAL, calls: list | None = None) -> Fetcher:
    return Fetcher(policy, limits, "witbot/test (+tests@example.org)", literal_resolver(calls))


REDIRECTS = {"/a/moved": "images//x.png", "/a/rooted": "/b//c/./x.png?q=1", "/a/broken": "http://[::1/x"}


class Echo(QuietHandler):
    """Answers with gzip bodies, a bomb, a short body, redirects (``REDIRECTS``) and a header echo."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path in REDIRECTS:
            self.send_response(302)
            self.send_header("Location", REDIRECTS[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/gzip":
            body, encoding = gzip.compress(b"<p>compressed page</p>"), "gzip"
        elif self.path == "/bomb":
            body, encoding = gzip.compress(b"\0" * 5_000_000), "gzip"
        elif self.path == "/short":
            body, encoding = b"only this", None
        else:
            body, encoding = (self.headers["User-Agent"] + "|" + self.path).encode(), None
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body) + (100 if self.path == "/short" else 0)))
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def echo():
    with serve_loopback(Echo) as server:
        yield base_url(server)


def test_user_agent_encoding_and_caps(echo: str) -> None:
    result = fetcher().fetch(echo + "/p?q=a b")
    assert result.status == 200 and result.body == b"witbot/test (+tests@example.org)|/p?q=a%20b"
    assert fetcher().fetch(echo + "/gzip").body == b"<p>compressed page</p>"
    assert fetcher().fetch(echo + "/bomb").error == "too_large"
    assert fetcher().fetch(echo + "/short").error == "truncated_response"


def test_redirects_resolve_as_page_links_do(echo: str) -> None:
    """RFC 3986, as browsers and the crawlers' link resolution: empty path segments are kept."""
    moved = fetcher().fetch(echo + "/a/moved")
    assert (moved.status, moved.location) == (302, echo + "/a/images//x.png")
    assert moved.location == join_url(echo + "/a/moved", "images//x.png")
    assert fetcher().fetch(echo + "/a/rooted").location == echo + "/b//c/x.png?q=1"
    broken = fetcher().fetch(echo + "/a/broken")
    assert (broken.status, broken.location, broken.error) == (302, None, "malformed_redirect")


def test_errors_of_the_mini_site(mini_site: MiniSite) -> None:
    f = fetcher()
    started = time.monotonic()
    assert f.fetch(mini_site.url + "stall").error == "read_timeout"
    assert f.fetch(mini_site.url + "drip", accept=is_html).error == "total_timeout"
    assert time.monotonic() - started < 15  # stall + drip + margin; without the caps they hang 10 s and 100 s
    assert f.fetch(mini_site.url + "big").error == "too_large"
    pdf = f.fetch(mini_site.url + "doc.pdf", accept=is_html)
    assert (pdf.error, pdf.body) == ("unwanted_content_type", None)
    redirect = f.fetch(mini_site.url + "loop1")
    assert (redirect.status, redirect.location) == (302, mini_site.url + "loop2")
    assert f.fetch(mini_site.url + "missing").status == 404
    assert f.fetch(f"http://127.0.0.1:{mini_site.silent_port}/").error == "read_timeout"


def test_declared_oversize_is_refused_without_reading(mini_site: MiniSite) -> None:
    small = fetcher(FetchLimits(1.0, 2.0, 3.0, max_bytes=1000))
    assert small.fetch(mini_site.url + "doc.pdf").error == "too_large"


def test_refused_addresses_never_see_a_connection(connect_guard) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    try:
        assert fetcher(policy=AddressPolicy()).fetch(f"http://127.0.0.1:{port}/").error == "address_loopback"
        assert fetcher().fetch("http://10.0.0.1/x").error == "address_private"
        assert fetcher().fetch("http://[fe80::1]/").error == "address_link_local"
        assert fetcher().fetch("http://named.example/").error == "dns_error"
    finally:
        listener.close()
    assert connect_guard.attempts == []


def test_closed_port_and_bad_urls() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    assert fetcher().fetch(f"http://127.0.0.1:{port}/").error == "connection_refused"
    assert fetcher().fetch("ftp://127.0.0.1/x").error == "non_http"
    assert fetcher().fetch("http://127.0.0.1:99999/").error == "malformed_url"


def test_one_watchdog_cuts_each_request_at_its_own_deadline(mini_site: MiniSite) -> None:
    """A request armed later with an earlier deadline is cut first; finished requests are left alone."""
    patient = fetcher(FetchLimits(connect_timeout=1.0, read_timeout=2.0, total_timeout=6.0, max_bytes=100_000))
    hasty = fetcher(FetchLimits(connect_timeout=1.0, read_timeout=2.0, total_timeout=1.5, max_bytes=100_000))
    outcomes: dict[str, tuple[str | None, float]] = {}

    def drip(name: str, f: Fetcher) -> None:
        started = time.monotonic()
        outcomes[name] = (f.fetch(mini_site.url + "drip").error, time.monotonic() - started)

    first = threading.Thread(target=drip, args=("patient", patient))
    first.start()
    time.sleep(0.3)
    drip("hasty", hasty)
    assert outcomes["hasty"][0] == "total_timeout" and outcomes["hasty"][1] < 4
    for _ in range(20):  # each of these arms and disarms an alarm; none is cut
        assert hasty.fetch(mini_site.url + "a").status == 200
    first.join()
    assert outcomes["patient"][0] == "total_timeout" and 5 < outcomes["patient"][1] < 12
