"""The training loop: model, optimiser, schedule, DDP, logging, checkpoints, exact resume.

``Trainer`` takes any loader with the ``loaders.make_loader`` interface (iterates
``(images, tokens)``; ``num_batches``, ``set_epoch``, ``state_dict``/``load_state_dict``), so
the same loop runs on real shards, on synthetic batches in tests and in the benchmark.
A step is one optimiser update over ``accum_freq`` micro-batches of ``batch_size`` per process.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from wit_pipeline.config import TrainConfig, check_section
from wit_pipeline.errors import WitError
from wit_pipeline.model import CLIP, ModelConfig
from wit_pipeline.model.run_dir import WEIGHTS, RunDir
from wit_pipeline.model.weights import load_weights, verify_checkpoint
from wit_pipeline.runtime.seeds import derive_seed
from wit_pipeline.train import checkpoint as ckpt
from wit_pipeline.train.distributed import DistEnv, all_gather_objects, barrier
from wit_pipeline.train.loss import ClipLoss
from wit_pipeline.train.metrics import IntervalMeter, MetricsLog, truncate_metrics
from wit_pipeline.train.optim import cosine_lr, make_optimizer, set_lr
from wit_pipeline.train.precision import Precision, batch_mover, configure_backends
from wit_pipeline.train.progress import TrainProgress
from wit_pipeline.train.rng import capture_rng, restore_rng, seed_everything
from wit_pipeline.train.speed import SpeedSettings, speed_settings
from wit_pipeline.train.step import TrainStep


@dataclass
class TrainResult:
    """What a finished (or already complete) run did."""

    steps: int
    samples: int
    seconds: float
    loss: float | None
    run_dir: Path


class Trainer:
    """Builds everything from the configs, then ``fit()`` trains to the last step."""

    def __init__(
        self,
        config: TrainConfig,
        model_config: ModelConfig,
        loader: Any,
        run: RunDir,
        env: DistEnv | None = None,
        seed: int = 0,
        resume: Path | None = None,
        progress: bool = False,
        normalize: Callable[[torch.Tensor], torch.Tensor] | None = None,
        evaluator: Callable[[torch.nn.Module], dict[str, float | int]] | None = None,
        eval_every: int = 0,
        speed: SpeedSettings | None = None,
    ) -> None:
        check_section(config, "train settings")
        self.config, self.model_config, self.loader, self.run = config, model_config, loader, run
        self.evaluator, self.eval_every = evaluator, eval_every
        self.env = env or DistEnv()
        device = self.env.device
        configure_backends(device, config.deterministic)
        seed_everything(seed)
        self.model = CLIP(model_config).to(device)
        self.speed = speed  # resolved below, once the run's length is known
        self.precision = Precision(config.precision, device)
        if config.grad_checkpointing:
            self.model.set_grad_checkpointing(True)
        self.steps_per_epoch = loader.num_batches // config.accum_freq
        self.global_batch = config.batch_size * config.accum_freq * self.env.world_size
        if self.steps_per_epoch < 1:
            raise WitError(
                f"the data has {loader.num_batches} batch(es) of {config.batch_size} per process, fewer than "
                f"one step of accum_freq={config.accum_freq}: lower --batch-size or add data"
            )
        if config.samples is not None:
            self.total_steps = max(1, math.ceil(config.samples / self.global_batch))
        else:
            self.total_steps = config.epochs * self.steps_per_epoch
        self.step, self.samples, self.loader_state = 0, 0, None
        if self.speed is None:
            self.speed = speed_settings(config.compile, model_config, device, self.total_steps)
        if self.speed.channels_last:
            self.model.visual.to(memory_format=torch.channels_last)
        betas = (config.beta1, config.beta2)
        self.optimizer = make_optimizer(
            self.model, config.lr, config.weight_decay, betas, config.eps, fused=self.speed.fused_optimizer
        )
        if resume is not None:
            self._resume(resume)
        else:
            seed_everything(derive_seed(seed, "train", self.env.rank))
        eager_model: torch.nn.Module = self.model
        if self.env.distributed:
            device_ids = [device] if device.type == "cuda" else None
            eager_model = DistributedDataParallel(self.model, device_ids=device_ids)
        forward_model = eager_model
        if self.speed.compile:
            forward_model = torch.compile(eager_model, backend=self.speed.compile_backend)
        loss_fn = ClipLoss(config.local_loss, self.env.rank, self.env.world_size)
        self.train_step = TrainStep(
            self.model,
            loss_fn,
            self.optimizer,
            self.precision,
            config.grad_clip,
            forward_model=forward_model,
            fallback_model=eager_model if self.speed.compile else None,
        )
        self.move = batch_mover(device, normalize, self.speed.channels_last)
        self.progress_enabled = progress and self.env.is_main

    def fit(self) -> TrainResult:
        """Train from the current step to ``total_steps``; checkpoint and log on the way."""
        cfg, started, last_loss = self.config, time.perf_counter(), None
        metrics = self._open_metrics()
        progress = TrainProgress(self.total_steps, self.step, self.progress_enabled)
        meter = IntervalMeter()
        try:
            while self.step < self.total_steps:
                epoch = self.step // self.steps_per_epoch
                self.loader.set_epoch(epoch)
                if self.loader_state is not None:
                    self.loader.load_state_dict(self.loader_state)
                    self.loader_state = None
                batches = iter(self.loader)
                epoch_end = min((epoch + 1) * self.steps_per_epoch, self.total_steps)
                while self.step < epoch_end:
                    micro, waited = [], 0.0
                    for _ in range(cfg.accum_freq):
                        # Data wait is the time blocked in the loader alone: on CUDA the host also blocks
                        # in the copy or the launch queue while the GPU is busy, which is not starvation.
                        asked = time.perf_counter()
                        batch = self._next(batches)
                        waited += time.perf_counter() - asked
                        micro.append(self.move(batch))
                    lr = cosine_lr(self.step, cfg.lr, cfg.warmup, self.total_steps)
                    set_lr(self.optimizer, lr)
                    meter.add(self.train_step(micro), waited, sum(images.shape[0] for images, _ in micro))
                    self.step += 1
                    if self.step == self.total_steps:
                        self._release_loader()
                    save = self.step % cfg.checkpoint_every == 0 or self.step == self.total_steps
                    if save or self.step % cfg.log_every == 0:
                        last_loss = self._log(metrics, meter, lr, progress)
                    if save:
                        meter.exclude(self._checkpoint())
                    if self._eval_due():
                        meter.exclude(self._evaluate(metrics))
                    progress.update(self.step)
                del batches
            if self.env.is_main:
                ckpt.save_final_weights(self.model, self.run.path)
            barrier()
        finally:
            progress.close()
            if metrics is not None:
                metrics.close()
        seconds = time.perf_counter() - started
        return TrainResult(self.step, self.samples, seconds, last_loss, self.run.path)

    def _release_loader(self) -> None:
        """Stop the loader's workers after the last batch: they would decode the next epoch beside the
        final checkpoint and evaluation."""
        close = getattr(self.loader, "close", None)
        if close is not None:
            close()

    def _next(self, batches: Any) -> Any:
        try:
            return next(batches)
        except StopIteration:
            raise RuntimeError(
                f"the loader ended early in epoch {self.step // self.steps_per_epoch}: it promised "
                f"{self.loader.num_batches} batches per epoch"
            ) from None

    def _open_metrics(self) -> MetricsLog | None:
        if not self.env.is_main:
            return None
        truncate_metrics(self.run.metrics, self.step)
        return MetricsLog(self.run.metrics, self.run.tensorboard if self.config.tensorboard else None)

    def _log(self, metrics: MetricsLog | None, meter: IntervalMeter, lr: float, progress: TrainProgress) -> float:
        interval = meter.take()
        mean_loss = interval["loss_sum"].float() / interval["steps"]
        totals = torch.stack([mean_loss, mean_loss.new_tensor(float(interval["rows"]))])
        if self.env.distributed:
            dist.all_reduce(totals)
            totals[0] /= self.env.world_size
        scale = self.model.logit_scale.detach().exp().to(totals.dtype)
        loss, rows, logit_scale = torch.cat([totals, scale.view(1)]).tolist()  # the one read-back per log line
        self.samples += int(rows)
        samples_per_s = rows / interval["seconds"]
        record = {
            "step": self.step,
            "epoch": round(self.step / self.steps_per_epoch, 4),
            "samples": self.samples,
            "loss": loss,
            "lr": lr,
            "logit_scale": logit_scale,
            "samples_per_s": samples_per_s,
            "data_wait": interval["data_wait_fraction"],
            "step_time": interval["step_time"],
        }
        if metrics is not None:
            metrics.write(record)
        progress.update(self.step, f"loss {loss:.4f}  {samples_per_s:,.0f} samples/s")
        return loss

    def _eval_due(self) -> bool:
        if self.evaluator is None:
            return False
        return self.step == self.total_steps or (self.eval_every > 0 and self.step % self.eval_every == 0)

    def _evaluate(self, metrics: MetricsLog | None) -> float:
        """Evaluate on the main process while the others wait; log the scalars; returns the seconds spent."""
        started = time.perf_counter()
        if self.env.is_main:
            record = {"step": self.step, "epoch": round(self.step / self.steps_per_epoch, 4)}
            record.update(self.evaluator(self.model))
            record["eval_seconds"] = time.perf_counter() - started
            if metrics is not None:
                metrics.write(record)
        barrier()
        return time.perf_counter() - started

    def _checkpoint(self) -> float:
        """Write a checkpoint (gathering every rank's loader position and RNG); returns the seconds spent."""
        started = time.perf_counter()
        tensors, rng_state = capture_rng(self.env.device)
        at_epoch_end = self.step % self.steps_per_epoch == 0
        mine = {
            "loader": None if at_epoch_end else self.loader.state_dict(),
            "rng": rng_state,
            "rng_tensors": {k: v.cpu() for k, v in tensors.items()},
        }
        ranks = all_gather_objects(mine)
        if self.env.is_main:
            scaler = self.precision.scaler
            train_state = {
                "optimizer": self.optimizer.state_dict(),
                "scaler": scaler.state_dict() if scaler is not None else {},
                "rng": [r["rng_tensors"] for r in ranks],
            }
            state = {
                "step": self.step,
                "epoch": self.step // self.steps_per_epoch,
                "samples": self.samples,
                "world_size": self.env.world_size,
                "global_batch": self.global_batch,
                "total_steps": self.total_steps,
                "loader": [r["loader"] for r in ranks],
                "rng": [r["rng"] for r in ranks],
            }
            self.run.checkpoints.mkdir(parents=True, exist_ok=True)
            ckpt.save_checkpoint(
                self.run.checkpoints, self.step, self.model, self.model_config, self.run.tokenizer, train_state, state
            )
            ckpt.prune_checkpoints(self.run.checkpoints, self.config.keep_checkpoints)
        barrier()
        return time.perf_counter() - started

    def _resume(self, checkpoint: Path) -> None:
        verify_checkpoint(checkpoint)
        state = ckpt.read_state(checkpoint)
        if state["world_size"] != self.env.world_size or state["global_batch"] != self.global_batch:
            raise WitError(
                f"{checkpoint}: written by {state['world_size']} process(es) with a global batch of "
                f"{state['global_batch']}; resume with the same (now {self.env.world_size} and {self.global_batch})"
            )
        load_weights(self.model, checkpoint / WEIGHTS, self.env.device)
        train_state = ckpt.read_train_state(checkpoint)
        self.optimizer.load_state_dict(train_state["optimizer"])
        if self.precision.scaler is not None and train_state["scaler"]:
            self.precision.scaler.load_state_dict(train_state["scaler"])
        restore_rng(train_state["rng"][self.env.rank], state["rng"][self.env.rank], self.env.device)
        self.step, self.samples = state["step"], state["samples"]
        self.loader_state = state["loader"][self.env.rank]
