"""The CUDA speed-ups, exercised on CPU: when each is chosen, and that none changes what a run computes."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from tests.wit_pipeline.train.helpers import SyntheticLoader, micro_config, train_config, write_tokenizer_stub
from wit_pipeline.model.run_dir import RunDir, read_metrics
from wit_pipeline.train import Trainer
from wit_pipeline.train.precision import batch_mover
from wit_pipeline.train.speed import COMPILE_MIN_STEPS, SpeedSettings, compile_wanted, speed_settings

CUDA = torch.device("cuda")  # only compared against, never allocated on
CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def restore_determinism():
    yield
    torch.use_deterministic_algorithms(False)


def run_losses(
    path: Path, speed: SpeedSettings, kind: str = "vit", resume: Path | None = None, crash_after=None, **overrides
):
    run = RunDir(path)
    run.path.mkdir(parents=True, exist_ok=True)
    write_tokenizer_stub(run.tokenizer)
    config = train_config(**{"epochs": 2, "batch_size": 4, "checkpoint_every": 2, "deterministic": True, **overrides})
    loader = SyntheticLoader(4, 3, crash_after=crash_after)
    trainer = Trainer(config, micro_config(kind), loader, run, seed=5, resume=resume, speed=speed)
    trainer.fit()
    return trainer, [r["loss"] for r in read_metrics(run.metrics)], load_file(run.weights)


def test_defaults_per_device_and_model() -> None:
    vit, resnet = micro_config(), micro_config("resnet")
    assert speed_settings(None, resnet, CUDA, 10_000) == SpeedSettings(
        compile=True, channels_last=True, fused_optimizer=True
    )
    assert speed_settings(None, vit, CUDA, 10_000) == SpeedSettings(compile=True, fused_optimizer=True)
    assert speed_settings(None, resnet, CPU, 10_000) == SpeedSettings()
    assert not compile_wanted(None, CUDA, COMPILE_MIN_STEPS - 1)  # too short to repay the compilation
    assert compile_wanted(True, CPU, 1) and not compile_wanted(False, CUDA, 10_000)


def test_channels_last_and_fused_adamw_train_what_the_plain_run_trains(tmp_path: Path) -> None:
    _, plain, plain_weights = run_losses(tmp_path / "plain", SpeedSettings(), kind="resnet")
    fast = SpeedSettings(channels_last=True, fused_optimizer=True)
    trainer, losses, weights = run_losses(tmp_path / "fast", fast, kind="resnet")
    conv = trainer.model.visual.stem[0].weight
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()
    assert losses == pytest.approx(plain, rel=1e-4)
    assert all(torch.allclose(weights[k], plain_weights[k], atol=1e-5) for k in plain_weights)


def test_channels_last_fused_run_resumes_exactly(tmp_path: Path) -> None:
    fast = SpeedSettings(channels_last=True, fused_optimizer=True)
    _, full, full_weights = run_losses(tmp_path / "full", fast, kind="resnet")
    with pytest.raises(KeyboardInterrupt):
        run_losses(tmp_path / "killed", fast, kind="resnet", crash_after=5)
    checkpoint = RunDir(tmp_path / "killed").latest_checkpoint()
    assert checkpoint is not None and checkpoint.name == "step-0000004"  # mid-epoch 2 of 3 batches each
    trainer, _, resumed_weights = run_losses(tmp_path / "killed", fast, kind="resnet", resume=checkpoint)
    resumed = [r["loss"] for r in read_metrics(trainer.run.metrics)]
    assert resumed == full
    assert all(torch.equal(full_weights[k], resumed_weights[k]) for k in full_weights)


def test_compiled_step_trains_what_the_eager_step_trains(tmp_path: Path) -> None:
    _, eager, _ = run_losses(tmp_path / "eager", SpeedSettings(), epochs=1)
    traced = SpeedSettings(compile=True, compile_backend="eager")  # dynamo's tracing without a C compiler
    trainer, compiled, _ = run_losses(tmp_path / "compiled", traced, epochs=1)
    assert trainer.train_step.compiled
    assert compiled == pytest.approx(eager, rel=1e-5)


def failing_backend(graph, example_inputs):
    raise RuntimeError("no C compiler here")


def test_a_failing_compiler_falls_back_to_the_eager_model_with_a_warning(tmp_path: Path) -> None:
    _, eager, eager_weights = run_losses(tmp_path / "eager", SpeedSettings(), epochs=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        broken = SpeedSettings(compile=True, compile_backend=failing_backend)
        trainer, losses, weights = run_losses(tmp_path / "broken", broken, epochs=1)
    assert any("torch.compile failed, training uncompiled" in str(w.message) for w in caught)
    assert not trainer.train_step.compiled
    assert losses == eager and all(torch.equal(weights[k], eager_weights[k]) for k in eager_weights)


def test_batch_mover_normalises_uint8_and_lays_out_channels_last() -> None:
    images = torch.randint(0, 256, (2, 3, 8, 8), dtype=torch.uint8)
    tokens = torch.ones(2, 4, dtype=torch.long)
    moved, moved_tokens = batch_mover(CPU, lambda x: x.float() / 255, channels_last=True)((images, tokens))
    assert moved.is_contiguous(memory_format=torch.channels_last) and torch.equal(moved, images.float() / 255)
    assert torch.equal(moved_tokens, tokens)
