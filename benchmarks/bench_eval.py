"""Benchmark: image<->text retrieval recall@1/5/10 over 100k pairs on CPU, in bounded memory.

Feature extraction is not the point, so the features are seeded random unit embeddings: images, and
captions that are noisy copies of their image (so recall is neither 0 nor 1 and the two methods can be
checked against each other). Side by side, each measurement in a fresh subprocess so that peak RSS
(``ru_maxrss``) is that run's own:

- **wit**: ``wit_pipeline.eval.retrieval.retrieval_recall``, score blocks of 1024 x 8192, both directions
  from one product per block;
- **naive**: what CLIP_benchmark does, the full caption x image score matrix and an N x N positive-pair
  mask in memory, then ``topk`` per batch of 1024 queries in each direction (one ``topk`` of the largest k).

The naive matrix needs ``5 * N^2`` bytes (50 GB at 100k), so it runs at ``--baseline-pairs`` and is
extrapolated (time ~ N^2, memory 5 N^2 bytes); wit runs at that size too, for a same-size comparison.
``base_mb`` is the RSS once the embeddings are loaded; ``peak_mb - base_mb`` is what the method added.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from benchmarks.report import print_section

RUN = """
import json, resource, sys, time
import psutil
import torch
import torch.nn.functional as F

method, n, dim, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
g = torch.Generator().manual_seed(0)
images, texts = torch.empty(n, dim), torch.empty(n, dim)
for s in range(0, n, 8192):  # in chunks, so generating the data does not set the peak
    block = F.normalize(torch.randn(min(8192, n - s), dim, generator=g), dim=1)
    images[s : s + 8192] = block
    texts[s : s + 8192] = F.normalize(block + 6 / dim**0.5 * torch.randn(block.shape, generator=g), dim=1)
del block
text_image = torch.arange(n)


def naive(images, texts, text_image, ks=(1, 5, 10), batch=1024):
    scores = texts @ images.T
    positive = torch.zeros_like(scores, dtype=torch.bool)
    positive[torch.arange(n), text_image] = True
    report = {}
    for name, s, p in (("text_to_image", scores, positive), ("image_to_text", scores.T, positive.T)):
        hits = torch.zeros(max(ks), dtype=torch.long)
        for b in range(0, s.shape[0], batch):
            top = s[b : b + batch].topk(max(ks), dim=1).indices
            found = p[b : b + batch].gather(1, top).cumsum(dim=1) > 0
            hits += found.sum(dim=0)
        for k in ks:
            report[f"{name}_recall@{k}"] = hits[k - 1].item() / s.shape[0]
    return report


base = psutil.Process().memory_info().rss / 2**20
started = time.perf_counter()
if method == "wit":
    from wit_pipeline.eval.retrieval import retrieval_recall

    report = retrieval_recall(images, texts, text_image)
else:
    report = naive(images, texts, text_image)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
recalls = {k: v for k, v in report.items() if k.startswith(("image_to_text", "text_to_image"))}
print(json.dumps({"seconds": seconds, "peak_mb": peak, "base_mb": base, "recalls": recalls}))
"""


def measure(method: str, pairs: int, dim: int, threads: int) -> dict:
    """One run of ``method`` in a fresh interpreter."""
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root), "OMP_NUM_THREADS": str(threads)}
    result = subprocess.run(
        [sys.executable, "-c", RUN, method, str(pairs), str(dim), str(threads)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def median_of(runs: list[dict]) -> dict:
    """Median seconds, peak and base RSS of several runs (recalls are identical across runs)."""
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "peak_mb": statistics.median(r["peak_mb"] for r in runs),
        "base_mb": statistics.median(r["base_mb"] for r in runs),
        "recalls": runs[0]["recalls"],
        "runs": len(runs),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100_000, help="image-caption pairs for wit (100k)")
    parser.add_argument("--baseline-pairs", type=int, default=20_000, help="pairs for the side-by-side (20k)")
    parser.add_argument("--dim", type=int, default=512, help="embedding width (512, as ViT-B CLIP)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement at baseline size (median)")
    parser.add_argument("--large-runs", type=int, default=3, help="runs of wit at --pairs (median)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    small = {
        m: median_of([measure(m, args.baseline_pairs, args.dim, args.threads) for _ in range(args.runs)])
        for m in ("wit", "naive")
    }
    same = all(abs(small["wit"]["recalls"][k] - v) < 1e-12 for k, v in small["naive"]["recalls"].items())
    large = median_of([measure("wit", args.pairs, args.dim, args.threads) for _ in range(args.large_runs)])
    scale = (args.pairs / args.baseline_pairs) ** 2
    naive_large_s = small["naive"]["seconds"] * scale
    naive_large_mb = small["naive"]["base_mb"] * args.pairs / args.baseline_pairs + 5 * args.pairs**2 / 2**20

    def row(name: str, pairs: int, m: dict, note: str = "") -> str:
        added = m["peak_mb"] - m["base_mb"]
        return (
            f"| {name} | {pairs:,} | {m['seconds']:.1f} | {m['peak_mb']:,.0f} | {added:,.0f} | {m['runs']} | {note} |"
        )

    r1 = small["wit"]["recalls"]
    command = (
        f".venv/bin/python -m benchmarks.bench_eval --pairs {args.pairs} --baseline-pairs {args.baseline_pairs} "
        f"--dim {args.dim} --runs {args.runs} --large-runs {args.large_runs} --threads {args.threads}"
    )
    lines = [
        f"Image<->text recall@1/5/10 in both directions, {args.dim}-d random unit embeddings (captions are noisy "
        f"copies of their image), one caption per image, {args.threads} torch threads, CPU. Each run in a fresh "
        "subprocess; peak RSS from `ru_maxrss`; base = RSS with the embeddings loaded. "
        f"Load average over the benchmark: {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
        f"(on {os.cpu_count()} cores). Command: `{command}`.",
        "",
        "| method | pairs | seconds (median) | peak RSS MB | MB above base | runs | note |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        row("naive N x N (CLIP_benchmark style)", args.baseline_pairs, small["naive"]),
        row("wit blocked", args.baseline_pairs, small["wit"], "same recalls as naive" if same else "RECALLS DIFFER"),
        row("wit blocked", args.pairs, large),
        f"| naive N x N, extrapolated | {args.pairs:,} | ~{naive_large_s:,.0f} | ~{naive_large_mb:,.0f} | "
        f"~{5 * args.pairs**2 / 2**20:,.0f} | - | scores float32 + bool mask, 5 N^2 bytes |",
        "",
        f"At {args.baseline_pairs:,} pairs wit takes {small['wit']['seconds'] / small['naive']['seconds']:.2f}x "
        f"the naive time and adds {small['wit']['peak_mb'] - small['wit']['base_mb']:,.0f} MB instead of "
        f"{small['naive']['peak_mb'] - small['naive']['base_mb']:,.0f} MB (512 MiB of it is wit's cache of "
        f"first-pass score blocks). At {args.pairs:,} pairs the naive matrix would need "
        f"~{5 * args.pairs**2 / 2**30:,.0f} GiB; wit's peak is {large['peak_mb']:,.0f} MB. Recall@1 at "
        f"{args.baseline_pairs:,}: image->text {r1['image_to_text_recall@1']:.4f}, text->image "
        f"{r1['text_to_image_recall@1']:.4f}; at {args.pairs:,}: image->text "
        f"{large['recalls']['image_to_text_recall@1']:.4f}.",
    ]
    text = "\n".join(lines)
    print_section("Evaluation (issue 8)", text)


if __name__ == "__main__":
    main()
