"""The image stage end to end on downloaded shards: duplicates and rules removed with reasons."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tests.wit_pipeline.download.image_server import image_server
from tests.wit_pipeline.download.test_download import options, shard_samples, write_manifest
from wit_pipeline.download.raw_shards import download_manifest
from wit_pipeline.shards.dedup_plan import ImageRules
from wit_pipeline.shards.image_filter import filter_shards


def test_filter_removes_duplicates_across_shards_with_reasons(tmp_path: Path) -> None:
    with image_server() as base:
        urls = [f"{base}/img/{i}.jpg" for i in range(10)]
        urls += [f"{base}/img/3.jpg?copy", f"{base}/img/7.jpg?again", f"{base}/lowq/5.jpg", f"{base}/wide/9.jpg"]
        manifest = write_manifest(tmp_path / "m", urls)
        # The download's own size rules off, so the image stage's aspect rule is the one tested here.
        raw_options = options(samples_per_shard=5, min_image_size=0, max_aspect_ratio=0)
        download_manifest(manifest, tmp_path / "raw", raw_options, progress=False)
    rules = ImageRules(max_aspect_ratio=3.0, phash_distance=6)
    stats = filter_shards(tmp_path / "raw", tmp_path / "final", rules, progress=False)
    table = pd.concat(pd.read_parquet(p) for p in sorted((tmp_path / "final").glob("*.parquet")))
    filtered = table[table["status"] == "filtered"].set_index("url")["error_message"].to_dict()
    assert filtered == {
        f"{base}/img/3.jpg?copy": "exact_duplicate",
        f"{base}/img/7.jpg?again": "exact_duplicate",
        f"{base}/lowq/5.jpg": "near_duplicate",
        f"{base}/wide/9.jpg": "aspect_ratio",
    }
    samples = shard_samples(tmp_path / "final")
    sizes = json.loads((tmp_path / "final" / "sizes.json").read_text())
    assert len(samples) == sum(sizes.values()) == 10
    stage = stats["funnel"][-1]
    assert stage["stage"] == "image_filter" and stage["rows_in"] == 14
    assert stage["kept"] == 10 and stage["rejected"] == {"exact_duplicate": 2, "near_duplicate": 1, "aspect_ratio": 1}
    assert [s["stage"] for s in stats["funnel"]][-2:] == ["download", "image_filter"]
    again = filter_shards(tmp_path / "raw", tmp_path / "final", rules, progress=False)
    assert again == stats
