"""Serving HTTP on 127.0.0.1 in a background thread: what the mini-web and the test servers share.

``QuietHandler`` is an HTTP/1.1 request handler that logs nothing and answers with a whole body;
``serve_loopback`` runs a handler class on an (ephemeral) loopback port until its block ends.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 (keep-alive), no request log on stderr, and ``send_body`` for a complete answer."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        return

    def send_body(self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        """Answer ``status`` with ``body`` (its Content-Type and Content-Length set) and extra ``headers``."""
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serve_loopback(
    handler: type[BaseHTTPRequestHandler], port: int = 0, name: str | None = None
) -> Iterator[ThreadingHTTPServer]:
    """Serve ``handler`` on 127.0.0.1:``port`` (0: an ephemeral one) in a daemon thread; yields the server."""
    with ThreadingHTTPServer(("127.0.0.1", port), handler) as server:  # closes the socket on the way out
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, name=name, daemon=True).start()
        try:
            yield server
        finally:
            server.shutdown()


def base_url(server: ThreadingHTTPServer) -> str:
    """``http://127.0.0.1:PORT`` of a server started by ``serve_loopback``."""
    return f"http://127.0.0.1:{server.server_address[1]}"
