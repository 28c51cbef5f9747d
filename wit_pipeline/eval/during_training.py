"""Evaluation inside ``wit train``: zero-shot on a classification set or retrieval on shards, every N steps.

The data and templates are checked when training starts, so a wrong ``--eval-data`` fails before the
first step rather than after hours of training. Results are flat scalars for ``metrics.jsonl``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from wit_pipeline.config import EvalConfig, check_bounds, check_section
from wit_pipeline.eval.eval_data import CLASSIFICATION, open_eval_data
from wit_pipeline.eval.runner import evaluate_model, set_templates
from wit_pipeline.eval.table import flat_scalars


class TrainingEval:
    """A callable ``(model, tokenizer) -> {"eval/TASK/METRIC": number}`` on a fixed evaluation directory."""

    def __init__(
        self,
        data: str | Path,
        templates: str | None = None,
        batch_size: int = EvalConfig.batch_size,
        workers: int = EvalConfig.workers,
    ) -> None:
        check_bounds(EvalConfig, {"batch_size": batch_size, "workers": workers}, "eval.", "eval settings")
        self.data, self.batch_size, self.workers = data, batch_size, workers
        self.data = open_eval_data(data)
        self.tasks = ["zeroshot"] if self.data.kind == CLASSIFICATION else ["retrieval"]
        self.templates, _ = set_templates(self.data, templates)

    def __call__(self, model: torch.nn.Module, tokenizer: Any) -> dict[str, float | int]:
        """Evaluate ``model`` in eval mode without gradients, then put it back in the mode it was in."""
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                results = evaluate_model(
                    model, tokenizer, self.data, self.tasks, self.templates, self.batch_size, self.workers
                )
        finally:
            model.train(was_training)
        return flat_scalars(results)


def training_evaluator(config: EvalConfig) -> TrainingEval | None:
    """The evaluator ``wit train`` runs for ``[eval] data`` (``--eval-data``), or None when it is unset."""
    check_section(config, "eval settings")
    if not config.data:
        return None
    return TrainingEval(config.data, config.templates, config.batch_size, config.workers)
