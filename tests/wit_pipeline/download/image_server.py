"""A local image server (127.0.0.1, ephemeral port) with the misbehaviours downloads must survive."""

from __future__ import annotations

import io
import random
import socket
import struct
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image, ImageDraw

from wit_pipeline.miniweb.loopback import QuietHandler, base_url, serve_loopback

COLOURS = [(220, 30, 30), (30, 200, 30), (30, 30, 220), (230, 200, 20), (150, 40, 160), (20, 180, 180)]


def jpeg_bytes(index: int, size: tuple[int, int] = (320, 240), quality: int = 90) -> bytes:
    """A distinct JPEG per index: random rectangles (seeded by index) on a coloured background."""
    rng = random.Random(index)
    img = Image.new("RGB", size, rng.choice(COLOURS))
    draw = ImageDraw.Draw(img)
    for _ in range(4):
        x, y = rng.randrange(size[0] - 40), rng.randrange(size[1] - 40)
        w, h = rng.randrange(30, size[0] // 2), rng.randrange(30, size[1] // 2)
        draw.rectangle((x, y, x + w, y + h), fill=tuple(rng.randrange(256) for _ in range(3)))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def png_bomb_header(width: int = 30000, height: int = 30000) -> bytes:
    """A PNG that declares ``width`` x ``height`` pixels (a decompression bomb's header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 4096)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


class Handler(QuietHandler):
    """Routes: /img/N.jpg, /status/CODE, /reset, /stall, /drip, /truncated.jpg, /page.jpg,
    /bomb.png, /empty.jpg, /noai.jpg, /redirect-private, /redirect/N.jpg."""

    def send_bytes(self, body: bytes, ctype: str = "image/jpeg", headers: dict | None = None) -> None:
        self.send_body(200, body, ctype, headers)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.hits.append(self.path)
        path, _, query = self.path.partition("?")
        if query.startswith("sleep="):
            time.sleep(float(query[6:]))
        if path in self.server.files:
            self.send_bytes(self.server.files[path], "application/octet-stream")
        elif path.startswith("/img/"):
            self.send_bytes(jpeg_bytes(int(path[5:].split(".")[0])))
        elif path.startswith("/lowq/"):
            self.send_bytes(jpeg_bytes(int(path[6:].split(".")[0]), quality=40))
        elif path.startswith("/wide/"):
            self.send_bytes(jpeg_bytes(int(path[6:].split(".")[0]), (900, 100)))
        elif path.startswith("/big/"):
            self.send_bytes(jpeg_bytes(int(path[5:].split(".")[0]), (1024, 768)))
        elif path.startswith("/status/"):
            self.send_response(int(path[8:]))
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        elif path == "/stall":
            time.sleep(30)
        elif path == "/drip":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _ in range(60):
                try:
                    self.wfile.write(b"\xff")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.5)
        elif path == "/truncated.jpg":
            self.send_bytes(jpeg_bytes(1)[:-200])
        elif path == "/page.jpg":
            self.send_bytes(b"<html><body>not an image</body></html>", "text/html")
        elif path == "/bomb.png":
            self.send_bytes(png_bomb_header(), "image/png")
        elif path == "/empty.jpg":
            self.send_bytes(b"")
        elif path == "/noai.jpg":
            self.send_bytes(jpeg_bytes(2), headers={"X-Robots-Tag": "noai, noimageai"})
        elif path == "/redirect-private":
            self.send_response(302)
            self.send_header("Location", "http://10.255.255.1/x.jpg")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path.startswith("/redirect/"):
            self.send_response(301)
            self.send_header("Location", "/img/" + path[10:])
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()


@contextmanager
def image_server(files: dict[str, bytes] | None = None) -> Iterator[str]:
    """Serve on 127.0.0.1:<ephemeral>; yields the base URL (``http://127.0.0.1:PORT``).

    ``files`` maps extra paths (``/corpus/x.png``) to the bytes served there.
    """
    with serve_loopback(Handler) as server:
        server.hits = []
        server.files = dict(files or {})
        yield base_url(server)
