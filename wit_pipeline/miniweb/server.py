"""Serve a generated ``Site`` on 127.0.0.1 (ephemeral port); images are drawn on first request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from wit_pipeline.miniweb.loopback import QuietHandler, base_url, serve_loopback
from wit_pipeline.miniweb.shapes import CLASSES, draw_shape, encode_jpeg
from wit_pipeline.miniweb.site import ImageRoute, Site

IMAGE_SIZE = 96


@lru_cache(maxsize=4096)
def image_bytes(route: ImageRoute) -> bytes:
    """The JPEG a route serves; the ``lowq`` variant is the same picture re-encoded at low quality."""
    img = draw_shape(CLASSES[route.cls], route.seed, IMAGE_SIZE)
    return encode_jpeg(img, quality=35 if route.variant == "lowq" else 90)


def _handler(site: Site) -> type[QuietHandler]:
    class Handler(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = self.path.split("?", 1)[0]
            if path == "/robots.txt":
                self.send_body(200, site.robots.encode(), "text/plain")
            elif path in site.pages:
                self.send_body(200, site.pages[path].encode(), "text/html; charset=utf-8")
            elif path in site.fake_images:
                self.send_body(200, b"<html><body>This is not an image.</body></html>", "text/html")
            elif path in site.images:
                route = site.images[path]
                headers = {"X-Robots-Tag": "noai, noimageai"} if route.variant == "noai" else None
                self.send_body(200, image_bytes(route), "image/jpeg", headers)
            else:
                self.send_body(404, b"not found", "text/plain")

    return Handler


@contextmanager
def serve_site(site: Site, port: int = 0) -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1 (``port`` 0: an ephemeral one); yields the base URL (``http://127.0.0.1:PORT``)."""
    with serve_loopback(_handler(site), port, name="miniweb") as server:
        yield base_url(server)
