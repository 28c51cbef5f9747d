"""Benchmark: the trainer's per-step overhead against a bare PyTorch loop, and its data wait on real shards.

1. Overhead: the same model (``tiny``), the same in-memory batches, the same optimiser (AdamW with
   CLIP's groups and settings, gradient clipping, logit-scale clamp) run by a bare loop written as
   users write it and by ``wit_pipeline.train.Trainer`` (schedule, metrics, progress accounting).
   Step time is the time between consecutive batch fetches, so the final checkpoint is left out.
   Alternating runs; median step time per run, median over runs.
2. Data wait: the trainer fed by ``loaders.make_loader`` (2 worker processes) from shards of
   256 px JPEGs (the download stage's default size), as the run's own ``metrics.jsonl`` reports it.
"""

from __future__ import annotations

import argparse
import io
import math
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from benchmarks.report import print_section
from wit_pipeline.config import TrainConfig
from wit_pipeline.model import CLIP, get_model_config
from wit_pipeline.model.run_dir import RunDir, read_metrics
from wit_pipeline.train import Trainer
from wit_pipeline.train.optim import param_groups

SEED = 0
WARMUP_STEPS = 3
DATA_LOG_EVERY = 4  # steps per metrics record in the data-wait run


class InterleavedLoader:
    """In-memory batches with the loader interface; before handing the trainer batch i it runs the bare
    loop's step i on the same batch, so both loops alternate step by step under the same machine load.
    """

    def __init__(self, batches: list, bare_step) -> None:
        self.batches, self.bare_step, self.num_batches = batches, bare_step, len(batches)
        self.position, self.before, self.after = 0, [], []

    def set_epoch(self, epoch: int) -> None:
        self.position = 0

    def state_dict(self) -> dict:
        return {"position": self.position}

    def load_state_dict(self, state: dict) -> None:
        self.position = state["position"]

    def __iter__(self):
        while self.position < len(self.batches):
            batch = self.batches[self.position]
            self.before.append(time.perf_counter())
            self.bare_step(batch)
            self.after.append(time.perf_counter())
            self.position += 1
            yield batch

    def step_times(self) -> tuple[list[float], list[float]]:
        """(bare, trainer) step times, warm-up steps dropped; the trainer's exclude the bare steps between."""
        bare = [b - a for a, b in zip(self.before, self.after)]
        trainer = [b - a for a, b in zip(self.after, self.before[1:])]
        return bare[WARMUP_STEPS:], trainer[WARMUP_STEPS:]


def make_batches(steps: int, batch: int, image_size: int, context: int, vocab: int) -> list:
    g = torch.Generator().manual_seed(SEED)
    tokens = torch.randint(1, vocab - 2, (steps, batch, context), generator=g)
    lengths = torch.randint(4, context - 1, (steps, batch, 1), generator=g)
    tokens = torch.where(torch.arange(context) < lengths, tokens, 0)
    tokens.scatter_(2, lengths, vocab - 1)
    images = torch.randn(steps, batch, 3, image_size, image_size, generator=g)
    return [(images[i], tokens[i]) for i in range(steps)]


class BareStep:
    """What a user writes by hand: forward, symmetric CE, backward, clip, AdamW step, clamp."""

    def __init__(self, model_config, lr: float) -> None:
        torch.manual_seed(SEED)
        self.model = CLIP(model_config)
        self.optimizer = torch.optim.AdamW(param_groups(self.model, 0.2), lr=lr, betas=(0.9, 0.98), eps=1e-6)

    def __call__(self, batch: tuple[torch.Tensor, torch.Tensor]) -> None:
        images, tokens = batch
        image_features, text_features, logit_scale = self.model(images, tokens)
        logits = logit_scale * image_features @ text_features.T
        labels = torch.arange(images.shape[0])
        loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0, foreach=True)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        with torch.no_grad():
            self.model.logit_scale.clamp_(0, math.log(100))


