"""Contrastive training: loss, optimiser, DDP helpers, checkpoints and the trainer.

A run directory's layout and loading a trained run are the model library's
(``wit_pipeline.model.run_dir.RunDir``, ``wit_pipeline.model.load_run``), below training.
"""

from wit_pipeline.train.loss import ClipLoss
from wit_pipeline.train.trainer import Trainer, TrainResult

__all__ = ["ClipLoss", "TrainResult", "Trainer"]
