"""Benchmark: the streaming loader against an open_clip-style baseline and a decode-only bound.

Side by side on the same generated shards (photo-like JPEGs, quality 95 as img2dataset writes them),
stored at 256 and 512 px, cropped to 224 px, batches of 64:

- decode-only bound: webdataset reading the tars + PIL full decode of every JPEG, nothing else (the PIL
  decoder the baseline uses); a second bound decodes with simplejpeg, the decoder wit uses;
- baseline (what users write today, open_clip's recipe without torchvision): webdataset + PIL full decode
  + bicubic RandomResizedCrop(scale 0.9-1.0) + to-tensor + normalise + batching, with wit's tokenizer;
- wit: ``make_loader`` with its training defaults (shard shuffle, sample shuffle buffer, CLIP crop),
  float output normalised in the worker, and uint8 output (normalised later on the device).

Per-worker figures run in one process with one torch thread (what one DataLoader worker does); the
scaling figures run real DataLoader workers. Medians of several runs.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import torch
import webdataset as wds
from PIL import Image, ImageDraw, ImageFilter
from torch.utils.data import DataLoader

from benchmarks.report import print_section
from loaders import CLIP_MEAN, CLIP_STD, Tokenizer, make_loader, train_tokenizer_for_shards
from loaders.image_decode import simplejpeg  # None when the package is missing: wit then decodes with PIL

WORDS = "a photo of the red blue small large dog cat bird house tree car city river at night in snow".split()


def photo_like(size: int, rng: np.random.Generator) -> bytes:
    """A JPEG with smooth gradients, shapes, soft edges and sensor-like noise (decodes like a photo)."""
    y, x = np.mgrid[0:size, 0:size] / size
    base = np.stack([np.sin(6 * x + rng.random() * 6), np.cos(5 * y * x + rng.random()), x * y], -1)
    img = Image.fromarray(((base * 0.5 + 0.5) * 200).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(30):
        x0, y0 = rng.integers(0, size, 2)
        r = int(rng.integers(size // 30, size // 5))
        draw.ellipse([x0, y0, x0 + r, y0 + r * 1.3], fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
    noisy = np.asarray(img.filter(ImageFilter.GaussianBlur(size / 200))).astype(np.int16)
    noisy += rng.normal(0, 6, noisy.shape).astype(np.int16)
    buf = io.BytesIO()
    Image.fromarray(noisy.clip(0, 255).astype(np.uint8)).save(buf, "JPEG", quality=95)
    return buf.getvalue()


def write_shards(root: Path, size: int, samples: int, shards: int, seed: int = 0) -> list[str]:
    """Shards of ``samples`` photo-like images at ``size`` px (80 distinct images, cycled) with captions."""
    rng, text_rng = np.random.default_rng(seed), random.Random(seed)
    images = [photo_like(size, rng) for _ in range(80)]
    root.mkdir(parents=True)
    per_shard = math.ceil(samples / shards)
    paths = []
    for shard in range(shards):
        path = root / f"{shard:05d}.tar"
        with wds.TarWriter(str(path)) as sink:
            for i in range(shard * per_shard, min(samples, (shard + 1) * per_shard)):
                caption = " ".join(text_rng.choices(WORDS, k=text_rng.randint(4, 14)))
                sink.write({"__key__": f"{i:09d}", "jpg": images[i % len(images)], "txt": caption})
        paths.append(str(path))
    counts = {f"{s:05d}.tar": min(samples, (s + 1) * per_shard) - s * per_shard for s in range(shards)}
    (root / "sizes.json").write_text(json.dumps(counts))
    return paths


class BaselineTransform:
    """open_clip's training preprocess written without torchvision: RRC bicubic, to-tensor, normalise."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.mean = torch.tensor(CLIP_MEAN).view(3, 1, 1)
        self.std = torch.tensor(CLIP_STD).view(3, 1, 1)

    def __call__(self, img: Image.Image) -> torch.Tensor:
        width, height = img.size
        area = width * height
        for _ in range(10):  # torchvision.transforms.RandomResizedCrop.get_params
            target = area * torch.empty(1).uniform_(0.9, 1.0).item()
            aspect = math.exp(torch.empty(1).uniform_(math.log(3 / 4), math.log(4 / 3)).item())
            w, h = round(math.sqrt(target * aspect)), round(math.sqrt(target / aspect))
            if 0 < w <= width and 0 < h <= height:
                i, j = torch.randint(0, height - h + 1, (1,)).item(), torch.randint(0, width - w + 1, (1,)).item()
                break
        else:
            w, h, i, j = width, height, 0, 0
        img = img.crop((j, i, j + w, i + h)).resize((self.size, self.size), Image.BICUBIC)
        tensor = torch.from_numpy(np.array(img, copy=True)).permute(2, 0, 1).contiguous().float().div(255)
        return (tensor - self.mean) / self.std