def paired_run(model_config, batches: list, lr: float, batch: int, tmp: Path) -> tuple[list[float], list[float]]:
    """One Trainer.fit() over ``batches`` with the bare loop's steps interleaved."""
    config = TrainConfig(batch_size=batch, lr=lr, warmup=5, device="cpu", log_every=10, checkpoint_every=10**9)
    loader = InterleavedLoader(batches, BareStep(model_config, lr))
    run = RunDir(tempfile.mkdtemp(dir=tmp))
    run.tokenizer.write_text("{}")
    Trainer(config, model_config, loader, run, seed=SEED).fit()
    return loader.step_times()


def overhead(args: argparse.Namespace, tmp: Path) -> dict:
    model_config = get_model_config("tiny")
    model_config.text.vocab_size = args.vocab
    image_size, context = model_config.vision.image_size, model_config.text.context_length
    batches = make_batches(args.steps, args.batch_size, image_size, context, args.vocab)
    runs: dict[str, list[float]] = {"bare": [], "trainer": []}
    ratios: list[float] = []
    for _ in range(args.repeats):
        bare, trainer = paired_run(model_config, batches, 5e-4, args.batch_size, tmp)
        runs["bare"].append(statistics.median(bare))
        runs["trainer"].append(statistics.median(trainer))
        ratios += [t / ((before + after) / 2) for before, t, after in zip(bare, trainer, bare[1:])]
    return {
        "bare_s": statistics.median(runs["bare"]),
        "trainer_s": statistics.median(runs["trainer"]),
        "overhead": statistics.median(ratios) - 1,
        "runs": runs,
    }


