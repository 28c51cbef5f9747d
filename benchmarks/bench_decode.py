"""Benchmark: what wit's one image decode costs, per image, in CPU time of this process (load-independent).

    python -m benchmarks.bench_decode

1. Download resize (512x384 photo-like JPEG -> 256 px center crop, JPEG quality 95): img2dataset's
   ``Resizer`` (what ``wit download`` used before issue 18, OpenCV decode) vs wit's ``ImageResizer``
   (``loaders.image_decode`` + OpenCV resize/encode).
2. Loader ``decode_crop`` (train crop to 224 px) on the same photo at 256 and 512 px: a plain JPEG,
   one carrying EXIF orientation 1 (parsed, nothing to do), orientation 6 (turned), and an ICC
   profile (converted to sRGB); simplejpeg's bare full decode as the bound.

Interleaved rounds, medians; one torch thread as in a DataLoader worker.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
from PIL import Image

from benchmarks.bench_loader import photo_like
from benchmarks.report import print_section
from loaders.image_decode import simplejpeg
from loaders.transforms import decode_crop
from wit_pipeline.download.resize import ImageResizer


def variants(size: int, rng: np.random.Generator) -> dict[str, list[bytes]]:
    """Plain, EXIF 1, EXIF 6 and ICC-tagged JPEGs (quality 95) of the same photo-like images."""
    from tests.loaders.image_corpus import adobe_rgb_like_profile  # the test corpus's profile builder

    out: dict[str, list[bytes]] = {"plain": [], "exif 1": [], "exif 6": [], "icc": []}
    for _ in range(24):
        image = Image.open(io.BytesIO(photo_like(size, rng)))
        for name, kw in (
            ("plain", {}),
            ("exif 1", {"exif": _exif(1)}),
            ("exif 6", {"exif": _exif(6)}),
            ("icc", {"icc_profile": adobe_rgb_like_profile()}),
        ):
            buf = io.BytesIO()
            image.save(buf, "JPEG", quality=95, **kw)
            out[name].append(buf.getvalue())
    return out


def _exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


def per_image(fns: dict[str, Callable[[bytes], object]], items: dict[str, list[bytes]], rounds: int) -> dict:
    """Median CPU ms per image of each ``fns[name]`` over ``items[name]``, rounds interleaved."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.process_time()
            for data in items[name]:
                fn(data)
            times[name].append((time.process_time() - start) / len(items[name]) * 1e3)
    return {name: statistics.median(t) for name, t in times.items()}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    from img2dataset.resizer import Resizer

    downloads = []
    for _ in range(24):
        photo = np.asarray(Image.open(io.BytesIO(photo_like(512, rng))))[:384]
        buf = io.BytesIO()
        Image.fromarray(photo).save(buf, "JPEG", quality=90)
        downloads.append(buf.getvalue())
    old = Resizer(256, "center_crop", False, encode_quality=95, encode_format="jpg")
    new = ImageResizer(256, "center_crop", encode_quality=95, encode_format="jpg")
    resize = per_image(
        {"img2dataset Resizer": lambda d: old(io.BytesIO(d)), "wit ImageResizer": new},
        {"img2dataset Resizer": downloads, "wit ImageResizer": downloads},
        args.rounds,
    )
    loader = {}
    for size in (256, 512):
        items = variants(size, rng)
        r = random.Random(0)
        fns: dict[str, Callable[[bytes], object]] = {
            name: (lambda d, r=r: decode_crop(d, 224, True, r)) for name in items
        }
        fns["simplejpeg full decode"] = lambda d: simplejpeg.decode_jpeg(d, colorspace="RGB")
        items["simplejpeg full decode"] = items["plain"]
        loader[size] = per_image(fns, items, args.rounds)
    lines = [
        "`python -m benchmarks.bench_decode` — CPU ms per image in this process (one torch thread), "
        f"medians of {args.rounds} interleaved rounds over 24 photo-like JPEGs (quality 95).",
        "",
        "| download resize, 512x384 JPEG -> 256 px center crop, JPEG 95 | ms per image |",
        "| --- | --- |",
    ]
    lines += [f"| {name} | {ms:.3f} |" for name, ms in resize.items()]
    ratio = resize["wit ImageResizer"] / resize["img2dataset Resizer"]
    lines += [
        "",
        f"wit / img2dataset: **{ratio:.2f}x** the CPU per image (the square is cut before resizing; no "
        "stdout/stderr redirection around each call).",
        "",
        "| loader decode_crop -> 224 px | " + " | ".join(loader[256]) + " |",
        "| --- | " + " | ".join("---" for _ in loader[256]) + " |",
    ]
    for size, row in loader.items():
        lines.append(f"| {size} px | " + " | ".join(f"{ms:.3f}" for ms in row.values()) + " |")
    lines += [
        "",
        "Plain and EXIF-tagged JPEGs take libjpeg-turbo's path through simplejpeg (a walk over the header "
        "segments reads the orientation tag; orientation 6 then turns the decoded array); ICC-tagged "
        "JPEGs decode through PIL (DCT-domain downscaling kept) and are converted to sRGB with LittleCMS.",
    ]
    text = "\n".join(lines)
    print_section("Image decode (issue 18)", text, write=not args.no_write)
    return {"resize": resize, "loader": loader}


if __name__ == "__main__":
    main()
