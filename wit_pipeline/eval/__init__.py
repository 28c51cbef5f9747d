"""Evaluation of CLIP runs: zero-shot classification, image-text retrieval and a linear probe.

>>> from wit_pipeline.eval import evaluate
>>> record = evaluate("runs/tiny", "eval/pets", task="all")   # writes runs/tiny/eval.json
>>> record["results"]["zeroshot"]["acc1"]

``evaluate`` and friends are imported on first use, so importing the package needs no torch. The task
names are the config's (``wit_pipeline.config.EVAL_TASKS``).
"""

from typing import Any

__all__ = ["TrainingEval", "evaluate", "evaluate_model"]


def __getattr__(name: str) -> Any:
    if name in ("evaluate", "evaluate_model"):
        from wit_pipeline.eval import runner

        return getattr(runner, name)
    if name == "TrainingEval":
        from wit_pipeline.eval.during_training import TrainingEval

        return TrainingEval
    raise AttributeError(f"module 'wit_pipeline.eval' has no attribute {name!r}")
