"""Near-duplicate captions within a page or a domain (MinHash LSH), after exact dedup."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from filters.dedup import DedupStage, write_losers
from filters.near_dup import NearDup, minhash
from tests.filters.helpers import manifest_rows, write_manifest

SIMILAR = [
    "Red leather shoe with white laces, size 9, side view",
    "Red leather shoe with white laces, size 10, side view",
    "Red leather shoe with white laces, size 11, side view",
]
OTHER = "Blue canvas sneaker on a wooden floor, top view"


def page_rows(page: str, captions: list[str], start: int) -> list[dict]:
    return manifest_rows([(f"http://img.example/{start + i}.jpg", c) for i, c in enumerate(captions)], page)


def run(tmp: Path, parts: list[list[dict]], near: NearDup, client) -> tuple[list[str], list[dict]]:
    paths = [str(p) for p in sorted(write_manifest(tmp / "in", parts).glob("part-*"))]
    write_losers(paths, tmp / "losers", "url", near, client)
    kept, rejected = [], []
    for i, path in enumerate(paths):
        result = DedupStage(str(tmp / "losers"))(pq.read_table(path), i)
        kept += result.kept["caption"].to_pylist()
        rejected += result.rejected.to_pylist()
    return kept, rejected


def test_sketch_similarity_tracks_caption_similarity() -> None:
    assert minhash(SIMILAR[0]).jaccard(minhash(SIMILAR[1])) > 0.6
    assert minhash(SIMILAR[0]).jaccard(minhash(OTHER)) < 0.2
    assert minhash("ab").jaccard(minhash("AB")) == 1.0


def test_near_duplicates_within_a_page_are_dropped_but_not_across_pages(tmp_path: Path, dask_client) -> None:
    page_a = page_rows("http://shop.example/a", [*SIMILAR, OTHER], 0)
    page_b = page_rows("http://shop.example/b", SIMILAR[:1], 10)
    kept, rejected = run(tmp_path, [page_a[:2], page_a[2:] + page_b], NearDup("page", 0.6), dask_client)
    assert sorted(kept).count(SIMILAR[0]) + sorted(kept).count(SIMILAR[1]) + sorted(kept).count(SIMILAR[2]) == 2
    assert OTHER in kept and len(kept) == 3
    assert {r["reason"] for r in rejected} == {"near_duplicate_caption"}
    page_a_uids = {r["uid"] for r in page_a}
    assert all(r["duplicate_of"] in page_a_uids and r["page_url"] == "http://shop.example/a" for r in rejected)


def test_domain_scope_groups_pages_of_one_host_and_the_survivor_is_deterministic(tmp_path: Path) -> None:
    rows = page_rows("http://shop.example/a", SIMILAR[:2], 0) + page_rows("http://shop.example/b", SIMILAR[2:], 5)
    kept_1, _ = run(tmp_path / "1", [rows], NearDup("domain", 0.6), None)
    kept_2, _ = run(tmp_path / "2", [rows[::-1][:1], rows[::-1][1:]], NearDup("domain", 0.6), None)
    assert len(kept_1) == 1 and kept_1 == kept_2


def test_rows_without_a_page_are_not_grouped_by_page(tmp_path: Path) -> None:
    rows = manifest_rows([(f"http://img.example/{i}.jpg", c) for i, c in enumerate(SIMILAR)], None)
    kept, rejected = run(tmp_path, [rows], NearDup("page", 0.6), None)
    assert len(kept) == 3 and not rejected
