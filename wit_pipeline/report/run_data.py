"""The model half of the report's data: training curves and summary of a run, and the evaluation record.

``metrics.jsonl`` is read line by line and thinned to at most ``2 * max_points`` points per curve
(every k-th record, k doubling as the file grows), so a run of any length is read in bounded memory.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from wit_pipeline.errors import WitError
from wit_pipeline.model.run_dir import RunDir

CURVES = (("loss", "loss"), ("logit_scale", "logit scale"), ("lr", "learning rate"))
KEPT_EVAL_RECORDS = 12


@dataclass
class Training:
    """What a run logged: thinned curves per metric (steps, values), its summary, model and in-run evals."""

    curves: dict[str, tuple[list[float], list[float]]]
    summary: dict | None
    model: dict | None
    evals: list[dict] = field(default_factory=list)
    logged: int = 0
    finished: bool = False


class _Thinned:
    """Keeps every ``stride``-th record, halving what it holds (and doubling the stride) past a limit."""

    def __init__(self, max_points: int) -> None:
        self.max_points, self.stride, self.seen = max(max_points, 2), 1, 0
        self.records: list[dict] = []
        self.last: dict | None = None

    def add(self, record: dict) -> None:
        if self.seen % self.stride == 0:
            self.records.append(record)
            if len(self.records) > 2 * self.max_points:
                self.records = self.records[::2]
                self.stride *= 2
        self.seen += 1
        self.last = record

    def all(self) -> list[dict]:
        if self.last is not None and (not self.records or self.records[-1] is not self.last):
            return [*self.records, self.last]
        return self.records


def _json_file(path: Path) -> dict | None:
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WitError(f"{path}: unreadable JSON ({exc})") from None
    return data if isinstance(data, dict) else None


def read_training(run: Path, max_points: int = 1000) -> Training:
    """Curves of loss, logit scale and learning rate against the step, plus the run's summary and model."""
    files = RunDir(run)
    thinned = _Thinned(max_points)
    evals: deque[dict] = deque(maxlen=KEPT_EVAL_RECORDS)
    logged = 0
    metrics = files.metrics
    if metrics.exists():
        with metrics.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    raise WitError(f"{metrics}:{number}: not a JSON line") from None
                logged += 1
                if any(str(k).startswith("eval/") for k in record):
                    evals.append(record)
                if "loss" in record and "step" in record:
                    thinned.add(record)
    records = thinned.all()
    curves = {}
    for key, _ in CURVES:
        points = [(r["step"], r[key]) for r in records if isinstance(r.get(key), (int, float))]
        if points:
            curves[key] = ([p[0] for p in points], [p[1] for p in points])
    return Training(
        curves=curves,
        summary=_json_file(files.summary),
        model=_json_file(files.model_config),
        evals=list(evals),
        logged=logged,
        finished=files.weights.exists(),
    )


def read_evaluation(path: Path) -> dict:
    """An ``eval.json`` record (``results`` per task), checked to be one."""
    record = _json_file(path)
    if record is None or not isinstance(record.get("results"), dict):
        raise WitError(f"{path}: not a wit eval.json (no results)")
    return record
