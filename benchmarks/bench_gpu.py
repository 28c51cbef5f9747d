"""Benchmark: wit's training on one GPU against open_clip's, its MFU, compile, the loader end to end, eval/embed.

One command sized for one GPU call (about 5-7 minutes on an H100/H200, its own JPEG shards included):

    python -m benchmarks.bench_gpu --json OUT.json      # on a CUDA machine; writes benchmarks/BENCHMARKS.md
    python -m benchmarks.bench_gpu --render OUT.json    # writes the section from a JSON made elsewhere
    python -m benchmarks.bench_gpu --smoke              # the same code on CPU with tiny sizes (`make test`)

Sections:

- **ceiling**: the device's bf16 matmul rate (8192^3 products), the denominator of every MFU here.
- **step**: one training step on synthetic batches already on the GPU, ViT-B-32 and ViT-B-16 at batch 256.
  wit's ``TrainStep`` as the trainer builds it (bf16 autocast, fused AdamW, grad clip 1.0, clamp), eager and
  compiled (``torch.compile``, the CUDA default for runs of 200+ steps), side by side with open_clip_train's
  step (open_clip's own model and ``ClipLoss``, AdamW as open_clip_train makes it, bf16 autocast, clip 1.0,
  clamp), in interleaved rounds; medians. FLOPs are counted (``torch.utils.flop_counter``) on one step of
  each implementation; MFU = counted FLOPs / step time / the measured ceiling. Host-device syncs per wit
  step are counted with ``torch.cuda.set_sync_debug_mode``.
- **train**: ``wit train`` (``run_training``) on JPEG webdataset shards written here (256 px), loader worker
  processes, pinned uint8 batches normalised on the GPU: steady samples/s and data wait from its own
  ``metrics.jsonl``, and the cost of an epoch boundary (the log interval holding an epoch's first step,
  against the median interval), beside the same run with the loader's workers restarted every epoch (what
  every epoch cost before issue 21). The loader alone gives the CPU side's images/s.
- **eval/embed**: ``wit eval`` (zero-shot on an image folder) and ``wit embed`` (the train shards) images/s.

open_clip is a benchmark-only dependency (``open_clip_torch``, installed without its dependencies; it needs
``torchvision`` to import, which the GPU machines have). Without it the step section runs wit alone.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import shutil
import statistics
import sys
import tarfile
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable
from multiprocessing import Pool
from pathlib import Path

import torch

from benchmarks.report import BENCHMARKS_MD, update_section

TITLE = "GPU training (issue 21)"
COMMAND = "python -m benchmarks.bench_gpu --json $OUT/bench_gpu.json"
MFU_TARGET = 0.40
WORDS = (
    "red blue green small large photo of a the dog cat car tree house bird flower on with in street "
    "old new wooden metal white black sunset beach mountain city river bridge boat".split()
)
SIZES = {  # full (one GPU) and smoke (CPU, seconds)
    "full": dict(
        steps=[("ViT-B-32", 256), ("ViT-B-16", 256)],
        step_iters=12,
        rounds=3,
        shards=24,
        per_shard=640,
        image_px=256,
        train_model="ViT-B-32",
        train_batch=512,
        epochs=3,
        log_every=5,
        eval_images=2048,
        eval_batch=256,
    ),
    "smoke": dict(
        steps=[("tiny", 8)],
        vocab=1024,
        step_iters=2,
        rounds=1,
        shards=2,
        per_shard=24,
        image_px=72,
        train_model="tiny",
        train_batch=8,
        epochs=2,
        log_every=2,
        eval_images=12,
        eval_batch=8,
    ),
}


class Bench:
    """Device, sizes, a time budget, and the results as they come."""

    def __init__(self, smoke: bool, budget_s: float, work: Path) -> None:
        self.smoke = smoke
        self.device = torch.device("cpu" if smoke else "cuda")
        self.size = SIZES["smoke" if smoke else "full"]
        self.deadline = time.time() + budget_s
        self.work = work
        self.results: dict = {"mode": "smoke" if smoke else "gpu", "torch": torch.__version__}

    def left(self) -> float:
        return self.deadline - time.time()

    def sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize()

    @contextlib.contextmanager
    def timed(self, section: str):
        """Record the section's wall seconds under ``section_s``."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.results.setdefault("section_s", {})[section] = round(time.perf_counter() - started, 1)


