"""``run_training``: from a resolved config to a finished run directory, in one process or under torchrun.

Rank 0 prepares the run directory (resolved config, tokenizer, model config) while the other
ranks wait; any user error there is broadcast so every rank stops with the same one-line
message instead of hanging in a collective.
"""

from __future__ import annotations

import shutil
from functools import partial
from pathlib import Path

from loaders import (
    StreamingLoader,
    Tokenizer,
    load_tokenizer,
    make_loader,
    normalize_on_device,
    resolve_source,
    shard_captions,
)
from wit_pipeline.atomic_files import write_json
from wit_pipeline.config import BuildConfig, check_section, load_config, write_resolved
from wit_pipeline.errors import WitError
from wit_pipeline.eval.during_training import training_evaluator
from wit_pipeline.layout.shard_dir import TOKENIZER_FILE
from wit_pipeline.model import get_model_config
from wit_pipeline.model.run_dir import STATE, RunDir, is_complete_checkpoint
from wit_pipeline.model.weights import read_model_config
from wit_pipeline.train.distributed import DistEnv, barrier, broadcast_object, init_distributed, shutdown_distributed
from wit_pipeline.train.trainer import Trainer, TrainResult


def run_training(config: BuildConfig, out: str | Path, resume: str | None = None, progress: bool = True) -> TrainResult:
    """Train ``config.train`` on ``config.train.data`` into run directory ``out``.

    ``resume`` is None (a new run), ``"latest"`` (the run's newest checkpoint) or a checkpoint path.
    Joins the torchrun process group when launched by torchrun.
    """
    train = config.train
    check_section(train, "train settings")
    run = RunDir(out)
    checkpoint = resume_point(run, resume)  # before the data: "no run to resume" says what is wrong
    if not train.data:
        raise WitError("no training data: give --data SHARDS (or [train] data in --config)")
    shards = resolve_source(train.data)
    if shards.num_samples == 0:
        raise WitError(f"{train.data}: the shards hold no samples")
    evaluator = training_evaluator(config.eval)
    env = init_distributed(train.device)
    try:
        error = None
        if env.is_main:
            try:
                prepare_run(run, config, shards.root, resuming=checkpoint is not None)
            except WitError as exc:
                error = str(exc)
        error = broadcast_object(error)
        if error is not None:
            raise WitError(error)
        barrier()
        tokenizer = Tokenizer.load(run.tokenizer)
        model_config = read_model_config(run.path)
        loader = build_loader(train.data, config, tokenizer, model_config.vision.image_size, env)
        on_cuda = env.device.type == "cuda"
        try:
            trainer = Trainer(
                train,
                model_config,
                loader,
                run,
                env=env,
                seed=config.runtime.seed,
                resume=checkpoint,
                progress=progress,
                normalize=normalize_on_device if on_cuda else None,
                evaluator=None if evaluator is None else partial(evaluator, tokenizer=tokenizer),
                eval_every=config.eval.every,
            )
            result = trainer.fit()
        finally:
            loader.close()  # its workers run ahead into the next epoch until stopped
        if env.is_main:
            write_json(run.summary, summary(result, trainer, env))
        return result
    finally:
        shutdown_distributed()


def resume_point(run: RunDir, resume: str | None) -> Path | None:
    """The checkpoint to resume from, or None for a new run; refuses to overwrite an existing run."""
    if resume is None:
        if run.latest_checkpoint() is not None or run.weights.exists():
            raise WitError(f"{run.path} already holds a training run: pass --resume to continue it, or another --out")
        return None
    if resume == "latest":
        latest = run.latest_checkpoint()
        if latest is None:
            raise WitError(f"{run.path}: no run to resume (no checkpoint there); drop --resume to start a new run")
        return latest
    path = Path(resume).expanduser()
    if not is_complete_checkpoint(path):
        raise WitError(f"{path}: not a checkpoint directory (no {STATE})")
    return path


def prepare_run(run: RunDir, config: BuildConfig, shard_root: str | None, resuming: bool) -> None:
    """Write the resolved config; on a new run also the tokenizer and the model config sized to it.

    The tokenizer is ``[train] tokenizer`` when it names one (``clip`` or a file); by default the shards'
    own ``tokenizer.json`` when they have one, else one trained on their captions (saved in the run, never
    written into the data directory).
    """
    if resuming:
        previous = load_config(run.config).train.model if run.config.exists() else config.train.model
        if config.train.model != previous:
            raise WitError(f"{run.path} trains model {previous!r}; --model cannot change on --resume")
        write_resolved(config, run.path)
        return
    run.path.mkdir(parents=True, exist_ok=True)
    write_resolved(config, run.path)
    choice = config.train.tokenizer
    source = Path(shard_root or "") / TOKENIZER_FILE
    if choice not in ("", "train"):
        tokenizer = load_tokenizer(choice, config.train.context_length)
        tokenizer.save(run.tokenizer)
    elif choice == "" and shard_root is not None and source.is_file():
        shutil.copyfile(source, run.tokenizer)
        tokenizer = Tokenizer.load(run.tokenizer)
    else:
        tokenizer = Tokenizer.train(
            shard_captions(config.train.data),
            vocab_size=config.train.vocab_size,
            context_length=config.train.context_length,
        )
        tokenizer.save(run.tokenizer)
    model_config = get_model_config(config.train.model)
    model_config.text.vocab_size = tokenizer.vocab_size
    model_config.text.context_length = tokenizer.context_length
    write_json(run.model_config, model_config.to_dict())


def build_loader(
    data: str, config: BuildConfig, tokenizer: Tokenizer, image_size: int, env: DistEnv
) -> StreamingLoader:
    """The streaming loader for this rank: uint8 images in pinned memory on CUDA, float32 on CPU."""
    on_cuda = env.device.type == "cuda"
    return make_loader(
        data,
        batch_size=config.train.batch_size,
        image_size=image_size,
        train=True,
        tokenizer=tokenizer,
        num_workers=config.train.loader_workers,
        seed=config.runtime.seed,
        rank=env.rank,
        world_size=env.world_size,
        uint8=on_cuda,
        pin_memory=on_cuda,
    )


def summary(result: TrainResult, trainer: Trainer, env: DistEnv) -> dict:
    """The ``summary.json`` of a finished run."""
    return {
        "steps": result.steps,
        "samples": result.samples,
        "seconds": round(result.seconds, 3),
        "final_loss": result.loss,
        "global_batch": trainer.global_batch,
        "world_size": env.world_size,
        "device": str(env.device),
        "precision": trainer.precision.mode,
        "compiled": trainer.train_step.compiled,
    }
