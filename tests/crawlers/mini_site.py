"""A small web site served on 127.0.0.1 for crawler tests, with every kind of trouble.

Pages (``/`` links to all of them)::

    /robots.txt            disallows /private/
    /a, /b                 captioned images; link back to / (a cycle); /a -> /a/deeper -> /a/deeper/deepest
    /private/secret.html   disallowed by robots.txt (must never be requested)
    /slow                  answers after 0.3 s (within the limits)
    /stall                 sends headers, then nothing (read timeout)
    /drip                  sends one byte per second (total timeout)
    /missing, /error       404 and 500
    /doc.pdf               not HTML (body must not be read)
    /big                   a 50 MB page streamed without Content-Length (size cap)
    /loop1 <-> /loop2      a redirect loop
    /redirect-private      302 to http://10.0.0.1/x (must be refused before any connection)
    /noai                  X-Robots-Tag: noai (images not taken)
    /latin1                ISO-8859-1 HTML declared in the header only
    http://offsite.test/   a link off the allowlist
    silent port            a socket that accepts connections and never answers
"""

from __future__ import annotations

import socket
import threading
import time
from http.server import ThreadingHTTPServer

from wit_pipeline.miniweb.loopback import QuietHandler

PAGES = {
    "/a": '<img src="/img/a.png" alt="picture A"><a href="/">home</a> <a href="/a/deeper">deeper</a>',
    "/b": '<figure><img src="img/b.png"><figcaption>Figure <b>B</b></figcaption></figure><a href="/a">a</a>',
    "/a/deeper": '<img src="/img/deeper.png" alt="deeper picture"><a href="/a/deeper/deepest">deepest</a>',
    "/a/deeper/deepest": '<img src="/img/deepest.png" alt="too deep">',
    "/private/secret.html": '<img src="/img/secret.png" alt="secret">',
    "/slow": '<img src="/img/slow.png" alt="slow picture">',
    "/noai": '<img src="/img/noai.png" alt="opted out picture"><a href="/">home</a>',
}
BIG_BYTES = 50 * 1024 * 1024


class MiniSite:
    """Serve the site in background threads; ``requests`` lists every path asked for."""

    def __init__(self, robots: str = "User-agent: *\nDisallow: /private/\n") -> None:
        self.requests: list[str] = []
        self.robots = robots.encode()
        self.visits: list[tuple[str, float, float, str]] = []  # path, start, end, User-Agent
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self.stop = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.silent = socket.socket()
        self.silent.bind(("127.0.0.1", 0))
        self.silent.listen(8)
        self.silent_port = self.silent.getsockname()[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()
        self.silent.close()

    def index(self) -> str:
        links = [
            "/a",
            "/b",
            "/private/secret.html",
            "/slow",
            "/stall",
            "/drip",
            "/missing",
            "/error",
            "/doc.pdf",
            "/big",
            "/loop1",
            "/redirect-private",
            "/noai",
            "/latin1",
            f"http://offsite.test:{self.port}/x",
            f"http://127.0.0.1:{self.silent_port}/",
            "/#top",
        ]
        anchors = "".join(f'<a href="{h}">{h}</a>' for h in links)
        return f'<html><body><img src="/img/home.png" alt="home &amp; garden">{anchors}</body></html>'

    def _handler(self) -> type[QuietHandler]:
        site = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                site.requests.append(self.path)
                with site._lock:
                    site.in_flight += 1
                    site.max_in_flight = max(site.max_in_flight, site.in_flight)
                started = time.monotonic()
                try:
                    self._route()
                finally:
                    with site._lock:
                        site.in_flight -= 1
                    site.visits.append((self.path, started, time.monotonic(), self.headers.get("User-Agent", "")))

            def _route(self) -> None:
                route = {
                    "/": lambda: self._html(site.index()),
                    "/robots.txt": lambda: self.send_body(200, site.robots, "text/plain"),
                    "/stall": self._stall,
                    "/drip": self._drip,
                    "/missing": lambda: self.send_body(404, b"not here", "text/html"),
                    "/error": lambda: self.send_body(500, b"broken", "text/html"),
                    "/doc.pdf": lambda: self.send_body(200, b"%PDF-1.4" + b"0" * 100_000, "application/pdf"),
                    "/big": self._big,
                    "/loop1": lambda: self._redirect("/loop2"),
                    "/loop2": lambda: self._redirect("/loop1"),
                    "/redirect-private": lambda: self._redirect("http://10.0.0.1/x"),
                    "/noai": lambda: self._html(PAGES["/noai"], {"X-Robots-Tag": "noai"}),
                    "/latin1": lambda: self.send_body(
                        200,
                        '<img src="/img/cafe.png" alt="café crème">'.encode("latin-1"),
                        "text/html; charset=iso-8859-1",
                    ),
                }.get(self.path)
                if route is not None:
                    route()
                elif self.path in PAGES:
                    if self.path == "/slow":
                        time.sleep(0.3)
                    self._html(PAGES[self.path])
                else:
                    self.send_body(404, b"not found", "text/html")

            def _html(self, body: str, headers: dict[str, str] | None = None) -> None:
                self.send_body(200, f"<html><body>{body}</body></html>".encode(), "text/html; charset=utf-8", headers)

            def _redirect(self, location: str) -> None:
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _stall(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", "1000")
                self.end_headers()
                self.wfile.flush()
                site.stop.wait(10)

            def _drip(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", "100")
                self.end_headers()
                for _ in range(100):
                    if site.stop.wait(1.0):
                        return
                    try:
                        self.wfile.write(b"x")
                        self.wfile.flush()
                    except OSError:
                        return

            def _big(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                block = b"<p>" + b"x" * 65_530 + b"</p>"
                sent = 0
                try:
                    while sent < BIG_BYTES and not site.stop.is_set():
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
                        sent += len(block)
                    self.wfile.write(b"0\r\n\r\n")
                except OSError:
                    return

        return Handler
