"""``[filters] clip_model`` in wit build: a CLIP-score step after download, added to a finished build."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tests.wit_pipeline.build_job.test_build import write_inputs
from tests.wit_pipeline.download.image_server import image_server
from tests.wit_pipeline.embed.helpers import shared_clip_run
from wit_pipeline.build_job.runner import build
from wit_pipeline.config import load_config
from wit_pipeline.layout.build_dir import final_shards, read_build


@pytest.fixture(scope="module")
def clip_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_clip_run(tmp_path_factory)


def test_clip_step_resumes_a_finished_build_and_keeps_the_top_fraction(clip_run: Path, tmp_path: Path) -> None:
    with image_server() as base:
        config = load_config(write_inputs(tmp_path, base))
        plain = build(config, tmp_path / "out", client=None, progress=False)
        config.filters.clip_model, config.filters.clip_top_fraction = str(clip_run), 0.5
        config.filters.clip_device = "cpu"
        stats = build(config, tmp_path / "out", client=None, progress=False)
    record = read_build(tmp_path / "out")
    assert record["shards"] == "clip_shards" and [s["step"] for s in record["steps"]][-1] == "clip filter"
    assert final_shards(tmp_path / "out") == tmp_path / "out" / "clip_shards"
    assert stats["samples"] == math.ceil(plain["samples"] / 2) == record["samples"]
    stage = stats["funnel"][-1]
    assert stage["stage"] == "clip_score" and stage["rows_in"] == plain["samples"]
    assert [s["stage"] for s in stats["funnel"][:-1]] == [s["stage"] for s in plain["funnel"]]
    shards = tmp_path / "out" / "clip_shards"
    assert sum(json.loads((shards / "sizes.json").read_text()).values()) == stats["samples"]
    assert (shards / "tokenizer.json").read_text() == (tmp_path / "out" / "shards" / "tokenizer.json").read_text()
