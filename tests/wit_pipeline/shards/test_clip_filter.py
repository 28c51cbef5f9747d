"""The CLIP-score filter on shards: planted swapped captions go, matched pairs stay, layout unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from loaders.shard_source import resolve_source
from loaders.tar_reader import iter_samples
from tests.wit_pipeline.embed.helpers import CLASSES, captioned, shared_clip_run, write_download_shards
from tests.wit_pipeline.eval.helpers import assert_one_line_error, wit
from tests.wit_pipeline.train.helpers import COLOURS, SHAPES
from wit_pipeline.embed.task import EmbedSettings
from wit_pipeline.errors import WitError
from wit_pipeline.shards.clip_filter import LOW, UNSCORED, ClipCut, ClipRule, clip_filter_shards, plan_cut


@pytest.fixture(scope="module")
def clip_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_clip_run(tmp_path_factory)


def swapped_pool(root: Path) -> tuple[Path, set[str]]:
    """64 shape pairs, 8 per shard; 16 captions name a class of another colour (planted swaps)."""
    colours = list(COLOURS)
    samples, swapped = [], set()
    for i in range(64):
        colour, shape = CLASSES[i % len(CLASSES)]
        if (i + i // 8) % 4 == 3:
            other = colours[(colours.index(colour) + 1 + i % 3) % len(colours)]
            samples.append(captioned(colour, shape, i, f"a {other} {SHAPES[(i // 3) % 2]}"))
            swapped.add(f"{i // 8:05d}{i % 8:04d}")
        else:
            samples.append(captioned(colour, shape, i))
    return write_download_shards(root, samples), swapped


def shard_rows(directory: Path) -> pd.DataFrame:
    return pd.concat(pd.read_parquet(p) for p in sorted(directory.glob("[0-9]*.parquet")))


def test_swapped_captions_are_removed_far_more_often_than_matched_ones(clip_run: Path, tmp_path: Path) -> None:
    shards, swapped = swapped_pool(tmp_path / "shards")
    (shards / "tokenizer.json").write_text("{}")
    settings = EmbedSettings(run=str(clip_run), device="cpu", batch_size=16)
    stats = clip_filter_shards(shards, tmp_path / "out", settings, ClipRule(top_fraction=0.75), progress=False)
    rows = shard_rows(tmp_path / "out")
    samples = rows[rows["status"] != "failed_to_download"]
    removed = set(samples.loc[samples["status"] == "filtered", "key"])
    matched = set(samples["key"]) - swapped
    swapped_rate, matched_rate = len(removed & swapped) / len(swapped), len(removed & matched) / len(matched)
    assert len(removed) == 16 and swapped_rate >= 0.8 and matched_rate <= 0.1, (swapped_rate, matched_rate)
    assert (samples.loc[samples["key"].isin(swapped), "clip_score"].mean()) < samples["clip_score"].mean() - 0.2
    assert set(rows.loc[rows["status"] == "filtered", "error_message"]) == {LOW}
    failed = rows[rows["status"] == "failed_to_download"]
    assert len(failed) == 8 and failed["clip_score"].isna().all() and set(failed["error_message"]) == {"http_404"}
    stage = stats["funnel"][-1]
    assert stage["stage"] == "clip_score" and (stage["rows_in"], stage["kept"]) == (64, 48)
    assert stage["rejected"] == {LOW: 16} and stats["samples"] == 48
    sizes = json.loads((tmp_path / "out" / "sizes.json").read_text())
    kept_keys = [s["__key__"] for name in sorted(sizes) for s in iter_samples(tmp_path / "out" / name)]
    assert sum(sizes.values()) == resolve_source(tmp_path / "out").num_samples == 48
    assert sorted(kept_keys) == sorted(set(samples["key"]) - removed)
    shard_stats = json.loads((tmp_path / "out" / "00000_stats.json").read_text())
    assert shard_stats["successes"] == 8 - shard_stats["filtered"] and (tmp_path / "out" / "tokenizer.json").exists()
    assert clip_filter_shards(shards, tmp_path / "out", settings, ClipRule(top_fraction=0.75), progress=False) == stats
    with pytest.raises(WitError, match="different job"):
        clip_filter_shards(shards, tmp_path / "out", settings, ClipRule(threshold=0.5), progress=False)


def test_a_threshold_keeps_scores_above_it_and_unscorable_samples_go(clip_run: Path, tmp_path: Path) -> None:
    samples = [captioned(*CLASSES[i % 8], i) for i in range(10)]
    samples[4] = {"jpg": b"broken", "txt": "a red square"}
    shards = write_download_shards(tmp_path / "shards", samples, per_shard=5)
    settings = EmbedSettings(run=str(clip_run), device="cpu")
    stats = clip_filter_shards(shards, tmp_path / "out", settings, ClipRule(threshold=0.3), progress=False)
    rows = shard_rows(tmp_path / "out").set_index("key")
    assert rows.loc["000000004", "error_message"] == UNSCORED and np.isnan(rows.loc["000000004", "clip_score"])
    scored = rows[rows["clip_score"].notna()]
    assert ((scored["clip_score"] >= 0.3) == (scored["status"] == "success")).all()
    assert stats["funnel"][-1]["rejected"][UNSCORED] == 1


def test_the_cut_ranks_by_score_then_key() -> None:
    keys, scores = ["b", "a", "c", "d"], np.array([0.5, 0.5, 0.9, 0.1], np.float32)
    cut = plan_cut(keys, scores, ClipRule(top_fraction=0.5))
    assert [k for k, s in zip(keys, scores) if cut.keeps(float(s), k)] == ["a", "c"]
    assert plan_cut(keys, scores, ClipRule(top_fraction=0.6)).keeps(0.5, "b")
    assert ClipCut(threshold=0.2).keeps(0.2, "z") and not ClipCut(threshold=0.2).keeps(0.19, "a")
    assert ClipRule().resolved() == ClipRule(top_fraction=0.3)
    with pytest.raises(WitError, match="'filters.clip_top_fraction' must be greater than 0 and at most 1, got 1.5"):
        ClipRule(top_fraction=1.5).resolved()


@pytest.mark.slow
def test_wit_filter_with_clip_model(clip_run: Path, tmp_path: Path) -> None:
    shards, swapped = swapped_pool(tmp_path / "shards")
    out = tmp_path / "out"
    args = ["filter", str(shards), "--out", str(out), "--clip-model", str(clip_run), "--clip-device", "cpu"]
    result = wit(*args, "--clip-threshold", "0.3", "--workers", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "clip_score" in result.stdout and result.stdout.splitlines()[-1].startswith("wit filter: ")
    rows = shard_rows(out)
    assert len(set(rows.loc[rows["status"] == "filtered", "key"]) & swapped) >= 14
    manifest = tmp_path / "manifest"
    manifest.mkdir()
    (manifest / "part-00000.parquet").write_bytes(b"")
    bad = wit("filter", str(manifest), "--out", str(tmp_path / "o2"), "--clip-model", str(clip_run))
    assert_one_line_error(bad, "--clip-model filters a shard directory")