# ---------------------------------------------------------------------------------------------- ceiling
def ceiling(b: Bench) -> float:
    """Measured dense matmul TFLOP/s: bf16 8192^3 on the GPU (fp32 512^3 in smoke mode)."""
    n, dtype = (512, torch.float32) if b.smoke else (8192, torch.bfloat16)
    a = torch.randn(n, n, device=b.device, dtype=dtype)
    c = torch.randn(n, n, device=b.device, dtype=dtype)
    for _ in range(3):
        a @ c
    b.sync()
    started, reps = time.perf_counter(), 10
    for _ in range(reps):
        a @ c
    b.sync()
    tflops = reps * 2 * n**3 / (time.perf_counter() - started) / 1e12
    info = {"matmul_tflops": round(tflops, 2), "matmul": f"{n}^3 {str(dtype).removeprefix('torch.')}"}
    if b.device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(0)
    b.results["ceiling"] = info
    return tflops


# ---------------------------------------------------------------------------------------------- step
def synthetic_batch(batch: int, image_size: int, vocab: int, context: int, device: torch.device):
    """Normalised random images and token rows ``[sot, words, eot, 0...]`` with eot the highest id (both
    open_clip's argmax pooling and wit's last-token pooling find it)."""
    g = torch.Generator().manual_seed(batch)
    images = torch.randn(batch, 3, image_size, image_size, generator=g)
    lengths = torch.randint(4, context - 1, (batch,), generator=g)
    tokens = torch.randint(1, vocab - 2, (batch, context), generator=g)
    tokens[:, 0] = vocab - 2
    positions = torch.arange(context)
    tokens = torch.where(positions < lengths[:, None], tokens, 0)
    tokens[torch.arange(batch), lengths] = vocab - 1
    return images.to(device), tokens.to(device)


def wit_step(b: Bench, name: str, compiled: bool) -> tuple[Callable, torch.nn.Module, object]:
    """wit's step as ``Trainer`` builds it on this device (precision auto, fused AdamW on CUDA, clip 1.0)."""
    from wit_pipeline.model import CLIP, get_model_config
    from wit_pipeline.train.loss import ClipLoss
    from wit_pipeline.train.optim import make_optimizer
    from wit_pipeline.train.precision import Precision, configure_backends
    from wit_pipeline.train.speed import speed_settings
    from wit_pipeline.train.step import TrainStep

    configure_backends(b.device, False)
    config = get_model_config(name)
    config.text.vocab_size = b.size.get("vocab", config.text.vocab_size)
    torch.manual_seed(0)
    model = CLIP(config).to(b.device)
    speed = speed_settings(compiled, config, b.device, total_steps=10**6)
    if speed.channels_last:
        model.visual.to(memory_format=torch.channels_last)
    optimizer = make_optimizer(model, 5e-4, 0.2, (0.9, 0.98), 1e-6, fused=speed.fused_optimizer)
    forward = model
    if compiled:  # inductor on the GPU; dynamo's tracing alone in smoke mode (no C compiler needed)
        forward = torch.compile(model, backend="eager" if b.smoke else "inductor")
    precision = Precision("auto", b.device)
    step = TrainStep(model, ClipLoss(), optimizer, precision, 1.0, forward, model if compiled else None)
    return (lambda batch: step([batch])), model, config


def open_clip_model(name: str, config) -> torch.nn.Module:
    """open_clip's own model: its named config where it has one, else the same architecture built from ours."""
    import open_clip

    if name in open_clip.list_models():
        return open_clip.create_model(name, precision="fp32")
    v, t = config.vision, config.text
    vision = open_clip.CLIPVisionCfg(
        layers=v.layers, width=v.width, head_width=v.width // v.heads, patch_size=v.patch_size, image_size=v.image_size
    )
    text = open_clip.CLIPTextCfg(
        context_length=t.context_length, vocab_size=t.vocab_size, width=t.width, heads=t.heads, layers=t.layers
    )
    return open_clip.CLIP(config.embed_dim, vision, text)


