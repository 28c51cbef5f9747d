"""Resharding: even sample counts, same samples and bytes, every attempted row kept once."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tests.wit_pipeline.download.image_server import image_server
from tests.wit_pipeline.download.test_download import options, shard_samples, write_manifest
from wit_pipeline.download.flow import manifest_to_shards
from wit_pipeline.shards.dedup_plan import ImageRules


def test_reshard_gives_even_shards_without_losing_rows(tmp_path: Path) -> None:
    with image_server() as base:
        urls = [f"{base}/img/{i}.jpg" for i in range(13)] + [f"{base}/img/4.jpg?dup", f"{base}/status/404"] * 2
        manifest = write_manifest(tmp_path / "m", urls)
        out = tmp_path / "s"
        stats = manifest_to_shards(
            manifest, out, options(samples_per_shard=4), ImageRules(), progress=False, even_shards=True
        )
    sizes = json.loads((out / "sizes.json").read_text())
    assert list(sizes.values()) == [4, 4, 4, 1]
    before, after = shard_samples(out / "_filtered"), shard_samples(out)
    assert before.keys() == after.keys() and all(before[k]["jpg"] == after[k]["jpg"] for k in before)
    assert list(after) == sorted(after)
    rows = pd.concat(pd.read_parquet(p) for p in sorted(out.glob("*.parquet")))
    assert len(rows) == 17 and rows["key"].is_unique
    assert rows["status"].value_counts().to_dict() == {"success": 13, "failed_to_download": 2, "filtered": 2}
    assert stats["samples"] == 13 and stats["funnel"][-1]["stage"] == "image_filter"