def baseline_batches(paths: list[str], tok: Tokenizer, size: int, batch: int) -> Iterable:
    """The open_clip-style webdataset pipeline."""
    dataset = (
        wds.WebDataset(paths, shardshuffle=False, empty_check=False)
        .decode("pil")
        .to_tuple("jpg", "txt")
        .map_tuple(BaselineTransform(size), lambda t: t)
        .batched(batch, collation_fn=lambda s: (torch.stack([x for x, _ in s]), tok([t for _, t in s])))
    )
    return dataset


def decode_only_pil(paths: list[str]) -> Iterable:
    """Read the tars with webdataset and fully decode every JPEG with PIL; nothing else."""
    return wds.WebDataset(paths, shardshuffle=False, empty_check=False).decode("pil").to_tuple("jpg")


def decode_only_simplejpeg(paths: list[str]) -> Iterable:
    """Read the tars with webdataset and fully decode every JPEG with simplejpeg."""
    return wds.WebDataset(paths, shardshuffle=False, empty_check=False).map(lambda s: simplejpeg.decode_jpeg(s["jpg"]))


def count_images(pipeline: Iterable) -> int:
    """Run a pipeline to the end; the number of images it produced."""
    return sum(len(item[0]) if torch.is_tensor(item[0]) else 1 for item in pipeline)


def per_worker(
    pipelines: dict[str, Callable[[], Iterable]], repeats: int, clock: Callable[[], float] = time.process_time
) -> dict[str, float]:
    """Median images per second of ``clock`` for each pipeline, runs interleaved so load drifts hit all alike."""
    rates: dict[str, list[float]] = {name: [] for name in pipelines}
    for run in range(repeats + 1):
        for name, make in pipelines.items():
            start = clock()
            count = count_images(make())
            if run:  # the first round warms the page cache and imports
                rates[name].append(count / (clock() - start))
    return {name: statistics.median(r) for name, r in rates.items()}


def single_worker_pipelines(root: Path, paths: list[str], tok: Tokenizer, batch: int) -> dict:
    """The per-worker contenders, each a zero-argument factory of a fresh pass."""

    def wit(uint8: bool) -> Callable[[], Iterable]:
        return lambda: make_loader(root, batch, 224, tokenizer=tok, uint8=uint8, num_workers=0)

    pipelines = {
        "decode_pil": lambda: decode_only_pil(paths),
        "baseline": lambda: baseline_batches(paths, tok, 224, batch),
        "wit_float": wit(False),
        "wit_uint8": wit(True),
    }
    if simplejpeg is not None:
        pipelines["decode_simplejpeg"] = lambda: decode_only_simplejpeg(paths)
    return pipelines


