"""Resize and re-encode one downloaded image: img2dataset's resize modes on wit's decode.

Pixels come from ``loaders.image_decode`` (EXIF orientation, 16-bit, alpha onto white, ICC to sRGB; the
loader and ``wit eval`` decode the same way), then the size rules run on the upright size, then
img2dataset's modes: ``center_crop`` (shortest side to ``image_size`` and the centre square; the square
is cut out before resizing, so the work and the output are bounded whatever the aspect ratio),
``keep_ratio`` (shortest side), ``keep_ratio_largest`` and ``border`` (longest side; ``border`` pads to a
white square), ``no``. Downscaling is OpenCV's area interpolation, upscaling Lanczos, and encoding
OpenCV's, all as img2dataset does. A JPEG much larger than the output is decoded downscaled by 2, 4 or 8
in the DCT domain first (never below the output size).

The output is bounded: the aspect ratio is capped by ``max_aspect_ratio`` (3 by default, DataComp's
basic filter), and whatever the options, no output side exceeds ``MAX_OUTPUT_ASPECT * image_size``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from loaders.image_decode import decode_rgb, read_header
from wit_pipeline.config import DownloadConfig

# The longest output side of the keep-ratio modes, in multiples of image_size, when max_aspect_ratio
# is off: a 20000x1 banner would otherwise become 5,120,000x256 pixels.
MAX_OUTPUT_ASPECT = 16
_WHITE = (255, 255, 255)


class ResizeError(Exception):
    """An image the size rules reject or the decoder cannot read: ``reason`` is the funnel's code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Resized:
    """An encoded output image with its size and the upright size of the source."""

    data: bytes
    width: int
    height: int
    original_width: int
    original_height: int


@dataclass(frozen=True)
class ImageResizer:
    """Decode, check, resize and encode images under one set of download options."""

    image_size: int
    resize_mode: str = "center_crop"
    resize_only_if_bigger: bool = False
    encode_format: str = "jpg"
    encode_quality: int = 95
    min_image_size: int = DownloadConfig.min_image_size
    max_aspect_ratio: float = DownloadConfig.max_aspect_ratio
    max_pixels: int = DownloadConfig.max_pixels

    def __call__(self, data: bytes) -> Resized:
        """The encoded output for ``data``; raises ``ResizeError`` (``too_small``, ...) to reject it."""
        try:
            header = read_header(data)
        except Exception as exc:  # any decoder failure on untrusted bytes is a reject
            raise ResizeError("decode_error", f"{type(exc).__name__}: {exc}"[:200]) from exc
        width, height = header.width, header.height
        self.check_size(width, height)
        try:
            pixels = decode_rgb(data, header, self._decode_size(width, height))
        except Exception as exc:  # any decoder failure on untrusted bytes is a reject
            raise ResizeError("decode_error", f"{type(exc).__name__}: {exc}"[:200]) from exc
        cv2.setNumThreads(1)  # the shard's threads are the parallelism; OpenCV's own pool would oversubscribe
        out = self._resize(pixels)
        ok, encoded = cv2.imencode(f".{self.encode_format}", cv2.cvtColor(out, cv2.COLOR_RGB2BGR), self._params())
        if not ok:
            raise ResizeError("encode_error", f"OpenCV could not encode {out.shape[1]}x{out.shape[0]}")
        return Resized(encoded.tobytes(), out.shape[1], out.shape[0], width, height)

    def check_size(self, width: int, height: int) -> None:
        """Raise ``ResizeError`` when an image of this upright size must not be kept."""
        if min(width, height) < max(1, self.min_image_size):
            raise ResizeError("too_small", f"{width}x{height} (min side {self.min_image_size})")
        if width * height > self.max_pixels:
            raise ResizeError("too_many_pixels", f"{width}x{height}")
        aspect = max(width, height) / min(width, height)
        if self.max_aspect_ratio and aspect > self.max_aspect_ratio:
            raise ResizeError("aspect_ratio_too_large", f"{width}x{height} (max {self.max_aspect_ratio:g})")
        if self.resize_mode == "keep_ratio" and aspect > MAX_OUTPUT_ASPECT:
            raise ResizeError("aspect_ratio_too_large", f"{width}x{height} (output bound {MAX_OUTPUT_ASPECT}:1)")

    def _decode_size(self, width: int, height: int) -> tuple[int, int] | None:
        """The fewest upright pixels the resize needs (None: full size)."""
        if self.resize_mode == "no":
            return None
        side = min(width, height) if self.resize_mode in ("center_crop", "keep_ratio") else max(width, height)
        factor = side / self.image_size
        reduce = max((f for f in (8, 4, 2) if factor >= 2 * f), default=1)  # keep the area filter's input >= 2x
        return (math.ceil(width / reduce), math.ceil(height / reduce)) if reduce > 1 else None

    def _resize(self, pixels: np.ndarray) -> np.ndarray:
        height, width = pixels.shape[:2]
        size, mode = self.image_size, self.resize_mode
        if mode == "no":
            return pixels
        if mode == "center_crop":
            side = min(width, height)
            if side <= size and self.resize_only_if_bigger:
                return pixels  # img2dataset leaves such an image whole, uncropped
            top, left = (height - side) // 2, (width - side) // 2
            return _scale(pixels[top : top + side, left : left + side], size, size)
        shortest = mode == "keep_ratio"
        ref = min(width, height) if shortest else max(width, height)
        if ref <= size and self.resize_only_if_bigger:
            return pixels  # img2dataset leaves such an image whole, unpadded
        scale = size / ref
        out = _scale(pixels, max(1, round(width * scale)), max(1, round(height * scale)))
        if mode == "border":
            bottom, right = size - out.shape[0], size - out.shape[1]
            top, left = max(0, bottom // 2), max(0, right // 2)
            bottom, right = max(0, bottom - top), max(0, right - left)
            out = cv2.copyMakeBorder(out, top, bottom, left, right, cv2.BORDER_CONSTANT, value=_WHITE)
        return out

    def _params(self) -> list[int]:
        flag = {"jpg": cv2.IMWRITE_JPEG_QUALITY, "png": cv2.IMWRITE_PNG_COMPRESSION, "webp": cv2.IMWRITE_WEBP_QUALITY}
        return [int(flag[self.encode_format]), self.encode_quality]


def _scale(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize to ``width`` x ``height``: area averaging down, Lanczos up (img2dataset's choices)."""
    if (pixels.shape[1], pixels.shape[0]) == (width, height):
        return np.ascontiguousarray(pixels)
    down = width <= pixels.shape[1] and height <= pixels.shape[0]
    return cv2.resize(pixels, (width, height), interpolation=cv2.INTER_AREA if down else cv2.INTER_LANCZOS4)
