"""The embedded demo: a generated mini-web on 127.0.0.1 → the real flow → a trained, evaluated model.

crawl html → filter (dedup, global near-duplicate captions, English, caption rules, query
balancing) → download → image dedup and decontamination against the held-out set → shards →
tokenizer → train a small CLIP on the CPU → zero-shot evaluation on the held-out images (one of
them is planted in the mini-web, and decontamination removes it from the training shards).
Every step is the same code ``wit build``, ``wit train`` and ``wit eval`` run; rerunning the
demo resumes where it stopped.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from pathlib import Path

from distributed import Client

from wit_pipeline.config import BuildConfig, write_resolved
from wit_pipeline.errors import WitError
from wit_pipeline.layout.build_dir import DEMO_BUILD_DIR, DEMO_HELDOUT_DIR, DEMO_RUN_DIR, SHARDS_DIR
from wit_pipeline.miniweb.heldout import write_heldout
from wit_pipeline.miniweb.server import serve_site
from wit_pipeline.miniweb.site import build_site
from wit_pipeline.model.run_dir import EVAL, RunDir, read_metrics

PORT_FILE = "_miniweb_port"
# The mini-web's own captions ("a red circle", "photo of a blue square") are short and shared by many
# images, as on the web; near-duplicate caption removal looks at the long, templated ones.
NEAR_DUP_MIN_CHARS = 50
DEMO_MODEL = """\
# A CLIP small enough to train on two CPU cores in a few minutes.
embed_dim = 96

[vision]
kind = "vit"
image_size = 64
patch_size = 8
width = 96
layers = 3
heads = 4

[text]
width = 96
layers = 2
heads = 4
"""


@dataclass(frozen=True)
class DemoSettings:
    """How big the demo is: pages of the mini-web, training epochs, held-out images per class."""

    pages: int = 300
    epochs: int = 12
    heldout_per_class: int = 20
    batch_size: int = 64


def demo_config(base_url: str, out: Path, settings: DemoSettings, heldout: Path | None = None) -> BuildConfig:
    """The build and training settings of the demo (``--allow-network 127.0.0.1/32`` only); the
    training shards are decontaminated against ``heldout``."""
    config = BuildConfig()
    s = config.sources
    s.seeds = [f"{base_url}/"]
    s.max_pages = 10_000
    s.max_depth = 6
    s.delay = 0.0
    s.concurrency = 16
    s.per_host_concurrency = 16
    s.contact = "wit-demo@localhost"
    s.allow_networks = ["127.0.0.1/32"]
    config.filters.query_cap = max(20, settings.pages // 3)
    f = config.filters
    f.near_dup, f.near_dup_scope, f.near_dup_min_chars = True, "global", NEAR_DUP_MIN_CHARS
    config.shards.decontaminate = [str(heldout)] if heldout is not None else []
    d = config.download
    d.image_size = 64
    d.min_image_size = 0  # the mini-web's images are 96 px; real web data keeps the 200 px default
    d.allow_networks = ["127.0.0.1/32"]
    d.timeout = 5.0
    d.thread_count = 16
    config.shards.samples_per_shard = 256
    t = config.train
    model = out / "demo_model.toml"
    model.parent.mkdir(parents=True, exist_ok=True)
    model.write_text(DEMO_MODEL, encoding="utf-8")
    t.model = str(model)
    t.epochs = settings.epochs
    t.batch_size = settings.batch_size
    t.lr = 1e-3
    t.warmup = 20
    t.vocab_size = 1000
    t.context_length = 24
    t.loader_workers = 1
    t.device = "cpu"
    t.log_every = 10
    t.checkpoint_every = 100
    return config


def _resume_port(out: Path) -> int:
    """The mini-web's port of an earlier, interrupted run of this demo (its manifests hold URLs with
    that port, so a resumed download must find the site there), else 0 for an ephemeral port."""
    recorded = out / PORT_FILE
    if not recorded.exists():
        return 0
    port = int(recorded.read_text(encoding="utf-8"))
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise WitError(
                f"{recorded}: port {port} of the earlier run is taken; free it, or remove {out} to start over"
            )
    return port


def run_demo(
    out_dir: str | Path, client: Client | None, settings: DemoSettings | None = None, progress: bool = True
) -> dict:
    """Run the whole demo into ``out_dir``; returns planted problems, funnel, training, eval and the report path."""
    from wit_pipeline.build_job.runner import build
    from wit_pipeline.eval.runner import evaluate
    from wit_pipeline.report import write_report
    from wit_pipeline.train.launch import run_training

    settings = settings or DemoSettings()
    out = Path(out_dir)
    site = build_site(settings.pages)
    out.mkdir(parents=True, exist_ok=True)
    heldout = write_heldout(out / DEMO_HELDOUT_DIR, settings.heldout_per_class)
    with serve_site(site, _resume_port(out)) as base_url:
        (out / PORT_FILE).write_text(base_url.rsplit(":", 1)[1], encoding="utf-8")
        config = demo_config(base_url, out, settings, heldout)
        stats = build(config, out / DEMO_BUILD_DIR, client, progress)
    run = RunDir(out / DEMO_RUN_DIR)
    config.train.data = str(out / DEMO_BUILD_DIR / SHARDS_DIR)
    write_resolved(config, out)
    if not run.weights.exists():
        resume = "latest" if run.latest_checkpoint() is not None else None
        run_training(config, run.path, resume=resume, progress=progress)
    evaluation = evaluate(run.path, heldout, task="zeroshot", batch_size=100, device="cpu", out=out / EVAL)
    report = write_report(out)
    return {
        "planted": dict(site.planted),
        "funnel": stats["funnel"],
        "samples": stats["samples"],
        "train": json.loads(run.summary.read_text(encoding="utf-8")),
        "metrics": read_metrics(run.metrics),
        "eval": evaluation,
        "report": str(report),
    }
