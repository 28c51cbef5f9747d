"""Contrastive training: loss, optimiser, DDP helpers, checkpoints, the trainer, and ``load_run``.

>>> from wit_pipeline.train import load_run
>>> model, tokenizer, config = load_run("runs/tiny", device="cpu")
"""

from wit_pipeline.train.loss import ClipLoss
from wit_pipeline.train.run_dir import RunDir, load_run
from wit_pipeline.train.trainer import Trainer, TrainResult

__all__ = ["ClipLoss", "RunDir", "TrainResult", "Trainer", "load_run"]
