"""Interrupt a build (SIGKILL and SIGINT) at named points of every stage, rerun, get the same output.

Each case runs the build in a child process with ``WIT_FAULT`` naming one point of the
runtime's fault hook, so the child dies at exactly that point (SIGKILL, or SIGINT: a Ctrl-C
that unwinds through every ``finally``). The test then checks that nothing under a final name is
incomplete, resumes the build in this process, and compares everything it wrote with an
undisturbed build: tar members (names and bytes), shard parquets and stats, sizes.json, every
manifest and rejects file, the funnel and the tokenizer; no temporary file is left, and
``wit inspect --verify`` finds every input row in exactly one place. The whole matrix
(27 points x 2 signals) runs under ``make stress``; ``make test`` runs a subset across stages.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.child_signals import ctrl_c_enabled
from tests.wit_pipeline.build_job.outputs import build_outputs, incomplete_final_files, tmp_leftovers
from tests.wit_pipeline.build_job.test_build import write_inputs
from tests.wit_pipeline.download.image_server import image_server
from wit_pipeline.build_job.runner import build
from wit_pipeline.config import load_config
from wit_pipeline.verify import verify_build

REPO = Path(__file__).resolve().parents[3]
# (stage, point): every step of a build, at its start, middle and moving into place.
POINTS = [
    ("import", "chunk:import:00000:2"),  # mid-file: 3 of 5 chunks written
    ("import", "task:import:00000:filled"),
    ("import", "place:import:2"),  # parts 0-2 moved into place, 3-4 not
    ("import", "place:import:stats"),  # everything moved into place but _SUCCESS
    ("import", "build:import:done"),
    ("caption+lang", "task:filter-clean:00001:filled"),
    ("caption+lang", "task:filter-clean:00003:done"),
    ("caption+lang", "place:filter-clean:stats"),
    ("dedup", "global:dedup:written"),
    ("dedup", "global:dedup:done"),
    ("query match", "task:filter-match:00002:filled"),
    ("balance", "global:counts:written"),
    ("balance", "task:filter:00001:done"),
    ("filter final step", "place:filter:3"),
    ("filter final step", "filter:query_table"),
    ("filter final step", "build:filter:done"),
    ("download", "sample:download:00001:3"),  # mid-shard: 4 samples of shard 1 in its tar
    ("download", "task:download:00002:filled"),
    ("download", "place:download:00003.tar"),  # a shard's tar moved into place, its parquet not
    ("download", "place:download:stats"),  # sizes.json and _info.json written, no _SUCCESS
    ("image dedup", "image_filter:planned"),
    ("image dedup", "sample:image_filter:00002:4"),
    ("image dedup", "place:image_filter:00001.parquet"),
    ("reshard", "sample:reshard:00001:3"),
    ("reshard", "place:reshard:stats"),
    ("final writes", "build:download:done"),  # shards done, no tokenizer
    ("final writes", "build:tokenizer:done"),  # tokenizer written, no build.json
]
QUICK = {  # make test: one case per phase of the build, both signals
    ("chunk:import:00000:2", "kill"),
    ("global:dedup:written", "int"),
    ("sample:download:00001:3", "kill"),
    ("place:image_filter:00001.parquet", "int"),
}
CASES = [
    pytest.param(
        point, action, id=f"{stage}-{point}-{action}", marks=() if (point, action) in QUICK else pytest.mark.stress
    )
    for stage, point in POINTS
    for action in ("kill", "int")
]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The config (its image server stays up for the module) and an undisturbed build's outputs."""
    tmp = tmp_path_factory.mktemp("killref")
    with image_server() as base:
        path = write_inputs(tmp, base, rows=40)
        path.write_text(path.read_text().replace("samples_per_shard = 8\n", "samples_per_shard = 8\nreshard = true\n"))
        config = load_config(path)
        build(config, tmp / "ref", client=None, progress=False)
        yield path, config, build_outputs(tmp / "ref")


def build_killed_at(config_file: Path, out: Path, point: str, action: str) -> subprocess.CompletedProcess:
    """Run the build in a child process that the fault hook stops at ``point`` (no dask: exact points)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIT_FAULT")}
    code = (
        "from wit_pipeline.build_job.runner import build; from wit_pipeline.config import load_config; "
        f"build(load_config({str(config_file)!r}), {str(out)!r}, client=None, progress=False)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**env, "WIT_FAULT": point, "WIT_FAULT_ACTION": action},
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=ctrl_c_enabled,
    )


@pytest.mark.parametrize(("point", "action"), CASES)
def test_interrupted_build_resumes_to_identical_output(tmp_path: Path, reference, point: str, action: str) -> None:
    config_file, config, expected = reference
    out = tmp_path / "out"
    done = build_killed_at(config_file, out, point, action)
    stopped_by = signal.SIGKILL if action == "kill" else signal.SIGINT  # an unhandled Ctrl-C ends by SIGINT
    assert done.returncode == -stopped_by, f"did not stop at {point}: {done.returncode} {done.stderr[-2000:]}"
    if action == "int":
        assert "KeyboardInterrupt" in done.stderr
    assert incomplete_final_files(out) == []
    build(config, out, client=None, progress=False)
    assert tmp_leftovers(out) == []
    assert build_outputs(out) == expected
    report = verify_build(out)
    assert report.ok, report.text()
