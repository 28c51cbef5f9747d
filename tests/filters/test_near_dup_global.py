"""Global near-duplicate captions (MinHash LSH on dask): a template across domains and partitions."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from filters.dedup import DedupStage, write_losers
from filters.near_dup import NearDup
from filters.near_dup_global import order_hash
from tests.filters.helpers import manifest_rows, split_evenly, write_manifest

TEMPLATE = "Buy the {} print today - free shipping on every order over fifty dollars at our shop"
ITEMS = ["circle", "square", "star", "heart", "ring", "cross"]
DISTINCT = [
    "a small dog playing with a ball in the park",
    "sunset over the sea with two sailing boats",
    "a red bicycle leaning on a brick wall",
    "close-up of a blue flower after rain",
    "three children building a sandcastle on the beach",
    "an old steam train crossing a stone bridge",
]


def rows() -> list[dict]:
    out = []
    for d, domain in enumerate(["shop-a.example", "shop-b.example", "shop-c.example"]):
        for i, item in enumerate(ITEMS):
            out += manifest_rows([(f"http://{domain}/img/{i}.jpg", TEMPLATE.format(item))], f"http://{domain}/p{d}")
    out += manifest_rows([(f"http://photos.example/{i}.jpg", c) for i, c in enumerate(DISTINCT)], None)
    # an exact duplicate URL: dropped by the exact pass, never a near-dup candidate
    out += manifest_rows([("http://shop-a.example/img/0.jpg", TEMPLATE.format("circle") + "!")], None)
    return out


def run(tmp: Path, parts: list[list[dict]], client, threshold: float = 0.8) -> tuple[dict, dict]:
    paths = [str(p) for p in sorted(write_manifest(tmp / "in", parts).glob("part-*"))]
    write_losers(paths, tmp / "losers", "url", NearDup("global", threshold), client)
    kept, rejected = {}, {}
    for i, path in enumerate(paths):
        result = DedupStage(str(tmp / "losers"))(pq.read_table(path), i)
        kept.update({r["uid"]: r for r in result.kept.to_pylist()})
        rejected.update({r["uid"]: r for r in result.rejected.to_pylist()})
    assert not (tmp / "losers" / "_signatures").exists()
    return kept, rejected


def test_template_across_domains_keeps_one_row(tmp_path: Path) -> None:
    data = rows()
    kept, rejected = run(tmp_path, split_evenly(data, 3), None)
    template = [r for r in data if r["caption"].startswith("Buy the ") and r["url"].count("/") == 4]
    assert len(template) == 19
    near = {u: r for u, r in rejected.items() if r["reason"] == "near_duplicate_caption"}
    exact = [r for r in rejected.values() if r["reason"] == "duplicate_url"]
    assert len(exact) == 1 and len(near) == 18 - 1  # 18 template rows (one URL dropped as exact) keep one
    survivor = [r for r in kept.values() if r["caption"].startswith("Buy the ")]
    assert len(survivor) == 1
    candidates = [r for r in template if r["uid"] not in {e["uid"] for e in exact}]
    assert survivor[0]["uid"] == min(candidates, key=lambda r: order_hash([r["uid"]])[0])["uid"]
    assert {r["duplicate_of"] for r in near.values()} == {survivor[0]["uid"]}
    assert all(c in {r["caption"] for r in kept.values()} for c in DISTINCT)


@pytest.mark.parametrize("layout", ["one", "many", "shuffled"])
def test_result_is_independent_of_partitioning(tmp_path: Path, layout: str) -> None:
    data = rows()
    reference_kept, reference_rejected = run(tmp_path / "ref", [data], None)
    rng = random.Random(5)
    if layout == "shuffled":
        data = rng.sample(data, len(data))
    parts = {"one": [data[::-1]], "many": split_evenly(data, 7), "shuffled": split_evenly(data, 4)}[layout]
    kept, rejected = run(tmp_path / layout, parts, None)
    assert set(kept) == set(reference_kept)
    assert {u: (r["reason"], r["duplicate_of"]) for u, r in rejected.items()} == {
        u: (r["reason"], r["duplicate_of"]) for u, r in reference_rejected.items()
    }


def test_on_a_dask_cluster_equals_in_process(tmp_path: Path, dask_client) -> None:
    data = rows()
    local = run(tmp_path / "local", split_evenly(data, 2), None)
    cluster = run(tmp_path / "cluster", split_evenly(data, 5), dask_client)
    assert set(local[0]) == set(cluster[0])
    assert {u: r["duplicate_of"] for u, r in local[1].items()} == {u: r["duplicate_of"] for u, r in cluster[1].items()}


def test_a_chain_points_to_the_row_kept_for_the_component(tmp_path: Path) -> None:
    words = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november".split()
    chain = [" ".join(words[i : i + 11]) for i in range(4)]  # neighbours share 10 of 11 words, ends share 8
    data = manifest_rows([(f"http://x{i}.example/i.jpg", c) for i, c in enumerate(chain)], None)
    kept, rejected = run(tmp_path, [data[:2], data[2:]], None, threshold=0.7)
    assert len(kept) == 1
    assert {r["duplicate_of"] for r in rejected.values()} == set(kept)


def test_short_captions_are_left_out_with_min_chars(tmp_path: Path) -> None:
    data = manifest_rows([(f"http://s{i}.example/i.jpg", "a red circle") for i in range(4)], None) + rows()
    paths = [str(p) for p in sorted(write_manifest(tmp_path / "in", [data]).glob("part-*"))]
    write_losers(paths, tmp_path / "losers", "url", NearDup("global", 0.8, min_chars=20), None)
    result = DedupStage(str(tmp_path / "losers"))(pq.read_table(paths[0]), 0)
    assert result.kept["caption"].to_pylist().count("a red circle") == 4
    assert set(result.rejected["reason"].to_pylist()) == {"near_duplicate_caption", "duplicate_url"}