def write_jpeg_shards(root: Path, samples: int, per_shard: int, size: int) -> None:
    import json

    import webdataset as wds
    from PIL import Image, ImageDraw

    from loaders import Tokenizer

    colours = {"red": (220, 30, 30), "green": (30, 180, 60), "blue": (40, 60, 220), "yellow": (230, 210, 40)}
    names, shapes, captions, sizes = list(colours), ("square", "circle", "triangle"), [], {}
    root.mkdir(parents=True)
    for shard in range(math.ceil(samples / per_shard)):
        count = min(per_shard, samples - shard * per_shard)
        with wds.TarWriter(str(root / f"{shard:05d}.tar")) as sink:
            for i in range(count):
                n = shard * per_shard + i
                colour, shape = names[n % 4], shapes[(n // 4) % 3]
                image = Image.new("RGB", (size, size), (250 - n % 40, 245, 240))
                draw = ImageDraw.Draw(image)
                box = (20 + n % 30, 20 + n % 17, size - 20 - n % 23, size - 20)
                if shape == "triangle":
                    draw.polygon(
                        [(box[0], box[3]), (box[2], box[3]), ((box[0] + box[2]) // 2, box[1])], colours[colour]
                    )
                else:
                    (draw.rectangle if shape == "square" else draw.ellipse)(box, fill=colours[colour])
                buf = io.BytesIO()
                image.save(buf, "JPEG", quality=90)
                caption = f"a photo of a {colour} {shape}, number {n % 97}"
                captions.append(caption)
                sink.write({"__key__": f"{shard:05d}{i:05d}", "jpg": buf.getvalue(), "txt": caption, "json": {}})
        sizes[f"{shard:05d}.tar"] = count
    (root / "sizes.json").write_text(json.dumps(sizes))
    Tokenizer.train(captions, vocab_size=1000).save(root / "tokenizer.json")


def data_wait(args: argparse.Namespace, tmp: Path) -> dict:
    from wit_pipeline.config import BuildConfig
    from wit_pipeline.train.launch import run_training

    shards = tmp / "shards"
    write_jpeg_shards(shards, args.loader_samples, 256, 256)
    config = BuildConfig()
    config.runtime.seed = SEED
    t = config.train
    t.data, t.batch_size, t.loader_workers, t.device = str(shards), args.loader_batch, 2, "cpu"
    t.log_every = DATA_LOG_EVERY
    t.checkpoint_every, t.warmup = 10**9, 5
    run = tmp / "run"
    run_training(config, run, progress=False)
    records = read_metrics(run / "metrics.jsonl")
    # Intervals after the first, which includes starting the loader's worker processes.
    intervals = [(r, r["step"] - p["step"]) for p, r in zip(records, records[1:])]
    wait = sum(r["data_wait"] * r["step_time"] * n for r, n in intervals)
    total = sum(r["step_time"] * n for r, n in intervals)
    return {
        "data_wait": wait / total,
        "samples_per_s": statistics.median(r["samples_per_s"] for r, _ in intervals),
        "step_s": statistics.median(r["step_time"] for r, _ in intervals),
        "steps": records[-1]["step"],
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=16, help="steps per overhead run")
    parser.add_argument("--repeats", type=int, default=3, help="paired runs")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--vocab", type=int, default=8192, help="text vocabulary of the tiny model")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: stable on a shared machine)")
    parser.add_argument("--loader-samples", type=int, default=1024)
    parser.add_argument("--loader-batch", type=int, default=64)
    args = parser.parse_args(argv)
    if args.steps < WARMUP_STEPS + 2:
        parser.error(f"--steps must be at least {WARMUP_STEPS + 2} (the first {WARMUP_STEPS} are warm-up)")
    if args.loader_samples // args.loader_batch < 2 * DATA_LOG_EVERY:
        parser.error(
            f"--loader-samples must be at least {2 * DATA_LOG_EVERY} batches of --loader-batch "
            f"(two metrics records, {DATA_LOG_EVERY} steps apart)"
        )
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        o = overhead(args, tmp)
        d = data_wait(args, tmp)
    runs = ", ".join(f"{b * 1000:.0f}/{w * 1000:.0f}" for b, w in zip(o["runs"]["bare"], o["runs"]["trainer"]))
    text = "\n".join(
        [
            "`python -m benchmarks.bench_trainer` — CPU, "
            f"{args.threads} torch thread(s), `tiny` model (64 px ViT, width 128, 4 layers; text vocab {args.vocab}).",
            "",
            f"**Step overhead** — batch {args.batch_size}, {args.steps} steps per run ({WARMUP_STEPS} warm-up steps "
            f"dropped), {args.repeats} runs; baseline: a bare PyTorch loop with the same model, batches, "
            "AdamW groups, (foreach) clipping and clamp, its steps interleaved one by one with the trainer's "
            "(both see the same machine load).",
            "",
            "| loop | median step (ms) |",
            "| --- | --- |",
            f"| bare PyTorch | {o['bare_s'] * 1000:.1f} |",
            f"| wit Trainer | {o['trainer_s'] * 1000:.1f} |",
            "",
            f"**Trainer overhead: {o['overhead'] * 100:+.1f}%** (target <= 5%): median over all steps of the "
            "trainer's step time over the mean of the bare steps just before and after it. "
            f"Per-run median steps bare/trainer (ms): {runs}.",
            "",
            f"**Data wait** — `wit` training run on {args.loader_samples} samples of 256 px JPEG shards, batch "
            f"{args.loader_batch}, streaming loader with 2 worker processes (the default), {d['steps']} steps: "
            f"**{d['data_wait'] * 100:.1f}% of step time waiting for data** (target <= 10%), "
            f"{d['samples_per_s']:.0f} samples/s, {d['step_s'] * 1000:.0f} ms per step.",
            "",
            "samples/s is logged per interval in `metrics.jsonl` (`samples_per_s`), global over all ranks, "
            "to compare GPU runs with open_clip's published throughput.",
        ]
    )
    print_section("Trainer (issue 7)", text)
    return {"overhead": o, "data_wait": d}


if __name__ == "__main__":
    main()
