"""Training metrics: ``metrics.jsonl`` (one JSON object per logged step), optionally TensorBoard.

Loss and throughput are averaged over the steps since the previous line. Losses stay on the
device between log lines so logging does not force a GPU sync every step. On resume the file is
cut back to the checkpoint's step, so it always describes one uninterrupted run.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import torch

from wit_pipeline.atomic_files import write_text
from wit_pipeline.errors import WitError


class IntervalMeter:
    """Sums of loss, step time and data-wait time since the last ``take``."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Start a new interval."""
        self.loss: torch.Tensor | None = None
        self.steps = 0
        self.rows = 0
        self.data_wait = 0.0
        self.started = time.perf_counter()

    def add(self, loss: torch.Tensor, data_wait: float, rows: int) -> None:
        """Record one step's (detached) loss, the seconds it waited for data and its samples (this rank)."""
        self.loss = loss if self.loss is None else self.loss + loss
        self.steps += 1
        self.rows += rows
        self.data_wait += data_wait

    def exclude(self, seconds: float) -> None:
        """Leave ``seconds`` (spent writing a checkpoint) out of the interval's time."""
        self.started += seconds

    def take(self) -> dict[str, Any]:
        """Interval totals and averages (the loss sum stays a device tensor), then start a new interval."""
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        out = {
            "loss_sum": self.loss,
            "steps": self.steps,
            "rows": self.rows,
            "seconds": elapsed,
            "step_time": elapsed / max(self.steps, 1),
            "data_wait_fraction": self.data_wait / elapsed,
        }
        self.reset()
        return out


class MetricsLog:
    """Appends metric records to ``metrics.jsonl`` and, when asked, to TensorBoard."""

    def __init__(self, path: Path, tensorboard_dir: Path | None = None) -> None:
        self.path = path
        self.writer = _tensorboard_writer(tensorboard_dir) if tensorboard_dir is not None else None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = self.path.open("a", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        """Append one record; numbers also go to TensorBoard under ``train/NAME``."""
        self.file.write(json.dumps(record) + "\n")
        self.file.flush()
        if self.writer is not None:
            for key, value in record.items():
                if key != "step" and isinstance(value, (int, float)):
                    self.writer.add_scalar(f"train/{key}", value, record["step"])

    def close(self) -> None:
        """Flush and close the file (and the TensorBoard writer)."""
        self.file.close()
        if self.writer is not None:
            self.writer.close()


def truncate_metrics(path: Path, step: int) -> None:
    """Drop records after ``step`` (written by a run killed after its last checkpoint)."""
    if not path.exists():
        return
    kept = [line for line in path.read_text(encoding="utf-8").splitlines() if _step_of(line) <= step]
    write_text(path, "".join(line + "\n" for line in kept))


def _step_of(line: str) -> float:
    try:
        return json.loads(line)["step"]
    except (ValueError, KeyError, TypeError):
        return float("inf")


def _tensorboard_writer(log_dir: Path) -> Any:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise WitError("tensorboard logging needs the 'tensorboard' package (pip install tensorboard)") from None
    return SummaryWriter(log_dir=str(log_dir))
