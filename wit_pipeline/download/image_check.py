"""Cheap checks on downloaded bytes before any full decode: decompression bombs, non-images,
truncated files. Only the image header is parsed, so a 30000x30000 image costs nothing.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

_JPEG_EOI = b"\xff\xd9"
_PNG_IEND = b"IEND\xaeB`\x82"


def image_problem(data: bytes, max_pixels: int) -> tuple[str, str] | None:
    """``(reason, detail)`` if ``data`` must not be decoded, else None."""
    if not data:
        return "empty_body", ""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as img:
                width, height = img.size
                fmt = img.format
        except Image.DecompressionBombError as exc:
            return "too_many_pixels", str(exc).split(".")[0]
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            return "not_an_image", type(exc).__name__
    if width * height > max_pixels:
        return "too_many_pixels", f"{width}x{height}"
    tail = data.rstrip(b"\x00\r\n ")
    if fmt == "JPEG" and not tail.endswith(_JPEG_EOI):
        return "truncated_image", "jpeg without end marker"
    if fmt == "PNG" and not tail.endswith(_PNG_IEND):
        return "truncated_image", "png without IEND"
    return None
