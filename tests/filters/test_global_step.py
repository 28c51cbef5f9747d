"""Global steps land whole or not at all; the shuffle method follows the input size."""

from __future__ import annotations

from pathlib import Path

import pytest

from filters.global_step import P2P_MIN_ROWS, run_step, shuffle_method
from wit_pipeline.layout.job_dir import is_complete


def test_a_failed_step_leaves_nothing_and_a_rerun_completes(tmp_path: Path) -> None:
    target = tmp_path / "step"

    def broken(tmp: Path) -> None:
        (tmp / "half.txt").write_text("partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_step(target, broken)
    assert not target.exists() and list(tmp_path.iterdir()) == []
    calls = []
    run_step(target, lambda tmp: calls.append((tmp / "data.txt").write_text("done")))
    run_step(target, lambda tmp: calls.append("again"))
    assert is_complete(target) and (target / "data.txt").read_text() == "done" and len(calls) == 1


def test_shuffle_method_follows_size_and_client() -> None:
    assert shuffle_method(None, 10**9) == "tasks"
    assert shuffle_method(object(), P2P_MIN_ROWS - 1) == "tasks"
    assert shuffle_method(object(), P2P_MIN_ROWS) == "p2p"
