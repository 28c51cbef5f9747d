"""Real-looking image encodings made in the tests, each with an independent reference decode.

Every case is bytes plus the upright RGB pixels a correct decoder must produce, computed without wit's
decode module: PIL's ``ImageOps.exif_transpose`` for EXIF orientation, PIL's LittleCMS ``profileToProfile``
for ICC profiles, numpy arithmetic for 16-bit scaling and alpha compositing onto white.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageCms, ImageOps

WIDTH, HEIGHT = 60, 40  # landscape, so a missed rotation changes the shape as well as the pixels


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    reference: np.ndarray  # upright HWC uint8 RGB


def upright(width: int = WIDTH, height: int = HEIGHT, seed: int = 0) -> np.ndarray:
    """Smooth colour gradients with a distinct block in one corner: every flip and turn changes it."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // max(1, width - 1), y * 255 // max(1, height - 1), (x + y) * 2 % 256], -1)
    rgb[: height // 3, : width // 4] = (250, 40, 30)
    rng = np.random.default_rng(seed)
    return (rgb + rng.integers(-3, 4, rgb.shape)).clip(0, 255).astype(np.uint8)


def _encode(image: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kw)
    return buf.getvalue()


def _stored_for(orientation: int, pixels: np.ndarray) -> np.ndarray:
    """The stored pixels that EXIF ``orientation`` turns back into ``pixels`` (the inverse transform)."""
    image = Image.fromarray(pixels)
    inverse = {
        2: [Image.Transpose.FLIP_LEFT_RIGHT],
        3: [Image.Transpose.ROTATE_180],
        4: [Image.Transpose.FLIP_TOP_BOTTOM],
        5: [Image.Transpose.TRANSPOSE],
        6: [Image.Transpose.ROTATE_90],
        7: [Image.Transpose.TRANSVERSE],
        8: [Image.Transpose.ROTATE_270],
    }.get(orientation, [])
    for op in inverse:
        image = image.transpose(op)
    return np.asarray(image)


def exif_jpeg(orientation: int) -> Case:
    """A JPEG (quality 95) carrying EXIF orientation ``orientation``; reference: PIL's exif_transpose."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = _encode(Image.fromarray(_stored_for(orientation, upright())), "JPEG", quality=95, exif=exif.tobytes())
    reference = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"))
    return Case(f"exif_{orientation}", data, reference)


def png_bytes(array: np.ndarray, bit_depth: int, colour_type: int) -> bytes:
    """A PNG written byte by byte (PIL cannot write 16-bit colour PNGs): filter 0 on every row."""
    height, width = array.shape[:2]
    dtype = ">u2" if bit_depth == 16 else "u1"
    rows = array.astype(dtype).reshape(height, -1)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def _over_white(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    a = alpha.astype(np.float64)[..., None] / 255
    return np.rint(rgb * a + 255 * (1 - a)).astype(np.uint8)


def sixteen_bit_cases() -> list[Case]:
    """16-bit RGB, RGBA and grey PNGs with values off the multiples of 257; reference: round(v / 257)."""
    rng = np.random.default_rng(1)
    rgb16 = (upright().astype(np.uint32) * 257 + rng.integers(-100, 100, (HEIGHT, WIDTH, 3))).clip(0, 65535)
    rgb8 = np.rint(rgb16 / 257).astype(np.uint8)
    alpha16 = np.tile(np.linspace(0, 65535, WIDTH).astype(np.uint32), (HEIGHT, 1))
    alpha8 = np.rint(alpha16 / 257).astype(np.uint8)
    grey16 = rgb16[..., 1]
    grey8 = np.rint(grey16 / 257).astype(np.uint8)
    return [
        Case("rgb16", png_bytes(rgb16, 16, 2), rgb8),
        Case("rgba16", png_bytes(np.dstack([rgb16, alpha16]), 16, 6), _over_white(rgb8, alpha8)),
        Case("grey16", png_bytes(grey16, 16, 0), np.repeat(grey8[..., None], 3, 2)),
    ]


def alpha_cases() -> list[Case]:
    """RGBA, grey+alpha and palette-with-transparency PNGs; reference: composited onto white."""
    rgb = upright()
    alpha = np.tile(np.linspace(0, 255, WIDTH).astype(np.uint8), (HEIGHT, 1))
    alpha[:, :5] = 0  # fully transparent: must be white, not black
    grey = rgb[..., 0]
    palette = Image.fromarray(rgb).quantize(16)
    palette.info["transparency"] = 0
    palette_rgb = np.asarray(palette.convert("RGB"))
    palette_alpha = np.where(np.asarray(palette) == 0, 0, 255).astype(np.uint8)
    return [
        Case("rgba", _encode(Image.fromarray(np.dstack([rgb, alpha])), "PNG"), _over_white(rgb, alpha)),
        Case(
            "la",
            _encode(Image.fromarray(np.dstack([grey, alpha]), "LA"), "PNG"),
            _over_white(np.repeat(grey[..., None], 3, 2), alpha),
        ),
        Case("palette_transparent", _encode(palette, "PNG", transparency=0), _over_white(palette_rgb, palette_alpha)),
    ]


def _s15f16(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def adobe_rgb_like_profile() -> bytes:
    """An ICC v2 RGB display profile with Adobe RGB (1998) primaries and gamma 563/256, built field by field."""

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ \x00\x00\x00\x00" + _s15f16(x) + _s15f16(y) + _s15f16(z)

    gamma = b"curv\x00\x00\x00\x00" + struct.pack(">IH", 1, 563) + b"\x00\x00"
    text = b"Adobe RGB (1998)-like test profile\x00"
    desc = b"desc\x00\x00\x00\x00" + struct.pack(">I", len(text)) + text + b"\x00" * 8 + b"\x00\x00\x00" + b"\x00" * 67
    tags = [
        (b"desc", desc),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.60974, 0.31111, 0.01947)),
        (b"gXYZ", xyz(0.20528, 0.62567, 0.06087)),
        (b"bXYZ", xyz(0.14919, 0.06322, 0.74457)),
        (b"rTRC", gamma),
        (b"gTRC", gamma),
        (b"bTRC", gamma),
        (b"cprt", b"text\x00\x00\x00\x00no copyright\x00\x00\x00\x00"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for sig, data in tags:
        data += b"\x00" * (-len(data) % 4)
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (
        struct.pack(">I", size)
        + b"\x00\x00\x00\x00"
        + b"\x02\x10\x00\x00"
        + b"mntrRGB XYZ "
        + b"\x07\xea\x00\x0c\x00\x04\x00\x00\x00\x00\x00\x00"
        + b"acsp"
        + b"\x00" * 24
        + b"\x00\x00\x00\x00"
        + _s15f16(0.9642)
        + _s15f16(1.0)
        + _s15f16(0.8249)
        + b"\x00" * 48
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


def icc_cases() -> list[Case]:
    """A JPEG and a PNG tagged with the Adobe-RGB-like profile; reference: LittleCMS to sRGB (perceptual)."""
    profile = adobe_rgb_like_profile()
    source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    srgb = ImageCms.createProfile("sRGB")
    cases = []
    for fmt, kw in (("JPEG", {"quality": 95}), ("PNG", {})):
        data = _encode(Image.fromarray(upright()), fmt, icc_profile=profile, **kw)
        plain = Image.open(io.BytesIO(data)).convert("RGB")
        reference = ImageCms.profileToProfile(plain, source, srgb, renderingIntent=ImageCms.Intent.PERCEPTUAL)
        cases.append(Case(f"icc_{fmt.lower()}", data, np.asarray(reference)))
    return cases


def trailing_bytes_jpeg() -> Case:
    """A complete JPEG followed by a motion photo's video (an MP4 box with random bytes)."""
    jpeg = _encode(Image.fromarray(upright()), "JPEG", quality=95)
    video = struct.pack(">I", 24) + b"ftypmp42" + bytes(np.random.default_rng(2).integers(0, 256, 4000, np.uint8))
    return Case("jpeg_trailing_bytes", jpeg + video, np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB")))


def animated_gif() -> Case:
    """A two-frame GIF: the first frame is the image."""
    first, second = Image.fromarray(upright()).quantize(64), Image.fromarray(255 - upright()).quantize(64)
    data = _encode(first, "GIF", save_all=True, append_images=[second], duration=100, loop=0)
    return Case("animated_gif", data, np.asarray(first.convert("RGB")))


def corpus() -> list[Case]:
    """Every case: EXIF orientations 1-8, 16-bit, alpha, ICC, trailing bytes, an animation."""
    return (
        [exif_jpeg(o) for o in range(1, 9)]
        + sixteen_bit_cases()
        + alpha_cases()
        + icc_cases()
        + [trailing_bytes_jpeg(), animated_gif()]
    )
