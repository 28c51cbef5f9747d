"""The build directory's layout: which directory is a build, and the build a demo directory holds."""

from __future__ import annotations

import json
from pathlib import Path

from wit_pipeline.layout import build_dir


def test_a_build_is_recognised_by_build_json_or_its_finished_parts(tmp_path: Path) -> None:
    assert not build_dir.is_build_dir(tmp_path) and build_dir.find_build(tmp_path) is None
    (tmp_path / build_dir.SHARDS_DIR).mkdir()
    assert not build_dir.is_build_dir(tmp_path), "an empty shards/ is not yet a shard directory"
    (tmp_path / build_dir.SHARDS_DIR / "00000.tar").write_bytes(b"")
    assert build_dir.is_build_dir(tmp_path) and build_dir.find_build(tmp_path) == tmp_path
    done = tmp_path / "done"
    done.mkdir()
    (done / build_dir.BUILD_FILE).write_text(json.dumps({"shards": build_dir.CLIP_SHARDS_DIR}))
    assert build_dir.find_build(done) == done
    assert build_dir.final_shards(done) == done / build_dir.CLIP_SHARDS_DIR


def test_a_demo_directory_holds_its_build_under_build(tmp_path: Path) -> None:
    build = tmp_path / build_dir.DEMO_BUILD_DIR
    build.mkdir()
    (build / build_dir.BUILD_FILE).write_text("{}")
    assert not build_dir.is_build_dir(tmp_path)
    assert build_dir.find_build(tmp_path) == build
    assert build_dir.final_shards(build) == build / build_dir.SHARDS_DIR
