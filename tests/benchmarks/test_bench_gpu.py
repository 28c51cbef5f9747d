"""bench_gpu's CPU smoke mode: the GPU benchmark's whole code path on a tiny model, so it cannot rot."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks import bench_gpu
from tests.open_clip_ref import REQUIRE_ENV, child_pythonpath

ROOT = Path(__file__).resolve().parents[2]


def test_smoke_mode_measures_every_section_and_writes_its_report(tmp_path: Path) -> None:
    paths = [*child_pythonpath(), str(ROOT)]  # torchvision's stand-in where the real one does not import
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    env.pop("OUT", None)
    results_file, md = tmp_path / "results.json", tmp_path / "BENCHMARKS.md"
    command = [sys.executable, "-m", "benchmarks.bench_gpu", "--smoke", "--json", str(results_file), "--md", str(md)]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(results_file.read_text())

    (step,) = results["step"]
    assert "error" not in step, step.get("error")
    for key in ("wit_eager", "wit_compiled"):
        assert step[key]["samples_s"] > 0 and step[key]["mfu"] > 0
    if importlib.util.find_spec("open_clip") or os.environ.get(REQUIRE_ENV) == "1":  # make test installs it
        # The anchor is open_clip's own model with wit's architecture: same parameters, same counted FLOPs.
        assert "open_clip" in step, results.get("open_clip_error")
        assert step["open_clip"]["samples_s"] > 0
        assert step["params"]["wit"] == step["params"]["open_clip"]
        assert abs(step["gflop_per_step"]["wit"] / step["gflop_per_step"]["open_clip"] - 1) < 0.01
    else:
        assert "open_clip_error" in results

    train = results["train"]
    assert train["loader_alone"]["images_s"] > 0
    for key in ("wit_train", "restart_every_epoch"):
        run = train[key]
        assert "error" not in run, run.get("error")
        assert run["steady_samples_s"] > 0 and 0 <= run["steady_data_wait"] < 1
        assert len(run["boundary_extra_s"]) == train["epochs"] - 1
    assert train["wit_train"]["samples"] == train["epochs"] * train["samples_per_epoch"]
    assert results["eval_embed"]["eval"]["images_s"] > 0 and results["eval_embed"]["embed"]["images_s"] > 0

    text = md.read_text()
    assert f"## {bench_gpu.TITLE}" in text and "| tiny, 8 |" in text and "`wit train` end to end" in text


def test_render_writes_the_section_from_a_results_file(tmp_path: Path) -> None:
    results = {
        "mode": "gpu",
        "torch": "2.x",
        "ceiling": {"matmul_tflops": 790.0, "matmul": "8192^3 bfloat16", "gpu": "NVIDIA H200"},
        "step": [{"model": "ViT-B-16", "batch": 256, "skipped": "out of time"}],
    }
    source = tmp_path / "bench_gpu.json"
    source.write_text(json.dumps(results))
    md = tmp_path / "BENCHMARKS.md"
    md.write_text("# Benchmarks\n\n## Other\n\nkept\n")
    bench_gpu.main(["--render", str(source), "--md", str(md)])
    text = md.read_text()
    assert "## Other\n\nkept" in text and "on NVIDIA H200" in text and "| ViT-B-16, 256 | out of time |" in text