def open_clip_step(b: Bench, name: str, config) -> tuple[Callable, torch.nn.Module]:
    """open_clip_train's step: its ClipLoss, AdamW with its two groups, autocast bf16, clip 1.0, clamp."""
    import open_clip

    torch.manual_seed(0)
    model = open_clip_model(name, config).to(b.device)
    loss_fn = open_clip.ClipLoss()

    def exclude(n: str, p: torch.nn.Parameter) -> bool:  # open_clip_train/main.py's no-decay rule
        return p.ndim < 2 or "bn" in n or "ln" in n or "bias" in n or "logit_scale" in n

    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    groups = [
        {"params": [p for n, p in named if exclude(n, p)], "weight_decay": 0.0},
        {"params": [p for n, p in named if not exclude(n, p)], "weight_decay": 0.2},
    ]
    optimizer = torch.optim.AdamW(groups, lr=5e-4, betas=(0.9, 0.98), eps=1e-6)
    on_cuda = b.device.type == "cuda"

    def run(batch):
        images, tokens = batch
        with torch.autocast(b.device.type, dtype=torch.bfloat16, enabled=on_cuda):
            out = model(images, tokens)
            if isinstance(out, dict):
                out = (out["image_features"], out["text_features"], out["logit_scale"])
            loss = loss_fn(*out[:3])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0, norm_type=2.0)
        optimizer.step()
        optimizer.zero_grad()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        return loss.detach()

    return run, model


def counted_flops(run: Callable, batch) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        run(batch)
    return float(counter.get_total_flops())


def seconds_per_step(b: Bench, run: Callable, batch, steps: int) -> float:
    for _ in range(2):
        run(batch)
    b.sync()
    started = time.perf_counter()
    for _ in range(steps):
        loss = run(batch)
    b.sync()
    elapsed = (time.perf_counter() - started) / steps
    if not torch.isfinite(loss):
        raise RuntimeError(f"loss is not finite: {loss}")
    return elapsed


def syncs_per_step(b: Bench, run: Callable, batch, steps: int = 3) -> float | None:
    """Host-device synchronisations per step, as CUDA's sync debug mode reports them (None on CPU)."""
    if b.device.type != "cuda":
        return None
    run(batch)
    b.sync()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            for _ in range(steps):
                run(batch)
        finally:
            torch.cuda.set_sync_debug_mode("default")
    return sum("synchroniz" in str(w.message) for w in caught) / steps


def step_section(b: Bench, peak: float) -> None:
    rows = []
    try:
        import open_clip  # noqa: F401

        anchor = True
    except Exception as exc:  # noqa: BLE001 - any import failure means: run without the anchor
        anchor = False
        b.results["open_clip_error"] = f"{type(exc).__name__}: {exc}"[:300]
    for name, batch in b.size["steps"]:
        if b.left() < (30 if b.smoke else 150):
            rows.append({"model": name, "batch": batch, "skipped": "out of time"})
            continue
        try:
            rows.append(step_row(b, name, batch, peak, anchor))
        except Exception:  # noqa: BLE001 - one failed configuration must not lose the others
            rows.append({"model": name, "batch": batch, "error": traceback.format_exc()[-1500:]})
        if b.device.type == "cuda":
            torch.cuda.empty_cache()
    b.results["step"] = rows


def step_row(b: Bench, name: str, batch: int, peak: float, anchor: bool) -> dict:
    impls: dict[str, Callable] = {}
    params: dict[str, int] = {}
    flops: dict[str, float] = {}
    eager, model, config = wit_step(b, name, compiled=False)
    text = config.text
    data = synthetic_batch(batch, config.vision.image_size, text.vocab_size, text.context_length, b.device)
    impls["wit_eager"], params["wit"] = eager, sum(p.numel() for p in model.parameters())
    flops["wit"] = counted_flops(eager, data)
    row: dict = {"model": name, "batch": batch, "syncs_per_step": syncs_per_step(b, eager, data)}
    started = time.perf_counter()
    compiled, _, _ = wit_step(b, name, compiled=True)
    compiled(data)
    b.sync()
    row["compile_s"] = round(time.perf_counter() - started, 1)
    impls["wit_compiled"] = compiled
    if anchor:
        impls["open_clip"], oc_model = open_clip_step(b, name, config)
        params["open_clip"] = sum(p.numel() for p in oc_model.parameters())
        flops["open_clip"] = counted_flops(impls["open_clip"], data)
    times: dict[str, list[float]] = {k: [] for k in impls}
    memory: dict[str, float] = {}
    for _ in range(b.size["rounds"]):
        for key, run in impls.items():
            if b.device.type == "cuda":
                torch.cuda.reset_peak_memory_stats()
            times[key].append(seconds_per_step(b, run, data, b.size["step_iters"]))
            if b.device.type == "cuda":
                memory[key] = torch.cuda.max_memory_allocated() / 2**30
    row["params"] = params
    row["gflop_per_step"] = {k: round(v / 1e9, 2) for k, v in flops.items()}
    for key, values in times.items():
        seconds = statistics.median(values)
        step_flops = flops["open_clip" if key == "open_clip" else "wit"]
        row[key] = {
            "ms": round(seconds * 1e3, 2),
            "samples_s": round(batch / seconds, 1),
            "mfu": round(step_flops / seconds / 1e12 / peak, 4),
            "rounds_ms": [round(v * 1e3, 2) for v in values],
            "peak_gib": round(memory[key], 2) if key in memory else None,
        }
    if anchor:
        for key in ("wit_eager", "wit_compiled"):
            row[f"{key}_over_open_clip"] = round(row["open_clip"]["ms"] / row[key]["ms"], 3)
    row["compiled_over_eager"] = round(row["wit_eager"]["ms"] / row["wit_compiled"]["ms"], 3)
    return row


