"""A hand-written demo-shaped directory, built once, and its rendered report."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.wit_pipeline.report.helpers import write_demo_tree


@pytest.fixture(scope="session")
def demo_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """build/ (sources, filtered, shards), run/ and eval.json, with hostile captions planted."""
    return write_demo_tree(tmp_path_factory.mktemp("report-demo"))


@pytest.fixture(scope="session")
def demo_report(demo_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of ``demo_tree``, written outside it (the tree stays read-only for other tests)."""
    from wit_pipeline.report import write_report

    return write_report(demo_tree, tmp_path_factory.mktemp("report-html") / "report.html")
