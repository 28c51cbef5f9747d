"""The demo's current flow: every planted problem is caught with the right reason."""

from __future__ import annotations

from pathlib import Path

from wit_pipeline.demo import run_demo, write_demo_list


def test_demo_funnel_catches_planted_problems(tmp_path: Path) -> None:
    planted = write_demo_list(tmp_path / "inputs" / "urls.csv", rows=2000)
    stats = run_demo(tmp_path, client=None, progress=False)
    (stage,) = stats["funnel"]
    assert stage["rejected"] == planted
    assert stage["rows_in"] == 2000 == stage["kept"] + stage["rejected_total"]
    assert stats["rows_out"] == 2000 - sum(planted.values())
