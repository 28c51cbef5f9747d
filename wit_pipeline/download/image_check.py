"""Cheap checks on downloaded bytes before any full decode: decompression bombs, non-images,
truncated files. Only the image header is parsed, so a 30000x30000 image costs nothing.

A JPEG is complete when an end marker follows its start of scan; a PNG when it holds its IEND
chunk. Bytes after that are allowed (phone "motion photos" append a video to the JPEG), as every
decoder wit uses stops at the end marker.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

from loaders.image_decode import jpeg_segments

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
    if fmt == "JPEG":
        scan = jpeg_segments(data)[2]
        if scan < 0 or data.find(_JPEG_EOI, scan) < 0:
            return "truncated_image", "jpeg without end marker"
    if fmt == "PNG" and data.find(_PNG_IEND) < 0:
        return "truncated_image", "png without IEND"
    return None