# ---------------------------------------------------------------------------------------------- train
def _write_shard(args: tuple[int, int, int, str]) -> tuple[str, int]:
    import numpy as np
    from PIL import Image

    index, count, size, out = args
    rng = np.random.default_rng(index)
    name = f"{index:05d}.tar"
    base = np.linspace(0, 255, size, dtype=np.float32)
    with tarfile.open(Path(out) / name, "w") as tar:
        for i in range(count):
            key = f"{index:05d}{i:04d}"
            pixels = np.stack([np.add.outer(base * rng.random(), base * rng.random()) % 256 for _ in range(3)], -1)
            pixels += rng.normal(0, 12, pixels.shape)
            buf = io.BytesIO()
            Image.fromarray(pixels.clip(0, 255).astype("uint8")).save(buf, format="JPEG", quality=95)
            caption = " ".join(rng.choice(WORDS, size=int(rng.integers(4, 14))))
            meta = json.dumps({"key": key, "status": "success", "caption": caption}).encode()
            for ext, payload in (("jpg", buf.getvalue()), ("txt", caption.encode()), ("json", meta)):
                info = tarfile.TarInfo(f"{key}.{ext}")
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
    return name, count


def write_shards(b: Bench, root: Path) -> float:
    """JPEG webdataset shards with ``sizes.json`` and a tokenizer; returns the seconds it took."""
    from loaders import train_tokenizer_for_shards

    started = time.perf_counter()
    root.mkdir(parents=True, exist_ok=True)
    jobs = [(i, b.size["per_shard"], b.size["image_px"], str(root)) for i in range(b.size["shards"])]
    with Pool(min(16, os.cpu_count() or 2, len(jobs))) as pool:
        sizes = dict(pool.map(_write_shard, jobs))
    (root / "sizes.json").write_text(json.dumps(sizes))
    train_tokenizer_for_shards(root)
    return time.perf_counter() - started


def loader_workers() -> int:
    return max(2, min(15, (os.cpu_count() or 2) - 1))


def loader_alone(b: Bench, shards: Path, image_size: int) -> dict:
    from loaders import make_loader

    loader = make_loader(
        shards,
        batch_size=b.size["train_batch"],
        image_size=image_size,
        num_workers=loader_workers(),
        uint8=True,
        pin_memory=b.device.type == "cuda",
    )
    images, started = 0, time.perf_counter()
    for i, (batch, _) in enumerate(loader):
        if i == 2:  # after the workers' start
            images, started = 0, time.perf_counter()
        images += batch.shape[0]
    loader.close()
    return {"images_s": round(images / (time.perf_counter() - started), 1), "workers": loader_workers()}


class RestartEveryEpoch:
    """A loader whose workers are stopped at every epoch's start: how every epoch began before issue 21."""

    def __init__(self, loader) -> None:
        self.loader = loader

    def __getattr__(self, name: str):
        return getattr(self.loader, name)

    def __iter__(self):
        self.loader.close()
        return iter(self.loader)


def train_config(b: Bench, shards: Path):
    from wit_pipeline.config import BuildConfig, TrainConfig

    config = BuildConfig()
    config.train = TrainConfig(
        data=str(shards),
        model=b.size["train_model"],
        epochs=b.size["epochs"],
        batch_size=b.size["train_batch"],
        warmup=10,
        log_every=b.size["log_every"],
        checkpoint_every=10**6,
        loader_workers=loader_workers(),
        device=str(b.device),
    )
    return config


