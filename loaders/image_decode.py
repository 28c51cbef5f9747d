"""One way to turn image bytes into RGB pixels, shared by download, the loader, ``wit eval`` and ``wit embed``.

Every path that decodes an image calls ``read_header`` then ``decode_rgb``, so a sample has the same pixels
whether it was stored by ``wit download``, written by another tool or read from an eval image folder:

- EXIF orientation (1-8) is applied, so phone photos are upright; ``read_header`` reports the upright size;
- 16-bit images (RGB, RGBA, grey) are scaled to 8 bits (``v * 255 / 65535``), never clipped to white;
- alpha (RGBA, LA, palette transparency) is composited onto ``BACKGROUND``, white as img2dataset does;
- an embedded ICC profile is converted to sRGB (PIL's LittleCMS, perceptual intent); sRGB profiles are a no-op;
- CMYK, palette and LA images are converted to RGB; an animated image gives its first frame;
- bytes after a complete JPEG (motion photos append a video) are ignored.

The common case costs nothing extra: a JPEG goes straight to libjpeg-turbo through simplejpeg after a
walk over its header segments (a dozen steps) that reads the EXIF orientation tag when there is an EXIF
block; the decoded array is then turned when the tag asks for it (a view and one copy). Only JPEGs with
an ICC profile or CMYK pixels, and other formats, take PIL's path. Both paths can decode a JPEG
downscaled by 2, 4 or 8 in the DCT domain when the caller asks for fewer pixels (``min_size``).
"""

from __future__ import annotations

import io
import warnings
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageCms

try:
    import simplejpeg
except ImportError:  # pragma: no cover - the PIL path is tested by forcing decoder="pil"
    simplejpeg = None

BACKGROUND = (255, 255, 255)  # alpha is composited onto white everywhere (img2dataset's choice)
JPEG_MAGIC = b"\xff\xd8"
_EXIF_ORIENTATION = 0x0112
_SRGB = ImageCms.createProfile("sRGB")
_TRANSFORMS: OrderedDict[bytes, ImageCms.ImageCmsTransform | None] = OrderedDict()
_TRANSFORM_CACHE = 32
# Header segments that make a JPEG leave the fast path: APP1 holding EXIF, APP2 holding an ICC profile.
_EXIF_ID = b"Exif\x00\x00"
_ICC_ID = b"ICC_PROFILE\x00"


@dataclass(frozen=True)
class Header:
    """What the header says: the upright size, whether the fast JPEG path can decode it, and the
    EXIF orientation that path must apply."""

    width: int
    height: int
    fast_jpeg: bool
    orientation: int = 1


def jpeg_segments(data: bytes) -> tuple[int, bool, int]:
    """``(EXIF orientation, has ICC, offset of the start-of-scan marker or -1)`` of a JPEG.

    Only segment markers and lengths are read (a dozen steps for a typical file), so the EXIF thumbnail
    inside APP1, which holds its own markers, is skipped over rather than mistaken for the image; of
    the EXIF block only the first directory is read, for the orientation tag (1 when absent).
    """
    orientation, has_icc = 1, False
    pos, end = 2, len(data)
    while pos + 4 <= end:
        if data[pos] != 0xFF:
            return orientation, has_icc, -1
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA:
            return orientation, has_icc, pos
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # markers without a length
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker == 0xE1 and data[pos + 4 : pos + 10] == _EXIF_ID:
            orientation = exif_orientation(data[pos + 10 : pos + 2 + length])
        elif marker == 0xE2 and data[pos + 4 : pos + 16] == _ICC_ID:
            has_icc = True
        pos += 2 + length
    return orientation, has_icc, -1


def exif_orientation(tiff: bytes) -> int:
    """The orientation tag (0x0112) of an EXIF block's first directory; 1 when absent or malformed."""
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return 1
    order = "little" if tiff[:2] == b"II" else "big"
    ifd = int.from_bytes(tiff[4:8], order)
    if ifd + 2 > len(tiff):
        return 1
    count = int.from_bytes(tiff[ifd : ifd + 2], order)
    for entry in range(ifd + 2, min(ifd + 2 + 12 * count, len(tiff) - 11), 12):
        if int.from_bytes(tiff[entry : entry + 2], order) == _EXIF_ORIENTATION:
            value = int.from_bytes(tiff[entry + 8 : entry + 10], order)
            return value if 1 <= value <= 8 else 1
    return 1


def read_header(data: bytes, decoder: str = "auto") -> Header:
    """The upright size of an encoded image without decoding its pixels.

    Raises ``OSError``/``ValueError`` on bytes that are no image and ``ValueError`` past PIL's
    ``MAX_IMAGE_PIXELS`` (the decompression-bomb limit).
    ``decoder="pil"`` forces PIL's path (tests, and machines without simplejpeg).
    """
    if simplejpeg is not None and decoder == "auto" and data[:2] == JPEG_MAGIC:
        orientation, has_icc, _ = jpeg_segments(data)
        if not has_icc:
            try:
                height, width, colorspace, _ = simplejpeg.decode_jpeg_header(data)
            except ValueError:
                colorspace = None
            if colorspace in ("Gray", "YCbCr", "RGB"):  # CMYK/YCCK need PIL's Adobe handling
                _check_pixels(width, height)
                if orientation >= 5:
                    width, height = height, width
                return Header(width, height, True, orientation)
    with _open(data) as image:
        width, height = image.size
        if _orientation(image) in (5, 6, 7, 8):
            width, height = height, width
    return Header(width, height, False)


