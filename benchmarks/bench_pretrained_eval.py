"""Benchmark: image feature extraction with a ViT-B-32 in OpenAI's layout, wit eval vs open_clip-style, on CPU.

Same CPU, same JPEGs, same weights (open_clip's ViT-B-32 with QuickGELU, randomly initialised, saved as an
OpenAI-layout ``.pt`` state dict), same batch size and torch threads; each run in a fresh subprocess,
interleaved, median of ``--runs``:

- **wit**: ``load_run(ViT-B-32.pt)`` and ``wit eval``'s image path (``folder_features``: decode and CLIP's
  resize/center crop on a thread pool as uint8, normalise on the model's device, ``encode_image``);
- **open_clip-style**: what CLIP_benchmark and clip-retrieval do, ``open_clip.create_model`` with the
  checkpoint, ``preprocess`` (PIL bicubic resize of the shortest side, center crop, ToTensor, Normalize) in a
  torch ``DataLoader`` with worker processes, ``encode_image`` under ``no_grad``.

torchvision does not import with the CPU torch build here, so the open_clip side runs its transform on the
stand-in of ``tests/stubs/torchvision`` (torchvision's PIL ops: ``Image.resize`` bicubic, crop, numpy to
tensor), unless a working torchvision is installed. The script also reports the mean cosine between the two
sides' features of the same images (the preprocessing differs by sub-pixel rounding only).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.report import print_section

ROOT = Path(__file__).resolve().parents[1]

SETUP = """
import sys, torch
sys.path.insert(0, sys.argv[2])
from tests.open_clip_ref import import_open_clip
open_clip = import_open_clip()
torch.manual_seed(0)
model = open_clip.create_model("ViT-B-32", pretrained=None, force_quick_gelu=True)
torch.save(model.state_dict(), sys.argv[1])
"""

RUN = """
import json, sys, time
from pathlib import Path
import torch

method, checkpoint, folder, batch, threads, workers, root = sys.argv[1:8]
batch, threads, workers = int(batch), int(threads), int(workers)
torch.set_num_threads(threads)
paths = sorted(Path(folder).glob("*/*.jpg"))
started = time.perf_counter()
if method == "wit":
    from wit_pipeline.eval.datasets import folder_features
    from wit_pipeline.eval.image_folder import scan_image_folder
    from wit_pipeline.model import load_run

    model, _, _ = load_run(checkpoint)
    loaded = time.perf_counter()
    image_folder = scan_image_folder(folder)
    assert list(image_folder.paths) == paths
    features = folder_features(model, image_folder, batch, workers)
else:
    sys.path.insert(0, root)
    from PIL import Image
    from tests.open_clip_ref import import_open_clip

    open_clip = import_open_clip()
    model = open_clip.create_model("ViT-B-32", pretrained=checkpoint, force_quick_gelu=True).eval()
    preprocess = open_clip.image_transform(224, is_train=False)
    loaded = time.perf_counter()

    class Files(torch.utils.data.Dataset):
        def __len__(self):
            return len(paths)

        def __getitem__(self, i):
            return preprocess(Image.open(paths[i]).convert("RGB"))

    loader = torch.utils.data.DataLoader(Files(), batch_size=batch, num_workers=workers)
    blocks = []
    with torch.no_grad():
        for images in loader:
            blocks.append(model.encode_image(images, normalize=True))
    features = torch.cat(blocks)
