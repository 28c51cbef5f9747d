"""A reduced demo end to end: every planted problem caught with its reason, a model trained and evaluated."""

from __future__ import annotations

from pathlib import Path

import pytest

from wit_pipeline.cli.inspect_cmd import run_text
from wit_pipeline.demo import DemoSettings, run_demo
from wit_pipeline.inspect import is_run_dir, summarize_run
from wit_pipeline.report import SECTIONS


@pytest.mark.slow
def test_reduced_demo_catches_planted_problems_and_evaluates(tmp_path: Path) -> None:
    result = run_demo(
        tmp_path, client=None, settings=DemoSettings(pages=60, epochs=1, heldout_per_class=3), progress=False
    )
    reasons = {r for stage in result["funnel"] for r in stage["rejected"]}
    planted = result["planted"]
    expected = {
        "missing_caption": "missing_alt_text",
        "http_404": "broken_image_link",
        "not_an_image": "non_image_behind_image_link",
        "x_robots_tag": "x_robots_tag_noai_image",
        "exact_duplicate": "same_image_at_several_urls",
    }
    for reason, problem in expected.items():
        if planted.get(problem):
            assert reason in reasons, (reason, reasons)
    for stage in result["funnel"]:
        assert stage["rows_in"] == stage["kept"] + stage["rejected_total"], stage
    assert result["train"]["steps"] > 0
    zeroshot = result["eval"]["results"]["zeroshot"]
    assert zeroshot["classes"] == 10 and zeroshot["samples"] == 30
    run = summarize_run(tmp_path / "run")
    assert is_run_dir(tmp_path / "run") and run["finished"] and run["summary"]["steps"] == result["train"]["steps"]
    assert run["last_metrics"]["step"] <= run["summary"]["steps"]
    assert "finished" in run_text(run)
    page = Path(result["report"]).read_text(encoding="utf-8")
    assert Path(result["report"]) == tmp_path / "report.html"
    assert all(f'<section id="{section_id}" data-state="present">' in page for section_id, _ in SECTIONS)