def decode_rgb(data: bytes, header: Header | None = None, min_size: tuple[int, int] | None = None) -> np.ndarray:
    """Upright sRGB pixels of an encoded image as an HWC uint8 array (see the module docstring for the rules).

    ``min_size`` (upright width, height) lets a JPEG decode downscaled by 2, 4 or 8 as long as the result
    keeps at least that many pixels on each side; other formats always decode at full size.
    """
    header = header or read_header(data)
    if header.fast_jpeg:
        if min_size is None:
            return _orient(simplejpeg.decode_jpeg(data, colorspace="RGB"), header.orientation)
        min_width, min_height = min_size if header.orientation < 5 else (min_size[1], min_size[0])
        pixels = simplejpeg.decode_jpeg(data, colorspace="RGB", min_width=min_width, min_height=min_height)
        return _orient(pixels, header.orientation)
    with _open(data) as image:
        orientation = _orientation(image)
        if min_size is not None and image.format == "JPEG":
            draft = min_size if orientation < 5 else (min_size[1], min_size[0])
            image.draft(image.mode if image.mode in ("RGB", "L") else None, draft)
        array = _to_rgb(image)
    return _orient(array, orientation)


def composite(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``rgb`` (uint8 HWC) over ``BACKGROUND`` with ``alpha`` (uint8 HW), rounded to uint8."""
    a = alpha.astype(np.uint16)[..., None]
    background = np.asarray(BACKGROUND, np.uint16)
    mixed = rgb.astype(np.uint16) * a + background * (255 - a)
    return ((mixed + 127) // 255).astype(np.uint8)


def _open(data: bytes) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as exc:
            raise ValueError(f"{str(exc).split('.')[0]}: exceeds PIL's decompression-bomb limit") from exc
    _check_pixels(image.width, image.height)
    return image


def _check_pixels(width: int, height: int) -> None:
    if width * height > Image.MAX_IMAGE_PIXELS:
        raise ValueError(f"image of {width}x{height} pixels exceeds PIL's decompression-bomb limit")


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation tag (1 when absent or invalid); EXIF is parsed only when the file carries it."""
    if "exif" not in image.info:
        return 1
    try:
        value = int(image.getexif().get(_EXIF_ORIENTATION, 1))
    except Exception:  # a malformed EXIF block means no orientation, not an undecodable image
        return 1
    return value if 1 <= value <= 8 else 1


def _orient(array: np.ndarray, orientation: int) -> np.ndarray:
    """Apply EXIF orientation ``orientation`` to decoded pixels (as PIL's ``ImageOps.exif_transpose``)."""
    if orientation == 2:
        array = array[:, ::-1]
    elif orientation == 3:
        array = array[::-1, ::-1]
    elif orientation == 4:
        array = array[::-1]
    elif orientation == 5:
        array = array.transpose(1, 0, 2)
    elif orientation == 6:
        array = array.transpose(1, 0, 2)[:, ::-1]
    elif orientation == 7:
        array = array.transpose(1, 0, 2)[::-1, ::-1]
    elif orientation == 8:
        array = array.transpose(1, 0, 2)[::-1]
    else:
        return array
    return np.ascontiguousarray(array)


def _to_rgb(image: Image.Image) -> np.ndarray:
    """The first frame of ``image`` as sRGB uint8 HWC, alpha composited, 16-bit scaled, ICC applied."""
    image.load()
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        grey = np.asarray(image).astype(np.uint32)
        grey = ((np.clip(grey, 0, 65535) * 255 + 32767) // 65535).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    if mode == "F":
        grey = np.clip(np.asarray(image), 0, 255).round().astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in image.info)
    if mode in ("1", "P", "PA", "LA", "La", "RGBa", "YCbCr", "HSV", "LAB") or (mode == "L" and has_alpha):
        image = image.convert("RGBA" if has_alpha else "RGB")
    image = _to_srgb(image)
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGB")
    array = np.asarray(image)
    if image.mode == "RGBA":
        return composite(array[..., :3], array[..., 3])
    return array


def _to_srgb(image: Image.Image) -> Image.Image:
    """``image`` converted from its embedded ICC profile to sRGB; unchanged without one or on a broken one."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK", "L"):
        return image
    key = image.mode.encode() + profile
    if key in _TRANSFORMS:
        transform = _TRANSFORMS[key]
        _TRANSFORMS.move_to_end(key)
    else:
        transform = _build_transform(profile, image.mode)
        _TRANSFORMS[key] = transform
        if len(_TRANSFORMS) > _TRANSFORM_CACHE:
            _TRANSFORMS.popitem(last=False)
    if transform is None:
        return image
    try:
        return ImageCms.applyTransform(image, transform)
    except (ImageCms.PyCMSError, ValueError, OSError):
        return image


def _build_transform(profile: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """A transform from ``profile`` to sRGB, or None when the profile is sRGB itself or unusable."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        description = ImageCms.getProfileDescription(source).strip().lower()
        if "srgb" in description or (mode == "L" and "gray" in description):
            return None
        out_mode = "RGBA" if mode == "RGBA" else "RGB"
        return ImageCms.buildTransform(source, _SRGB, mode, out_mode, ImageCms.Intent.PERCEPTUAL)
    except (ImageCms.PyCMSError, ValueError, OSError, TypeError):
        return None