seconds = time.perf_counter() - loaded
torch.save(features, Path(folder).parent / f"features-{method}.pt")
print(json.dumps({"seconds": seconds, "images": features.shape[0], "load_s": loaded - started}))
"""


def write_images(folder: Path, count: int) -> None:
    """``count`` photo-like JPEGs of mixed sizes (gradients, shapes, noise) in two class folders."""
    import numpy as np
    from PIL import Image, ImageDraw

    for name in ("a", "b"):
        (folder / name).mkdir(parents=True)
    rng = np.random.default_rng(0)
    sizes = [(500, 375), (640, 480), (375, 500), (800, 600), (320, 240), (1024, 768)]
    for i in range(count):
        width, height = sizes[i % len(sizes)]
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        base = rng.uniform(0, 255, 3)
        pixels = np.stack([base[0] * x / width, base[1] * y / height, (np.sin(x / 13 + i) + 1) * base[2] / 2], -1)
        image = Image.fromarray(np.clip(pixels + rng.normal(0, 4, pixels.shape), 0, 255).astype(np.uint8))
        draw = ImageDraw.Draw(image)
        for _ in range(4):
            x0, y0 = int(rng.integers(0, width - 40)), int(rng.integers(0, height - 40))
            draw.ellipse((x0, y0, x0 + 40 + int(rng.integers(0, 120)), y0 + 40), fill=tuple(rng.integers(0, 255, 3)))
        image.save(folder / "ab"[i % 2] / f"{i:05d}.jpg", quality=90)


def measure(method: str, checkpoint: Path, folder: Path, batch: int, threads: int, workers: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": str(threads)}
    args = [method, str(checkpoint), str(folder), str(batch), str(threads), str(workers), str(ROOT)]
    result = subprocess.run([sys.executable, "-c", RUN, *args], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise SystemExit(f"{method} run failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=256, help="JPEGs to embed (256)")
    parser.add_argument("--batch-size", type=int, default=64, help="images per forward pass (64)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads")
    parser.add_argument("--workers", type=int, default=2, help="decode threads (wit) / DataLoader workers (open_clip)")
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs per side (median)")
    args = parser.parse_args(argv)
    import torch

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        folder = tmp_path / "data"
        write_images(folder, args.images)
        checkpoint = tmp_path / "ViT-B-32.pt"
        subprocess.run(
            [sys.executable, "-c", SETUP, str(checkpoint), str(ROOT)],
            check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        runs: dict[str, list[dict]] = {"wit": [], "open_clip": []}
        for _ in range(args.runs):
            for method in runs:
                runs[method].append(measure(method, checkpoint, folder, args.batch_size, args.threads, args.workers))
        wit_features, oc_features = (torch.load(tmp_path / f"features-{m}.pt") for m in ("wit", "open_clip"))
        cosine = (wit_features * oc_features).sum(-1)
    speed = {m: args.images / statistics.median(r["seconds"] for r in rs) for m, rs in runs.items()}
    singles = [w["seconds"] and o["seconds"] / w["seconds"] for w, o in zip(runs["wit"], runs["open_clip"])]
    command = (
        f".venv/bin/python -m benchmarks.bench_pretrained_eval --images {args.images} --batch-size {args.batch_size} "
        f"--threads {args.threads} --workers {args.workers} --runs {args.runs}"
    )
    lines = [
        f"Image features of {args.images} JPEGs (320x240 to 1024x768) with a ViT-B-32 in OpenAI's layout (open_clip's "
        f"architecture, QuickGELU, random weights saved as a `.pt` state dict), batch {args.batch_size}, "
        f"{args.threads} torch threads, {args.workers} decode threads (wit) / DataLoader workers (open_clip), CPU. "
        "Each run in a fresh subprocess, sides interleaved; time from the model loaded to the last feature. "
        f"Load average: {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (on {os.cpu_count()} "
        f"cores, shared with other sessions). Command: `{command}`.",
        "",
        "| side | images/s (median) | runs |",
        "| --- | ---: | ---: |",
        f"| open_clip-style (`create_model` + `preprocess` in a DataLoader) | {speed['open_clip']:.1f} | {args.runs} |",
        f"| wit eval (`load_run` of the `.pt`, `folder_features`) | {speed['wit']:.1f} | {args.runs} |",
        "",
        f"wit / open_clip-style: **{speed['wit'] / speed['open_clip']:.2f}x** (single runs "
        f"{min(singles):.2f}x-{max(singles):.2f}x). Same images, same weights: the cosine between the two sides' "
        f"features is {cosine.mean().item():.5f} on average (min {cosine.min().item():.5f}); they differ only by "
        "the preprocessing's sub-pixel rounding (tests/wit_pipeline/eval/test_clip_preprocessing.py). The model's "
        "forward dominates both; wit decodes JPEGs at reduced size in the DCT domain and resizes uint8 with torch, "
        "open_clip-style resizes full-size decoded images with PIL.",
    ]
    text = "\n".join(lines)
    print_section("Pretrained models: eval throughput (issue 16)", text)


if __name__ == "__main__":
    main()
