"""One writer per output directory: a second run is told who holds it; a dead holder's lock is taken over."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wit_pipeline.errors import WitError
from wit_pipeline.runtime.out_lock import LOCK_FILE, output_lock

REPO = Path(__file__).resolve().parents[3]
HOLD = (
    "import sys, time\n"
    "from wit_pipeline.runtime.out_lock import output_lock\n"
    "with output_lock(sys.argv[1], 'wit holder'):\n"
    "    print('held', flush=True)\n"
    "    time.sleep(60)\n"
)


FORK_AND_HOLD = HOLD.replace(
    "    print('held', flush=True)\n",
    "    import os\n    if os.fork() == 0:\n        time.sleep(30)\n        os._exit(0)\n"
    "    print('held', flush=True)\n",
)


def hold_in_child(out: Path, script: str = HOLD) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", script, str(out)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "held"
    return child


def test_a_second_writer_is_told_who_holds_the_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    child = hold_in_child(out)
    try:
        with pytest.raises(WitError) as info:
            with output_lock(out, "wit test"):
                pass
        message = str(info.value)
        assert f"in use by pid {child.pid} on {socket.gethostname()} (wit holder), started 20" in message
        assert "\n" not in message and str(out) in message
    finally:
        child.kill()
        child.wait()


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path: Path) -> None:
    out = tmp_path / "out"
    child = hold_in_child(out)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert json.loads((out / LOCK_FILE).read_text())["pid"] == child.pid  # the dead holder's record stays
    with output_lock(out, "wit test"):
        record = json.loads((out / LOCK_FILE).read_text())
        assert record["pid"] == os.getpid() and record["command"] == "wit test"
        assert time.time() - record["started"] < 60
    assert not (out / LOCK_FILE).exists()


def test_reentrant_in_one_process_and_leaves_no_trace(tmp_path: Path) -> None:
    out = tmp_path / "new"
    with output_lock(out, "wit outer"):
        with output_lock(out, "wit inner"):
            assert (out / LOCK_FILE).exists()
        assert (out / LOCK_FILE).exists()
    assert not out.exists()  # created for the lock and left empty: removed
    (tmp_path / "kept").mkdir()
    with output_lock(tmp_path / "kept", "wit test"):
        (tmp_path / "kept" / "part-00000.parquet").write_bytes(b"x")
    assert sorted(p.name for p in (tmp_path / "kept").iterdir()) == ["part-00000.parquet"]


def test_a_forked_child_outliving_its_killed_parent_does_not_keep_the_lock(tmp_path: Path) -> None:
    # DataLoader workers are forked and may outlive a SIGKILLed trainer by seconds; with flock they kept the lock
    out = tmp_path / "out"
    child = hold_in_child(out, FORK_AND_HOLD)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    with output_lock(out, "wit test"):
        assert json.loads((out / LOCK_FILE).read_text())["pid"] == os.getpid()
