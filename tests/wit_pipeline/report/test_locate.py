"""Which parts of a demo, build, shard, manifest or run directory the report finds."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.wit_pipeline.report.helpers import write_build, write_run, write_shards
from wit_pipeline.errors import WitError
from wit_pipeline.layout.manifest_dir import REJECTS_DIR
from wit_pipeline.report.locate import locate_inputs


def test_demo_directory(demo_tree: Path) -> None:
    inputs = locate_inputs(demo_tree)
    assert inputs.kind == "demo"
    assert inputs.build == demo_tree / "build"
    assert inputs.manifest == demo_tree / "build" / "filtered"
    assert inputs.shards == demo_tree / "build" / "shards"
    assert inputs.run == demo_tree / "run" and inputs.eval_file == demo_tree / "eval.json"
    assert inputs.reject_dirs == (
        demo_tree / "build" / "sources" / "html" / REJECTS_DIR,
        demo_tree / "build" / "filtered" / REJECTS_DIR,
    )


def test_build_shard_manifest_and_run_directories(demo_tree: Path) -> None:
    build = locate_inputs(demo_tree / "build")
    assert build.kind == "build" and build.run is None and build.shards == demo_tree / "build" / "shards"
    shards = locate_inputs(demo_tree / "build" / "shards")
    assert shards.kind == "shards" and shards.manifest is None and shards.build is None
    manifest = locate_inputs(demo_tree / "build" / "filtered")
    assert manifest.kind == "manifest" and manifest.shards is None
    assert manifest.reject_dirs == (demo_tree / "build" / "filtered" / REJECTS_DIR,)
    run = locate_inputs(demo_tree / "run")
    assert run.kind == "run" and run.manifest is None and run.shards is None and run.eval_file is None


def test_run_with_its_own_eval(tmp_path: Path) -> None:
    write_run(tmp_path / "run")
    (tmp_path / "run" / "eval.json").write_text("{}", encoding="utf-8")
    assert locate_inputs(tmp_path / "run").eval_file == tmp_path / "run" / "eval.json"


def test_shards_only_build(tmp_path: Path) -> None:
    write_shards(tmp_path / "shards")
    inputs = locate_inputs(tmp_path)
    assert inputs.kind == "build" and inputs.shards == tmp_path / "shards" and inputs.manifest is None


def test_not_a_wit_directory(tmp_path: Path) -> None:
    with pytest.raises(WitError, match="nothing to report"):
        locate_inputs(tmp_path)
    with pytest.raises(WitError, match="no such directory"):
        locate_inputs(tmp_path / "missing")
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    with pytest.raises(WitError, match="not a directory"):
        locate_inputs(tmp_path / "file.txt")


def test_build_helper_tree_is_a_build(tmp_path: Path) -> None:
    write_build(tmp_path / "b")
    assert locate_inputs(tmp_path / "b").kind == "build"
