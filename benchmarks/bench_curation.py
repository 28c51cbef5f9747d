"""Benchmark: does curation make better models? DataComp's question on a pool with planted noise.

The pool (``benchmarks.curation_pool``): mini-web shape images whose captions are clean, swapped to another
image's (another class), junk alt text, in other languages, or duplicates; served on 127.0.0.1 and taken
through the real stages. Three training sets:

- (a) **unfiltered**: the whole pool, downloaded (``wit download`` without the image stage);
- (b) **rule filters**: ``wit filter`` (caption rules, English, URL dedup) then download with the image
  stage (exact and perceptual duplicates);
- (c) **rule filters + CLIP score**: (b) filtered by ``clip_filter_shards`` with the model trained on (b)
  (bootstrapped), keeping the top ``--top-fraction``.

The same small CLIP is trained on each for the same number of samples seen, with the same tokenizer
(trained on the pool's captions), and scored by zero-shot top-1 on held-out images of the 10 classes that
the pool never served (``wit_pipeline.miniweb.heldout``), as DataComp reports its baselines. Medians over
``--seeds`` training seeds (the pool is the same for every seed).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.curation_pool import KINDS, PoolShares, composition, make_pool
from benchmarks.report import print_section
from wit_pipeline.config import BuildConfig
from wit_pipeline.download.flow import download_options, image_rules, manifest_to_shards
from wit_pipeline.download.raw_shards import download_manifest
from wit_pipeline.embed.task import EmbedSettings
from wit_pipeline.miniweb.heldout import write_heldout
from wit_pipeline.miniweb.server import serve_site
from wit_pipeline.shards.clip_filter import ClipRule, clip_filter_shards

MODEL = """\
# The benchmark's CLIP: small enough that one training takes seconds on two CPU cores.
embed_dim = 64

[vision]
kind = "vit"
image_size = 32
patch_size = 8
width = 64
layers = 2
heads = 2

[text]
width = 64
layers = 2
heads = 2
"""
SETS = {"a": "(a) unfiltered pool", "b": "(b) rule filters", "c": "(c) rule filters + CLIP score"}


def build_config(args: argparse.Namespace, model: Path) -> BuildConfig:
    """Filter, download and training settings shared by the three sets."""
    config = BuildConfig()
    config.filters.query_matching = False  # the pool's classes are not WIT queries; balancing is not the point
    d = config.download
    d.image_size, d.allow_networks, d.timeout, d.thread_count = 64, ["127.0.0.1/32"], 5.0, 16
    d.min_image_size = 0  # the mini-web's images are 96 px; real web data keeps the 200 px default
    config.shards.samples_per_shard = 1000
    t = config.train
    t.model, t.samples, t.batch_size, t.lr, t.warmup = str(model), args.samples, args.batch_size, 2e-3, 10
    t.vocab_size, t.context_length, t.loader_workers, t.device = 1000, 24, 0, "cpu"
    t.log_every, t.checkpoint_every = 1000, 100_000
    return config


def make_sets(root: Path, args: argparse.Namespace, config: BuildConfig) -> dict[str, str]:
    """Write the pool and sets (a) and (b) under ``root``; returns ``{uid: planted kind}``."""
    from filters.pipeline import filter_manifest
    from loaders import train_tokenizer_for_shards

    pool = make_pool(args.images, PoolShares(swapped=args.swapped))
    with serve_site(pool.site) as base_url:
        kinds = pool.write_manifest(root / "pool", base_url)
        options = download_options(config)
        download_manifest(root / "pool", root / "a", options, progress=False)
        filter_manifest(root / "pool", root / "filtered", config.filters, seed=0, progress=False)
        manifest_to_shards(root / "filtered", root / "b", options, image_rules(config), progress=False)
    tokenizer = train_tokenizer_for_shards(root / "a", config.train.vocab_size, config.train.context_length)
    shutil.copyfile(tokenizer, root / "b" / tokenizer.name)
    return kinds


def train_and_score(config: BuildConfig, data: Path, run: Path, heldout: Path, seed: int) -> float:
    """Train on ``data`` into ``run`` and return zero-shot top-1 on ``heldout``."""
    from wit_pipeline.eval.runner import evaluate
    from wit_pipeline.train.launch import run_training

    config.runtime.seed = seed
    config.train.data = str(data)
    run_training(config, run, progress=False)
    record = evaluate(run, heldout, task="zeroshot", batch_size=200, device="cpu", out=run / "eval.json")
    return float(record["results"]["zeroshot"]["acc1"])


def run_benchmark(args: argparse.Namespace, root: Path) -> dict:
    """Every set and seed; returns accuracies, compositions and timings."""
    model = root / "model.toml"
    model.write_text(MODEL, encoding="utf-8")
    config = build_config(args, model)
    load = os.getloadavg()[0]
    started, cpu_started = time.perf_counter(), cpu_seconds()
    kinds = make_sets(root, args, config)
    heldout = write_heldout(root / "heldout", per_class=args.heldout_per_class)
    prepare_s = time.perf_counter() - started
    acc: dict[str, list[float]] = {s: [] for s in SETS}
    compositions: dict[str, dict] = {"a": composition(root / "a", kinds), "b": composition(root / "b", kinds)}
    train_s: list[float] = []
    for seed in range(args.seeds):
        for name in ("a", "b"):
            t0 = time.perf_counter()
            acc[name].append(train_and_score(config, root / name, root / f"run-{name}-{seed}", heldout, seed))
            train_s.append(time.perf_counter() - t0)
        settings = EmbedSettings(run=str(root / f"run-b-{seed}"), device="cpu", threads=torch.get_num_threads())
        clip_filter_shards(
            root / "b", root / f"c-{seed}", settings, ClipRule(top_fraction=args.top_fraction), None, False
        )
        compositions[f"c-{seed}"] = composition(root / f"c-{seed}", kinds)
        t0 = time.perf_counter()
        acc["c"].append(train_and_score(config, root / f"c-{seed}", root / f"run-c-{seed}", heldout, seed))
        train_s.append(time.perf_counter() - t0)
        print(f"seed {seed}: " + ", ".join(f"{s} {acc[s][-1]:.3f}" for s in SETS), flush=True)
    return {
        "acc": acc,
        "compositions": compositions,
        "prepare_s": prepare_s,
        "train_s": statistics.median(train_s),
        "total_s": time.perf_counter() - started,
        "cpu_s": cpu_seconds() - cpu_started,
        "load": load,
    }


def cpu_seconds() -> float:
    """User + system CPU time of this process (all its threads) and its finished children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def share_row(label: str, counts: dict, accs: list[float]) -> str:
    total = sum(counts.values())
    shares = " | ".join(f"{counts.get(k, 0)} ({100 * counts.get(k, 0) / max(1, total):.0f}%)" for k in KINDS)
    per_seed = ", ".join(f"{100 * a:.1f}" for a in accs)
    return f"| {label} | {total} | {shares} | **{100 * statistics.median(accs):.1f}%** | {per_seed} |"