def restarting_run(b: Bench, shards: Path, run_dir: Path) -> None:
    """The run ``run_training`` makes, with the loader restarting its workers every epoch."""
    from loaders import Tokenizer, normalize_on_device
    from wit_pipeline.model.run_dir import RunDir
    from wit_pipeline.model.weights import read_model_config
    from wit_pipeline.train import Trainer
    from wit_pipeline.train.distributed import DistEnv
    from wit_pipeline.train.launch import build_loader, prepare_run

    config = train_config(b, shards)
    run = RunDir(run_dir)
    prepare_run(run, config, str(shards), resuming=False)
    env = DistEnv(device=b.device)
    model_config = read_model_config(run.path)
    loader = build_loader(str(shards), config, Tokenizer.load(run.tokenizer), model_config.vision.image_size, env)
    normalize = normalize_on_device if b.device.type == "cuda" else None
    try:
        Trainer(config.train, model_config, RestartEveryEpoch(loader), run, env=env, normalize=normalize).fit()
    finally:
        loader.close()


def boundary_figures(metrics: Path, steps_per_epoch: int, log_every: int) -> dict:
    """Steady samples/s and data wait, and the extra seconds of the log intervals holding an epoch's start."""
    from wit_pipeline.model.run_dir import read_metrics

    records = [r for r in read_metrics(metrics) if "loss" in r][1:]  # the first interval starts the workers
    boundary_steps = {e * steps_per_epoch + 1 for e in range(1, 100)}

    def holds_boundary(r: dict) -> bool:
        return any(r["step"] - log_every < s <= r["step"] for s in boundary_steps)

    steady = [r for r in records if not holds_boundary(r)]
    at_boundary = [r for r in records if holds_boundary(r)]
    steady_interval = statistics.median(r["step_time"] * log_every for r in steady) if steady else float("nan")
    costs = [r["step_time"] * log_every - steady_interval for r in at_boundary]
    return {
        "steady_samples_s": round(statistics.median(r["samples_per_s"] for r in steady), 1) if steady else None,
        "steady_data_wait": round(statistics.median(r["data_wait"] for r in steady), 4) if steady else None,
        "step_s": round(steady_interval / log_every, 4),
        "boundary_extra_s": [round(c, 3) for c in costs],
        "boundary_data_wait": [round(r["data_wait"], 4) for r in at_boundary],
    }


def train_section(b: Bench) -> Path | None:
    from wit_pipeline.model import get_model_config
    from wit_pipeline.train.launch import run_training

    shards = b.work / "shards"
    out: dict = {"shard_gen_s": round(write_shards(b, shards), 1)}
    samples = b.size["shards"] * b.size["per_shard"]
    image_size = get_model_config(b.size["train_model"]).vision.image_size
    steps_per_epoch = math.ceil(samples / b.size["train_batch"])
    out.update(
        samples_per_epoch=samples,
        model=b.size["train_model"],
        batch=b.size["train_batch"],
        epochs=b.size["epochs"],
        steps_per_epoch=steps_per_epoch,
        log_every=b.size["log_every"],
        image_px=b.size["image_px"],
    )
    b.results["train"] = out
    try:
        out["loader_alone"] = loader_alone(b, shards, image_size)
    except Exception:  # noqa: BLE001
        out["loader_alone"] = {"error": traceback.format_exc()[-1500:]}
    run_dir = b.work / "run"
    try:
        started = time.perf_counter()
        result = run_training(train_config(b, shards), run_dir, progress=False)
        out["wit_train"] = {
            "wall_s": round(time.perf_counter() - started, 1),
            "samples": result.samples,
            "compiled": json.loads((run_dir / "summary.json").read_text()).get("compiled"),
            **boundary_figures(run_dir / "metrics.jsonl", steps_per_epoch, b.size["log_every"]),
        }
    except Exception:  # noqa: BLE001
        out["wit_train"] = {"error": traceback.format_exc()[-2000:]}
        return None
    if b.left() > (20 if b.smoke else 90):
        try:
            restarted = b.work / "run-restart"
            restarting_run(b, shards, restarted)
            out["restart_every_epoch"] = boundary_figures(
                restarted / "metrics.jsonl", steps_per_epoch, b.size["log_every"]
            )
        except Exception:  # noqa: BLE001
            out["restart_every_epoch"] = {"error": traceback.format_exc()[-1500:]}
    return run_dir


