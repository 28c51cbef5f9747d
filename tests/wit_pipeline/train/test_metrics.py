"""metrics.jsonl writing, cutting back on resume, and the optional TensorBoard writer."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

from wit_pipeline.errors import WitError
from wit_pipeline.model.run_dir import read_metrics
from wit_pipeline.train.metrics import IntervalMeter, MetricsLog, truncate_metrics


def test_truncate_drops_records_after_the_checkpoint(tmp_path: Path) -> None:
    log = MetricsLog(tmp_path / "metrics.jsonl")
    for step in range(1, 6):
        log.write({"step": step, "loss": 1.0 / step})
    log.close()
    truncate_metrics(tmp_path / "metrics.jsonl", 3)
    assert [r["step"] for r in read_metrics(tmp_path / "metrics.jsonl")] == [1, 2, 3]


def test_interval_meter_averages_and_excludes_checkpoint_time() -> None:
    meter = IntervalMeter()
    meter.add(torch.tensor(2.0), data_wait=0.0, rows=8)
    meter.add(torch.tensor(4.0), data_wait=0.0, rows=6)
    meter.exclude(3600.0)
    interval = meter.take()
    assert interval["loss_sum"].item() == 6.0 and interval["steps"] == 2 and interval["rows"] == 14
    assert interval["seconds"] == pytest.approx(1e-9)
    assert meter.take()["steps"] == 0


def test_tensorboard_is_optional(tmp_path: Path) -> None:
    if importlib.util.find_spec("tensorboard") is None:
        with pytest.raises(WitError, match="needs the 'tensorboard' package"):
            MetricsLog(tmp_path / "metrics.jsonl", tmp_path / "tb")
    else:
        log = MetricsLog(tmp_path / "metrics.jsonl", tmp_path / "tb")
        log.write({"step": 1, "loss": 1.0})
        log.close()
        assert any((tmp_path / "tb").iterdir())
