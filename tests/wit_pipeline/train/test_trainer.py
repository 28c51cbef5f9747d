"""The trainer on synthetic batches: exact resume after a kill, checkpoint files, metrics."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from tests.wit_pipeline.train.helpers import SyntheticLoader, micro_config, train_config, write_tokenizer_stub
from wit_pipeline.errors import WitError
from wit_pipeline.model.run_dir import RunDir, read_metrics
from wit_pipeline.train import Trainer
from wit_pipeline.train.checkpoint import read_state
from wit_pipeline.train.speed import SpeedSettings


def make_run(path: Path) -> RunDir:
    run = RunDir(path)
    run.path.mkdir(parents=True)
    write_tokenizer_stub(run.tokenizer)
    return run


def trainer(
    run: RunDir, loader: SyntheticLoader, resume: Path | None = None, normalize=None, speed=None, **overrides
) -> Trainer:
    config = train_config(**{"epochs": 2, "batch_size": 4, "checkpoint_every": 2, "deterministic": True, **overrides})
    model = overrides.pop("model_config", None) or micro_config()
    return Trainer(config, model, loader, run, seed=3, resume=resume, normalize=normalize, speed=speed)


@pytest.fixture(autouse=True)
def restore_determinism():
    yield
    torch.use_deterministic_algorithms(False)


@pytest.mark.parametrize("accum", [1, 2])
def test_killed_run_resumes_with_identical_losses(tmp_path: Path, accum: int) -> None:
    batches = 6
    full = make_run(tmp_path / "full")
    result = trainer(full, SyntheticLoader(4, batches), accum_freq=accum).fit()
    steps = 2 * batches // accum
    assert result.steps == steps and result.samples == steps * 4 * accum
    expected = [(r["step"], r["loss"]) for r in read_metrics(full.metrics)]
    assert [s for s, _ in expected] == list(range(1, steps + 1))

    killed = make_run(tmp_path / "killed")
    crash_at = steps - 1
    with pytest.raises(KeyboardInterrupt):
        trainer(killed, SyntheticLoader(4, batches, crash_after=crash_at * accum), accum_freq=accum).fit()
    latest = killed.latest_checkpoint()
    assert latest is not None and read_state(latest)["step"] == crash_at - crash_at % 2
    assert not killed.weights.exists()
    trainer(killed, SyntheticLoader(4, batches), resume=latest, accum_freq=accum).fit()
    resumed = [(r["step"], r["loss"]) for r in read_metrics(killed.metrics)]
    assert resumed == expected
    final_full, final_resumed = load_file(full.weights), load_file(killed.weights)
    assert all(torch.equal(final_full[k], final_resumed[k]) for k in final_full)


def test_checkpoints_load_without_unpickling_and_are_self_contained(tmp_path: Path) -> None:
    run = make_run(tmp_path / "run")
    trainer(run, SyntheticLoader(4, 3), keep_checkpoints=2).fit()
    steps = sorted(p.name for p in run.checkpoints.iterdir() if p.is_dir())
    assert steps == ["step-0000004", "step-0000006"]
    assert (run.checkpoints / "latest").read_text().strip() == "step-0000006"
    latest = run.latest_checkpoint()
    train_state = torch.load(latest / "train_state.pt", weights_only=True)
    assert set(train_state) == {"optimizer", "scaler", "rng"}
    assert train_state["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.98)
    state = json.loads((latest / "state.json").read_text())
    assert state["step"] == 6 and state["epoch"] == 2 and state["loader"] == [None] and state["world_size"] == 1
    assert json.loads((latest / "model_config.json").read_text())["embed_dim"] == 32
    assert (latest / "tokenizer.json").read_text() == run.tokenizer.read_text()
    weights = load_file(latest / "model.safetensors")
    assert torch.equal(weights["logit_scale"], load_file(run.weights)["logit_scale"])


def test_metrics_have_loss_lr_scale_throughput_and_data_wait(tmp_path: Path) -> None:
    run = make_run(tmp_path / "run")
    trainer(run, SyntheticLoader(4, 4), log_every=3, checkpoint_every=100, epochs=1, warmup=1).fit()
    records = read_metrics(run.metrics)
    assert [r["step"] for r in records] == [3, 4]
    for record in records:
        assert {"loss", "lr", "logit_scale", "samples_per_s", "data_wait", "step_time", "epoch", "samples"} <= set(
            record
        )
        assert 0 <= record["data_wait"] < 1 and record["samples_per_s"] > 0
    assert records[0]["samples"] == 12 and records[-1]["epoch"] == 1.0
    assert records[0]["lr"] > records[1]["lr"] > 0


def test_resume_with_another_global_batch_is_refused(tmp_path: Path) -> None:
    run = make_run(tmp_path / "run")
    trainer(run, SyntheticLoader(4, 2), epochs=1).fit()
    with pytest.raises(WitError, match="global batch of 4; resume with the same"):
        Trainer(train_config(batch_size=2), micro_config(), SyntheticLoader(2, 2), run, resume=run.latest_checkpoint())


def test_too_little_data_for_one_step_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(WitError, match="fewer than one step"):
        trainer(make_run(tmp_path / "run"), SyntheticLoader(4, 1), accum_freq=2)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"accum_freq": 0}, "'train.accum_freq' must be at least 1, got 0"),
        ({"samples": -5}, "'train.samples' must be at least 1, got -5"),
        ({"warmup": -1}, "'train.warmup' must be at least 0, got -1"),
    ],
)
def test_unusable_settings_are_user_errors(tmp_path: Path, setting: dict, message: str) -> None:
    with pytest.raises(WitError, match=message):
        trainer(make_run(tmp_path / "run"), SyntheticLoader(4, 2), **setting)


class TimedLoader(SyntheticLoader):
    """Synthetic batches that take ``delay`` seconds each to arrive, as uint8 images when asked."""

    def __init__(self, *args, delay: float = 0.0, uint8: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.delay, self.uint8 = delay, uint8

    def __iter__(self):
        for images, tokens in super().__iter__():
            time.sleep(self.delay)
            yield ((images * 40 + 128).clamp(0, 255).to(torch.uint8) if self.uint8 else images), tokens


def data_waits(run: RunDir, loader, step_delay: float = 0.0, normalize=None) -> list[float]:
    t = trainer(run, loader, epochs=1, log_every=2, checkpoint_every=100, normalize=normalize)
    step = t.train_step

    def slow_step(batches):
        time.sleep(step_delay)  # a device that is still busy: the host blocks in the step
        return step(batches)

    t.train_step = slow_step
    t.fit()
    return [r["data_wait"] for r in read_metrics(run.metrics)]


def test_data_wait_is_time_blocked_in_the_loader_not_in_the_step_or_the_copy(tmp_path: Path) -> None:
    def slow_normalize(images):
        time.sleep(0.05)  # the host blocked copying to a busy device (or in its allocator or launch queue)
        return images.float() / 255

    busy = data_waits(
        make_run(tmp_path / "busy"), TimedLoader(4, 4, uint8=True), step_delay=0.05, normalize=slow_normalize
    )
    assert len(busy) == 2 and max(busy) < 0.15
    starved = data_waits(make_run(tmp_path / "starved"), TimedLoader(4, 4, delay=0.1))
    assert len(starved) == 2 and min(starved) > 0.6


def test_a_step_makes_no_host_device_sync(tmp_path: Path, monkeypatch) -> None:
    """Every way a tensor's value reaches Python is a host-device sync on CUDA: none may happen in a step."""
    calls: list[str] = []
    in_step = [False]
    for name in ("item", "tolist", "__bool__", "__float__", "__int__", "__index__"):
        original = getattr(torch.Tensor, name)

        def counted(self, *args, _original=original, _name=name):
            if in_step[0]:
                calls.append(_name)
            return _original(self, *args)

        monkeypatch.setattr(torch.Tensor, name, counted)
    # The optimiser CUDA runs get: unfused AdamW keeps its step counts on the host and reads them each step.
    cuda_like = SpeedSettings(fused_optimizer=True)
    for accum in (1, 2):
        run = make_run(tmp_path / str(accum))
        t = trainer(run, SyntheticLoader(4, 4), accum_freq=accum, log_every=1, speed=cuda_like)
        step, move = t.train_step, t.move

        def watched(function):
            def call(*args):
                in_step[0] = True
                try:
                    return function(*args)
                finally:
                    in_step[0] = False

            return call

        t.train_step, t.move = watched(step), watched(move)
        t.fit()
    assert calls == []