# ---------------------------------------------------------------------------------------------- eval / embed
def write_image_folder(root: Path, images: int, size: int) -> None:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    classes = ["red", "green", "blue", "white", "black", "yellow", "purple", "orange"]
    for i in range(images):
        folder = root / classes[i % len(classes)]
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(folder / f"{i}.jpg", quality=90)


def eval_embed_section(b: Bench, run_dir: Path) -> None:
    from wit_pipeline.embed.task import EmbedSettings, embed_shards
    from wit_pipeline.eval import evaluate
    from wit_pipeline.runtime import open_client

    out: dict = {}
    folder = b.work / "evalset"
    write_image_folder(folder, b.size["eval_images"], b.size["image_px"])
    workers = loader_workers()
    try:
        started = time.perf_counter()
        batch = b.size["eval_batch"]
        evaluate(run_dir, folder, task="zeroshot", device=str(b.device), batch_size=batch, workers=workers)
        seconds = time.perf_counter() - started
        out["eval"] = {"images": b.size["eval_images"], "seconds": round(seconds, 2)}
        out["eval"]["images_s"] = round(b.size["eval_images"] / seconds, 1)
    except Exception:  # noqa: BLE001
        out["eval"] = {"error": traceback.format_exc()[-1500:]}
    samples = b.size["shards"] * b.size["per_shard"]
    try:
        started = time.perf_counter()
        with open_client(None, 1, quiet=True) as client:
            ready = time.perf_counter()
            settings = EmbedSettings(device=str(b.device), batch_size=b.size["eval_batch"])
            embed_shards(run_dir, b.work / "shards", b.work / "embeddings", settings, client=client, progress=False)
            done = time.perf_counter()
        out["embed"] = {
            "images": samples,
            "cluster_start_s": round(ready - started, 2),
            "seconds": round(done - ready, 2),
            "images_s": round(samples / (done - ready), 1),
        }
    except Exception:  # noqa: BLE001
        out["embed"] = {"error": traceback.format_exc()[-1500:]}
    b.results["eval_embed"] = out


# ---------------------------------------------------------------------------------------------- report
def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:.1f}%"


