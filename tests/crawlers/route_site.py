"""A web site made of routes given by the test, on 127.0.0.1 (or ::1), for hostile-input cases.

Each route is a ``Route`` (status, body, headers, a delay before answering) or a list of them
answered in turn (the last one repeats). Every request is logged with its start and end time,
so tests can check order and spacing, and the body bytes actually sent are counted per path.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer

from wit_pipeline.miniweb.loopback import QuietHandler


@dataclass
class Route:
    """One answer: ``body`` (str is sent as UTF-8 HTML), after ``delay`` seconds."""

    body: str | bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str = "text/html; charset=utf-8"


def page(html: str, **kwargs) -> Route:
    """An HTML page route."""
    return Route(f"<html><body>{html}</body></html>", **kwargs)


class _V6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class RouteSite:
    """Serve ``routes`` (path -> Route; others 404) in background threads."""

    def __init__(self, routes: dict[str, Route | list[Route]], host: str = "127.0.0.1") -> None:
        self.routes = routes
        self.sent: dict[str, int] = {}
        self._served: dict[str, int] = {}
        self.visits: list[tuple[str, float, float, dict[str, str]]] = []  # path, start, end, headers
        self.in_flight: dict[str, int] = {}
        self.max_in_flight = 0  # requests seen at once before any was answered (during their delays)
        self._lock = threading.Lock()
        server_cls = _V6Server if ":" in host else ThreadingHTTPServer
        self.server = server_cls((host, 0), self._handler())
        self.server.daemon_threads = True
        self.host = host
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    @property
    def paths(self) -> list[str]:
        return [v[0] for v in self.visits]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> RouteSite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _route(self, path: str) -> Route:
        route = self.routes.get(path) or Route(b"not found", status=404)
        if isinstance(route, list):
            with self._lock:
                turn = self._served.get(path, 0)
                self._served[path] = turn + 1
            route = route[min(turn, len(route) - 1)]
        return route

    def _handler(self) -> type[QuietHandler]:
        site = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                started = time.monotonic()
                try:
                    route = site._route(self.path)
                    with site._lock:
                        site.in_flight[self.path] = site.in_flight.get(self.path, 0) + 1
                        site.max_in_flight = max(site.max_in_flight, sum(site.in_flight.values()))
                    time.sleep(route.delay)
                    with site._lock:  # counted before answering: a client is surely still waiting
                        site.in_flight[self.path] -= 1
                    body = route.body.encode() if isinstance(route.body, str) else route.body
                    self.send_response(route.status)
                    self.send_header("Content-Type", route.content_type)
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in route.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.flush()
                    for start in range(0, len(body), 65536):
                        self.wfile.write(body[start : start + 65536])
                        site.sent[self.path] = site.sent.get(self.path, 0) + len(body[start : start + 65536])
                except OSError:
                    pass  # the client hung up: the point of some tests
                finally:
                    site.visits.append((self.path, started, time.monotonic(), dict(self.headers)))

        return Handler
