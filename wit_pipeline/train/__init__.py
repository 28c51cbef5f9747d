"""Contrastive training: loss, optimiser, DDP helpers, checkpoints and the trainer.

Loading a trained run is the model library's (``wit_pipeline.model.load_run``); ``RunDir`` and ``load_run``
are re-exported here because a ``Trainer`` writes into a ``RunDir``.

>>> from wit_pipeline.model import load_run
>>> model, tokenizer, config = load_run("runs/tiny", device="cpu")
"""

from wit_pipeline.model.run_dir import RunDir
from wit_pipeline.model.weights import load_run
from wit_pipeline.train.loss import ClipLoss
from wit_pipeline.train.trainer import Trainer, TrainResult

__all__ = ["ClipLoss", "RunDir", "TrainResult", "Trainer", "load_run"]
