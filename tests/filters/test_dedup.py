"""Exact dedup across partitions on a real LocalCluster: exact, and independent of partitioning."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from filters import global_step
from filters.dedup import NORMAL_URL, DedupStage, exact_pass, key_values, keys_frame, safe_normalize_url, write_losers
from tests.filters.helpers import manifest_rows, split_evenly, table_of, write_manifest
from wit_pipeline.layout.job_dir import is_complete
from wit_pipeline.manifest import normalize_url

URL_FORMS = ["http://img.example/{n}.jpg", "HTTP://IMG.EXAMPLE:80/{n}.jpg", "http://img.example/{n}.jpg#frag"]


def dataset(n_rows: int = 900, seed: int = 0) -> list[dict]:
    """Rows whose URLs repeat (in several spellings) with different or identical captions."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(n_rows):
        n = rng.randrange(n_rows // 3)
        caption = f"caption {rng.randrange(3)} for image {n}"
        pairs.append((rng.choice(URL_FORMS).format(n=n), caption))
    return manifest_rows(pairs)


def dedup(rows: list[dict], parts: int, key: str, tmp: Path, client) -> tuple[list[dict], list[dict]]:
    """Write ``rows`` as ``parts`` partitions, run the global step and the stage; (kept, rejected)."""
    paths = [str(p) for p in sorted(write_manifest(tmp / "in", split_evenly(rows, parts)).glob("part-*"))]
    write_losers(paths, tmp / "losers", key, None, client)
    stage = DedupStage(str(tmp / "losers"))
    kept, rejected = [], []
    for i, path in enumerate(paths):
        result = stage(pq.read_table(path), i)
        assert result.counters.rows_in == result.counters.kept + result.counters.rejected_total
        kept += result.kept.to_pylist()
        rejected += result.rejected.to_pylist()
    return kept, rejected


def expected_survivors(rows: list[dict], key: str) -> dict[str, str]:
    """key -> smallest uid, computed directly."""
    table = table_of(rows)
    best: dict[str, str] = {}
    for k, uid in zip(key_values(table, key), table["uid"].to_pylist()):
        best[k] = min(best.get(k, uid), uid)
    return best


@pytest.mark.parametrize("key", ["url", "uid"])
def test_cross_partition_dedup_is_exact_and_independent_of_partitioning(tmp_path: Path, dask_client, key) -> None:
    rows = dataset()
    kept_a, rejected_a = dedup(rows, 3, key, tmp_path / "a", dask_client)
    shuffled = rows[:]
    random.Random(1).shuffle(shuffled)
    kept_b, _ = dedup(shuffled, 7, key, tmp_path / "b", dask_client)
    best = expected_survivors(rows, key)
    assert sorted(r["uid"] for r in kept_a) == sorted(best.values())
    assert sorted(map(sorted_items, kept_a)) == sorted(map(sorted_items, kept_b))
    assert len(kept_a) + len(rejected_a) == len(rows)
    keys = key_values(table_of(rejected_a), key)
    assert all(r["duplicate_of"] == best[k] for r, k in zip(rejected_a, keys))
    assert {r["reason"] for r in rejected_a} == {f"duplicate_{key}"}


def sorted_items(row: dict) -> tuple:
    return tuple(sorted((k, str(v)) for k, v in row.items()))


def test_p2p_shuffle_on_the_cluster_and_a_serial_run_choose_the_same_survivors(
    tmp_path: Path, dask_client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(global_step, "P2P_MIN_ROWS", 0)
    assert global_step.shuffle_method(dask_client, 300) == "p2p"
    rows = dataset(300, seed=5)
    kept_cluster, _ = dedup(rows, 4, "url", tmp_path / "c", dask_client)
    kept_serial, _ = dedup(rows, 2, "url", tmp_path / "s", None)
    assert sorted(r["uid"] for r in kept_cluster) == sorted(r["uid"] for r in kept_serial)


def test_url_key_normalises_and_uid_key_includes_the_caption() -> None:
    table = table_of(
        manifest_rows([("HTTP://A.com:80/x.jpg#top", "red bike"), ("http://a.com/x.jpg", "blue bike")], None)
    )
    assert key_values(table, "url") == ["http://a.com/x.jpg"] * 2
    assert len(set(key_values(table, "uid"))) == 2
    assert safe_normalize_url("http://[bad/x") == "http://[bad/x"


def test_urls_taking_the_fast_path_are_already_normal() -> None:
    rng = random.Random(3)
    pieces = "abcXYZ019-._~:/?#[]@!$&'()*+,;=%\t "
    hosts = ["a.com", "img.example", "x-1.org", "A.com", "a.com:80", "u@a.com"]
    checked = 0
    for _ in range(20_000):
        tail = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        url = f"http{rng.choice(['', 's'])}://{rng.choice(hosts)}/{tail}"
        if NORMAL_URL.match(url):
            checked += 1
            assert normalize_url(url) == url
    assert checked > 1000


def test_survivor_is_the_smallest_uid_then_content_then_position() -> None:
    rows = manifest_rows([("http://a.com/x.jpg", c) for c in ["zeta caption", "alpha caption", "mid caption"]])
    frame = exact_pass(keys_frame(table_of(rows), 0, "url", None), "duplicate_url")
    survivor = frame[frame["reason"].isna()]
    assert survivor["uid"].tolist() == [min(r["uid"] for r in rows)]
    assert set(frame["duplicate_of"].dropna()) == {min(r["uid"] for r in rows)}
    twins = manifest_rows([("http://a.com/y.jpg", "same caption")] * 3)
    frame = exact_pass(keys_frame(table_of(twins), 2, "url", None), "duplicate_url")
    assert frame[frame["reason"].isna()]["row"].tolist() == [0]


def test_completed_step_is_not_redone(tmp_path: Path) -> None:
    rows = dataset(60)
    paths = [str(p) for p in sorted(write_manifest(tmp_path / "in", [rows]).glob("part-*"))]
    write_losers(paths, tmp_path / "losers", "url", None, None)
    marker = tmp_path / "losers" / "_SUCCESS"
    before = marker.stat().st_mtime_ns
    write_losers(paths, tmp_path / "losers", "url", None, None)
    assert is_complete(tmp_path / "losers") and marker.stat().st_mtime_ns == before