def render(results: dict) -> str:
    """The BENCHMARKS.md section for one run's results."""
    lines = [f"`{COMMAND}` on {results.get('ceiling', {}).get('gpu', 'CPU (smoke mode)')}, torch {results['torch']}."]
    c = results.get("ceiling", {})
    lines += ["", f"**Ceiling**: {c.get('matmul_tflops')} TFLOP/s measured ({c.get('matmul')} matmul); MFU is of it."]
    rows = results.get("step", [])
    if rows:
        lines += [
            "",
            "**Training step** (synthetic batches on the device; medians of interleaved rounds; counted FLOPs):",
            "",
            "| model, batch | wit eager samples/s (MFU) | wit compiled samples/s (MFU) | open_clip samples/s (MFU) "
            "| wit eager / open_clip | compiled / eager | compile s | syncs/step | GFLOP/step wit, open_clip |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for r in rows:
            if "error" in r or "skipped" in r:
                lines.append(f"| {r['model']}, {r['batch']} | {r.get('skipped') or 'error: see JSON'} | | | | | | | |")
                continue

            def cell(key: str, r=r) -> str:
                return f"{r[key]['samples_s']:,.0f} ({_pct(r[key]['mfu'])})" if key in r else "n/a"

            ratio = r.get("wit_eager_over_open_clip")
            flops = r["gflop_per_step"]
            lines.append(
                f"| {r['model']}, {r['batch']} | {cell('wit_eager')} | {cell('wit_compiled')} | {cell('open_clip')} "
                f"| {'n/a' if ratio is None else f'{ratio:.2f}x'} | {r['compiled_over_eager']:.2f}x | {r['compile_s']} "
                f"| {r['syncs_per_step'] if r['syncs_per_step'] is not None else 'n/a'} "
                f"| {flops.get('wit')}, {flops.get('open_clip', 'n/a')} |"
            )
        target = [r for r in rows if r.get("model") == "ViT-B-16" and "wit_compiled" in r]
        if target:
            mfu = target[0]["wit_compiled"]["mfu"]
            verdict = "met" if mfu >= MFU_TARGET else "not met"
            lines += [
                "",
                f"ViT-B-16 at batch 256, the default CUDA path (compiled): MFU {_pct(mfu)}, target 40% {verdict}.",
            ]
    if "open_clip_error" in results:
        lines += ["", f"open_clip did not import: {results['open_clip_error']}"]
    t = results.get("train")
    if t:
        lines += ["", _train_text(t)]
    e = results.get("eval_embed")
    if e:
        parts = []
        if "images_s" in e.get("eval", {}):
            parts.append(f"`wit eval` zero-shot {e['eval']['images_s']:,.0f} images/s ({e['eval']['images']} images)")
        if "images_s" in e.get("embed", {}):
            parts.append(
                f"`wit embed` {e['embed']['images_s']:,.0f} images/s ({e['embed']['images']} samples, "
                f"after {e['embed']['cluster_start_s']} s of cluster start)"
            )
        if parts:
            lines += ["", "**Eval/embed**: " + "; ".join(parts) + "."]
    return "\n".join(lines)


def _train_text(t: dict) -> str:
    head = (
        f"**`wit train` end to end**: {t['model']}, batch {t['batch']}, {t['epochs']} epochs of "
        f"{t['samples_per_epoch']:,} JPEG samples ({t['image_px']} px, shards written in {t['shard_gen_s']} s), "
        f"{t.get('loader_alone', {}).get('workers', '?')} loader workers; log interval {t['log_every']} steps."
    )
    out = [head]
    alone = t.get("loader_alone", {})
    if "images_s" in alone:
        out.append(f"The loader alone: {alone['images_s']:,.0f} images/s.")
    for key, label in (("wit_train", "wit train"), ("restart_every_epoch", "workers restarted every epoch")):
        r = t.get(key)
        if not r:
            continue
        if "error" in r:
            out.append(f"{label}: error (see JSON).")
            continue
        out.append(
            f"{label}: steady {r['steady_samples_s']:,.0f} samples/s, data wait {_pct(r['steady_data_wait'])}, "
            f"epoch boundary costs {', '.join(f'{x:+.2f}' for x in r['boundary_extra_s'])} s "
            f"(data wait in those intervals {', '.join(_pct(x) for x in r['boundary_data_wait'])})."
        )
    return " ".join(out)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes on CPU (what `make test` runs)")
    parser.add_argument("--json", type=Path, help="write the results here (default: $OUT/bench_gpu.json if $OUT)")
    parser.add_argument("--md", type=Path, help=f"BENCHMARKS.md to update (default: {BENCHMARKS_MD} on a GPU)")
    parser.add_argument("--render", type=Path, metavar="JSON", help="only write the section from a results file")
    parser.add_argument("--work", type=Path, help="scratch directory (default: a temporary one)")
    parser.add_argument("--budget", type=float, default=420.0, help="seconds before later sections are skipped")
    args = parser.parse_args(argv)
    if args.render is not None:
        results = json.loads(args.render.read_text())
        update_section(TITLE, render(results), args.md or BENCHMARKS_MD)
        return results
    if not args.smoke and not torch.cuda.is_available():
        parser.error("no CUDA device: run on a GPU machine, or --smoke for the CPU check")
    json_path = args.json or (Path(os.environ["OUT"]) / "bench_gpu.json" if os.environ.get("OUT") else None)
    md_path = args.md or (None if args.smoke else BENCHMARKS_MD)
    with contextlib.ExitStack() as stack:
        work = args.work or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench_gpu_")))
        b = Bench(args.smoke, args.budget, work)
        if args.smoke:
            torch.set_num_threads(1)
        with b.timed("ceiling"):
            peak = ceiling(b)
        with b.timed("step"):
            step_section(b, peak)
        _save(b.results, json_path)
        with b.timed("train"):
            run_dir = train_section(b)
        _save(b.results, json_path)
        if run_dir is not None and b.left() > (10 if b.smoke else 45):
            with b.timed("eval_embed"):
                eval_embed_section(b, run_dir)
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    _save(b.results, json_path)
    text = render(b.results)
    print(text)
    if md_path is not None:
        update_section(TITLE, text, md_path)
    return b.results


def _save(results: dict, path: Path | None) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
