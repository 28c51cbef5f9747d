"""The fault hook: a no-op unless WIT_FAULT names the point; kills or interrupts exactly there."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

import wit_pipeline.runtime.faults as faults
from tests.child_signals import ctrl_c_enabled

# Loads only faults.py (not the runtime package and dask), so each process starts in a blink.
SCRIPT = f"""
import importlib.util
spec = importlib.util.spec_from_file_location("faults", {faults.__file__!r})
faults = importlib.util.module_from_spec(spec)
spec.loader.exec_module(faults)
for i in range(5):
    faults.fault_point("sample", "download", "00001", i)
    print(i, flush=True)
"""


def run(env: dict[str, str]) -> subprocess.CompletedProcess:
    import os

    clean = {k: v for k, v in os.environ.items() if not k.startswith("WIT_FAULT")}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], env={**clean, **env}, capture_output=True, text=True, preexec_fn=ctrl_c_enabled
    )


def test_unset_hook_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WIT_FAULT", raising=False)
    faults.fault_point("anything", 1)
    assert run({}).stdout.split() == ["0", "1", "2", "3", "4"]


@pytest.mark.parametrize(("action", "code"), [("kill", -signal.SIGKILL), ("int", -signal.SIGINT)])
def test_matching_point_stops_the_process_there(action: str, code: int) -> None:
    done = run({"WIT_FAULT": "sample:download:00001:3", "WIT_FAULT_ACTION": action})
    assert done.returncode == code
    assert done.stdout.split() == ["0", "1", "2"]
    if action == "int":
        assert "KeyboardInterrupt" in done.stderr


def test_once_file_lets_only_the_first_process_fire(tmp_path: Path) -> None:
    env = {"WIT_FAULT": "sample:upload:*,sample:download:*:2,sample:*:3", "WIT_FAULT_ONCE": str(tmp_path / "fired")}
    assert run(env).stdout.split() == ["0", "1"]
    assert (tmp_path / "fired.1").exists()
    assert run(env).stdout.split() == ["0", "1", "2"]  # the next pattern still fires once
    assert (tmp_path / "fired.2").exists()
    assert run(env).stdout.split() == ["0", "1", "2", "3", "4"]