def scaling_pipelines(root: Path, paths: list[str], tok: Tokenizer, batch: int) -> dict:
    """wit and the baseline with 1 and 2 DataLoader worker processes."""
    out = {}
    for workers in (1, 2):
        out[f"wit_uint8_{workers}"] = lambda w=workers: make_loader(
            root, batch, 224, tokenizer=tok, uint8=True, num_workers=w
        )
        out[f"baseline_{workers}"] = lambda w=workers: DataLoader(
            baseline_batches(paths, tok, 224, batch), batch_size=None, num_workers=w
        )
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=384, help="images per stored size")
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    args = parser.parse_args(argv)
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            root = Path(tmp) / f"shards-{size}"
            paths = write_shards(root, size, args.samples, args.shards)
            tok = Tokenizer.load(train_tokenizer_for_shards(root, vocab_size=1000))
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            results[size] = per_worker(single_worker_pipelines(root, paths, tok, args.batch_size), args.repeats)
            torch.set_num_threads(threads)
            load = os.getloadavg()[0]
            results[size]["scaling"] = per_worker(
                scaling_pipelines(root, paths, tok, args.batch_size), args.repeats, clock=time.perf_counter
            )
            results[size]["load"] = (load + os.getloadavg()[0]) / 2
            print(size, json.dumps(results[size]), flush=True)
    text = report(results, args)
    print_section("Loader (issue 6)", text)
    return results


def report(results: dict, args: argparse.Namespace) -> str:
    """BENCHMARKS.md section text."""
    lines = [
        f"`python -m benchmarks.bench_loader` — {args.samples} photo-like JPEGs (quality 95) per stored size in "
        f"{args.shards} shards, random square crop to 224 px, batches of {args.batch_size}; median of "
        f"{args.repeats} interleaved passes after a warm-up pass.",
        "",
        "Per worker: one process with one torch thread, as in a DataLoader worker; images per CPU-second of "
        "that process (robust to other load on the machine).",
        "",
        "| stored | decode-only PIL | decode-only simplejpeg | baseline | wit float | wit uint8 "
        "| wit uint8 / baseline | wit uint8 / decode-only PIL | wit float / baseline | wit float / decode-only PIL |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for size, r in results.items():
        lines.append(
            f"| {size} px | {r['decode_pil']:,.0f} | {r.get('decode_simplejpeg', float('nan')):,.0f} | "
            f"{r['baseline']:,.0f} | "
            f"{r['wit_float']:,.0f} | {r['wit_uint8']:,.0f} | {r['wit_uint8'] / r['baseline']:.2f}x | "
            f"{r['wit_uint8'] / r['decode_pil']:.0%} | {r['wit_float'] / r['baseline']:.2f}x | "
            f"{r['wit_float'] / r['decode_pil']:.0%} |"
        )
    lines += [
        "",
        "Scaling with DataLoader worker processes: images/s of wall-clock time in the training process "
        "(2-core machine shared with other jobs; mean 1-minute load average during the runs in the last column).",
        "",
        "| stored | wit 1 worker | wit 2 workers | wit 2 / 1 | baseline 1 worker | baseline 2 workers | load |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for size, r in results.items():
        s = r["scaling"]
        lines.append(
            f"| {size} px | {s['wit_uint8_1']:,.0f} | {s['wit_uint8_2']:,.0f} | "
            f"{s['wit_uint8_2'] / s['wit_uint8_1']:.2f}x | {s['baseline_1']:,.0f} | {s['baseline_2']:,.0f} | "
            f"{r['load']:.1f} |"
        )
    lines += [
        "",
        'Baseline: webdataset `.decode("pil")` + torchvision-equivalent RandomResizedCrop((0.9, 1.0), bicubic) '
        "+ to-tensor + normalise + `.batched`, tokenised with the same tokenizer. Decode-only: webdataset reading "
        "the tars + a full-size decode per image, nothing else. wit decodes with simplejpeg (libjpeg-turbo; "
        "PIL's draft mode when it is missing), downscales in the DCT domain by 2, 4 or 8 when the crop allows "
        "(the 512 px shards decode at half size, which is why wit passes the full-size decode-only bound there), "
        "resizes with torch's antialiased bicubic on uint8, and also plans the epoch, shuffles (buffer 2000), "
        "tokenises and counts bad samples. wit float normalises in the worker; wit uint8 leaves that to "
        "`normalize_on_device` on the GPU (and ships 4x fewer bytes between processes).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
