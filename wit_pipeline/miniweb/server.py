"""Serve a generated ``Site`` on 127.0.0.1 (ephemeral port); images are drawn on first request."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from wit_pipeline.miniweb.shapes import CLASSES, draw_shape, encode_jpeg
from wit_pipeline.miniweb.site import ImageRoute, Site

IMAGE_SIZE = 96


@lru_cache(maxsize=4096)
def image_bytes(route: ImageRoute) -> bytes:
    """The JPEG a route serves; the ``lowq`` variant is the same picture re-encoded at low quality."""
    img = draw_shape(CLASSES[route.cls], route.seed, IMAGE_SIZE)
    return encode_jpeg(img, quality=35 if route.variant == "lowq" else 90)


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            return

        def _send(self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = self.path.split("?", 1)[0]
            if path == "/robots.txt":
                self._send(200, site.robots.encode(), "text/plain")
            elif path in site.pages:
                self._send(200, site.pages[path].encode(), "text/html; charset=utf-8")
            elif path in site.fake_images:
                self._send(200, b"<html><body>This is not an image.</body></html>", "text/html")
            elif path in site.images:
                route = site.images[path]
                headers = {"X-Robots-Tag": "noai, noimageai"} if route.variant == "noai" else None
                self._send(200, image_bytes(route), "image/jpeg", headers)
            else:
                self._send(404, b"not found", "text/plain")

    return Handler


@contextmanager
def serve_site(site: Site, port: int = 0) -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1 (``port`` 0: an ephemeral one); yields the base URL (``http://127.0.0.1:PORT``)."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(site))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="miniweb", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
