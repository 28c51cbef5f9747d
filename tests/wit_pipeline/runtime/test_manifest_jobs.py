"""The runtime on a real LocalCluster: same output as serial, resume, worker loss, funnel."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.wit_pipeline.runtime.stages_for_tests import RejectWord, ShortCaption, worker_pid, write_manifest
from wit_pipeline.errors import WitError
from wit_pipeline.layout.manifest_dir import REJECTS_DIR, STATS_FILE
from wit_pipeline.runtime import run_job
from wit_pipeline.runtime.stage import partition_tasks


def read_dir(out: Path) -> tuple[pa.Table, pa.Table]:
    kept = pa.concat_tables(pq.read_table(p) for p in sorted(out.glob("part-*.parquet")))
    rejects = pa.concat_tables(pq.read_table(p) for p in sorted((out / REJECTS_DIR).glob("part-*.parquet")))
    return kept, rejects


def test_dask_output_equals_serial(tmp_path: Path, dask_client) -> None:
    paths = write_manifest(tmp_path / "in", parts=12, rows_per_part=50)
    stages = [ShortCaption(), RejectWord()]
    run_job(partition_tasks(paths, stages), tmp_path / "serial", job="t", progress=False)
    run_job(partition_tasks(paths, stages), tmp_path / "dask", job="t", client=dask_client, progress=False)
    for a, b in zip(read_dir(tmp_path / "serial"), read_dir(tmp_path / "dask")):
        assert a.equals(b)
    names = sorted(p.name for p in (tmp_path / "dask").glob("part-*.parquet"))
    assert names == [f"part-{i:05d}.parquet" for i in range(12)]


def test_funnel_adds_up_and_rejects_carry_stage_and_reason(tmp_path: Path) -> None:
    paths = write_manifest(tmp_path / "in", parts=3, rows_per_part=40)
    stats = run_job(partition_tasks(paths, [ShortCaption(), RejectWord()]), tmp_path / "o", job="t", progress=False)
    kept, rejects = read_dir(tmp_path / "o")
    short, word = stats["funnel"]
    assert short["stage"] == "short_caption" and word["stage"] == "reject_word"
    assert short["rows_in"] == 120 == short["kept"] + short["rejected_total"]
    assert word["rows_in"] == short["kept"] == word["kept"] + word["rejected_total"]
    assert word["kept"] == kept.num_rows == stats["rows_out"]
    assert short["rejected"] == {"too_short": 11} and word["rejected"]["contains_bad"] == word["rejected_total"]
    assert rejects.num_rows == short["rejected_total"] + word["rejected_total"]
    assert set(zip(rejects["stage"].to_pylist(), rejects["reason"].to_pylist())) == {
        ("short_caption", "too_short"),
        ("reject_word", "contains_bad"),
    }
    assert set(kept["uid"].to_pylist()).isdisjoint(rejects["uid"].to_pylist())
    assert json.loads((tmp_path / "o" / STATS_FILE).read_text())["funnel"][1] == word


def test_rerun_after_completion_does_no_work(tmp_path: Path, dask_client) -> None:
    paths = write_manifest(tmp_path / "in", parts=6, rows_per_part=10)
    calls = tmp_path / "calls"
    calls.mkdir()
    tasks = partition_tasks(paths, [RejectWord(calls_dir=str(calls))])
    run_job(tasks, tmp_path / "o", job="t", client=dask_client, progress=False)
    assert len(list(calls.iterdir())) == 6
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "o").rglob("*")}
    run_job(tasks, tmp_path / "o", job="t", client=dask_client, progress=False)
    assert len(list(calls.iterdir())) == 6
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "o").rglob("*")} == before


def test_resume_redoes_only_unfinished_tasks(tmp_path: Path) -> None:
    paths = write_manifest(tmp_path / "in", parts=5, rows_per_part=10)
    calls = tmp_path / "calls"
    calls.mkdir()
    tasks = partition_tasks(paths, [RejectWord(calls_dir=str(calls))])
    run_job(tasks, tmp_path / "ref", job="t", progress=False)
    out = tmp_path / "o"
    run_job(tasks, out, job="t", progress=False)
    # Simulate a kill after tasks 0-2 finished: 3 and 4 never ran, one left a stale attempt.
    shutil.rmtree(out / "_tasks" / "00003")
    shutil.rmtree(out / "_tasks" / "00004")
    (out / "_tasks" / "00004.tmp-deadbeef").mkdir()
    (out / "_SUCCESS").unlink()
    for name in ("part-00003.parquet", "part-00004.parquet"):
        (out / name).unlink()
        (out / REJECTS_DIR / name).unlink(missing_ok=True)
    for c in calls.iterdir():
        c.unlink()
    run_job(tasks, out, job="t", progress=False)
    assert sorted(c.name[:5] for c in calls.iterdir()) == ["00003", "00004"]
    assert not (out / "_tasks" / "00004.tmp-deadbeef").exists()
    for a, b in zip(read_dir(tmp_path / "ref"), read_dir(out)):
        assert a.equals(b)


def test_killed_worker_still_gives_complete_duplicate_free_output(tmp_path: Path, dask_client) -> None:
    paths = write_manifest(tmp_path / "in", parts=16, rows_per_part=30)
    run_job(partition_tasks(paths, [RejectWord()]), tmp_path / "ref", job="t", progress=False)
    calls = tmp_path / "calls"
    calls.mkdir()
    tasks = partition_tasks(paths, [RejectWord(calls_dir=str(calls), sleep=0.4)])
    pids = list(dask_client.run(worker_pid).values())
    killed = []

    def kill_when_busy() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(list(calls.iterdir())) < 4:
            time.sleep(0.05)
        os.kill(pids[0], signal.SIGKILL)
        killed.append(pids[0])

    killer = threading.Thread(target=kill_when_busy)
    killer.start()
    run_job(tasks, tmp_path / "o", job="t", client=dask_client, progress=False)
    killer.join()
    assert killed
    kept_ref, rej_ref = read_dir(tmp_path / "ref")
    kept, rej = read_dir(tmp_path / "o")
    assert kept.equals(kept_ref) and rej.equals(rej_ref)
    assert len(set(kept["uid"].to_pylist())) == kept.num_rows
    dask_client.wait_for_workers(2, timeout=60)


def test_refuses_to_mix_a_different_job_into_an_output_dir(tmp_path: Path) -> None:
    paths = write_manifest(tmp_path / "in", parts=2, rows_per_part=5)
    run_job(partition_tasks(paths, [RejectWord()]), tmp_path / "o", job="t", fingerprint={"a": 1}, progress=False)
    with pytest.raises(WitError, match="different job"):
        run_job(partition_tasks(paths, [RejectWord()]), tmp_path / "o", job="t", fingerprint={"a": 2}, progress=False)
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("mine")
    with pytest.raises(WitError, match="not empty"):
        run_job(partition_tasks(paths, [RejectWord()]), tmp_path / "foreign", job="t", progress=False)


def test_upstream_funnel_is_carried_over(tmp_path: Path) -> None:
    paths = write_manifest(tmp_path / "in", parts=2, rows_per_part=22)
    first = tmp_path / "first"
    run_job(partition_tasks(paths, [ShortCaption()]), first, job="a", progress=False)
    second = tmp_path / "second"
    parts = sorted(str(p) for p in first.glob("part-*.parquet"))
    stats = run_job(partition_tasks(parts, [RejectWord()]), second, job="b", upstream=first, progress=False)
    assert [s["stage"] for s in stats["funnel"]] == ["short_caption", "reject_word"]
    assert stats["funnel"][0]["kept"] == stats["funnel"][1]["rows_in"]