def report(args: argparse.Namespace, result: dict) -> str:
    """The BENCHMARKS.md section."""
    acc, comp = result["acc"], result["compositions"]
    c_counts = {k: statistics.median(comp[f"c-{s}"].get(k, 0) for s in range(args.seeds)) for k in KINDS}
    swapped_b = comp["b"].get("swapped", 0)
    removed = [swapped_b - comp[f"c-{s}"].get("swapped", 0) for s in range(args.seeds)]
    b_total = sum(comp["b"].values())
    lines = [
        f"`python -m benchmarks.bench_curation` — CPU, {torch.get_num_threads()} torch thread(s). Pool: "
        f"{args.images} mini-web shape images (10 classes) plus {round(0.1 * args.images)} duplicate rows, "
        f"served on 127.0.0.1; planted captions: {100 * args.swapped:.0f}% swapped to another class, 10% junk "
        "alt text, 10% other languages, the rest clean English alt text.",
        "",
        f"The same CLIP (32 px ViT, width 64, 2+2 layers) trained for {args.samples:,} samples seen "
        f"(batch {args.batch_size}) on each set, with one tokenizer; zero-shot top-1 on "
        f"{10 * args.heldout_per_class} held-out images never served (chance 10%); median of {args.seeds} "
        "training seeds (per-seed figures after it). (c) keeps the top "
        f"{100 * args.top_fraction:.0f}% of (b) by `clip_score` under the model trained on (b) with the same seed "
        "(its composition: median over seeds).",
        "",
        "| training set | pairs | clean | swapped | junk | other language | duplicate "
        "| zero-shot top-1 | per seed (%) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        share_row(SETS["a"], comp["a"], acc["a"]),
        share_row(SETS["b"], comp["b"], acc["b"]),
        share_row(SETS["c"], c_counts, acc["c"]),
        "",
        f"The CLIP-score filter removed {statistics.median(removed):.0f} of the {swapped_b} swapped pairs left in "
        f"(b) (median; per seed {', '.join(map(str, removed))}) while dropping "
        f"{100 * (1 - args.top_fraction):.0f}% of (b)'s {b_total} pairs.",
        "",
        f"Cost: {result['cpu_s']:.0f} CPU seconds in all; wall time {result['total_s']:.0f} s "
        f"({result['prepare_s']:.0f} s for the pool, download and filters, median {result['train_s']:.0f} s per "
        f"training + evaluation) on {os.cpu_count()} cores shared with other jobs (load average "
        f"{result['load']:.1f} at start).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=1500, help="images in the pool")
    parser.add_argument("--swapped", type=float, default=0.3, help="share of swapped captions")
    parser.add_argument("--samples", type=int, default=3000, help="samples seen by every training")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--top-fraction", type=float, default=0.6, help="what (c) keeps of (b)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--heldout-per-class", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temporary directory)")
    parser.add_argument("--no-write", action="store_true", help="print the section, leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.keep:
        root = Path(args.keep)
        root.mkdir(parents=True, exist_ok=True)
        result = run_benchmark(args, root)
    else:
        with tempfile.TemporaryDirectory(prefix="wit-curation-") as name:
            result = run_benchmark(args, Path(name))
    text = report(args, result)
    print_section("Curation (issue 12)", text, write=not args.no_write)
    return result


if __name__ == "__main__":
    main()
