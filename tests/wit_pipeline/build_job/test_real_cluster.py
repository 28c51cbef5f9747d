"""``wit build`` on a real dask cluster: a scheduler and two workers started as separate processes.

The workers run in a directory of their own, so any relative path shipped to them would resolve
against the wrong directory; the client runs the real ``wit`` entry point with relative paths in
its config and ``--out``. The result must equal an in-process build of the same config.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.wit_pipeline.build_job.test_build import write_inputs
from tests.wit_pipeline.download.image_server import image_server
from wit_pipeline.build_job.runner import build
from wit_pipeline.config import load_config
from wit_pipeline.layout.manifest_dir import REJECTS_DIR, STATS_FILE

DASK = str(Path(sys.executable).with_name("dask"))
WORKERS = 2


@contextmanager
def dask_processes(root: Path, workers: int = WORKERS) -> Iterator[str]:
    """``dask scheduler`` plus ``workers`` ``dask worker`` processes on 127.0.0.1; yields the address.

    Every process runs in ``root/processes`` (not the client's directory) in its own session, and
    its whole process group is killed on the way out, whatever happened.
    """
    cwd = root / "processes"
    cwd.mkdir(parents=True)
    scheduler_file = cwd / "scheduler.json"
    procs: list[subprocess.Popen] = []

    def start(*args: str, name: str) -> None:
        log = open(cwd / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process below
        procs.append(subprocess.Popen([DASK, *args], cwd=cwd, stdout=log, stderr=log, start_new_session=True))
        log.close()

    try:
        start("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file",
              str(scheduler_file), name="scheduler")  # fmt: skip
        for i in range(workers):
            start("worker", "--scheduler-file", str(scheduler_file), "--host", "127.0.0.1", "--nthreads", "1",
                  "--nworkers", "1", "--no-dashboard", "--local-directory", str(cwd / f"w{i}"), "--name", f"w{i}",
                  name=f"worker{i}")  # fmt: skip
        address = _wait_for_workers(scheduler_file, workers, procs, cwd)
        yield address
    finally:
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for p in procs:
            p.wait(timeout=30)


def _wait_for_workers(scheduler_file: Path, n: int, procs: list[subprocess.Popen], logs: Path) -> str:
    from distributed import Client

    deadline = time.monotonic() + 90
    while not scheduler_file.exists():
        if time.monotonic() > deadline or procs[0].poll() is not None:
            raise RuntimeError(f"dask scheduler did not start:\n{(logs / 'scheduler.log').read_text()[-2000:]}")
        time.sleep(0.1)
    address = json.loads(scheduler_file.read_text())["address"]
    with Client(address, timeout="30s") as client:
        client.wait_for_workers(n, timeout=max(1.0, deadline - time.monotonic()))
    return address


def shard_contents(shards: Path) -> dict:
    """Every tar's member names and bytes, every shard parquet's rows (paths and timings left out)."""
    tars = {}
    for path in sorted(shards.glob("*.tar")):
        with tarfile.open(path) as tar:
            tars[path.name] = [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]
    parquets = {
        p.name: pq.read_table(p, columns=["key", "uid", "caption", "status", "error_message", "sha256"]).to_pylist()
        for p in sorted(shards.glob("[0-9]*.parquet"))
    }
    return {"tars": tars, "parquets": parquets, "sizes": json.loads((shards / "sizes.json").read_text())}


def manifest_rows(directory: Path) -> dict:
    return {p.name: pq.read_table(p).to_pylist() for p in sorted(directory.glob("part-*.parquet"))}


def build_outputs(out: Path) -> dict:
    return {
        "import": manifest_rows(out / "sources" / "import"),
        "filtered": manifest_rows(out / "filtered"),
        "filter_rejects": manifest_rows(out / "filtered" / REJECTS_DIR),
        "shards": shard_contents(out / "shards"),
        "funnel": json.loads((out / "shards" / STATS_FILE).read_text())["funnel"],
        "tokenizer": (out / "shards" / "tokenizer.json").read_bytes(),
    }


@pytest.mark.slow
def test_build_on_a_real_cluster_equals_a_local_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client_dir = tmp_path / "client"
    client_dir.mkdir()
    with image_server() as base:
        config = write_inputs(client_dir, base)
        text = config.read_text().replace(str(client_dir / "urls.csv"), "urls.csv")  # relative to the client
        config.write_text(text)
        monkeypatch.chdir(client_dir)
        local = build(load_config("build.toml"), Path("local"), client=None, progress=False)
        with dask_processes(tmp_path) as address:
            run = subprocess.run(
                [sys.executable, "-m", "wit_pipeline.cli.main", "build", "build.toml", "--out", "remote",
                 "--scheduler", address, "--quiet"],
                cwd=client_dir, capture_output=True, text=True, timeout=240,
            )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    assert not list((tmp_path / "processes").rglob("part-*.parquet")), "a worker wrote into its own directory"
    remote = json.loads((client_dir / "remote" / "shards" / STATS_FILE).read_text())
    assert remote["samples"] == local["samples"] == 24
    assert build_outputs(client_dir / "remote") == build_outputs(client_dir / "local")
