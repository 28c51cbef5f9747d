"""Removal planning: rules, exact dedup by content hash, near dedup by pHash distance."""

from __future__ import annotations

import dask.dataframe as dd
import pandas as pd

from wit_pipeline.shards.dedup_plan import ImageRules, near_duplicates, plan_removals
from wit_pipeline.shards.image_hashes import HASH_COLUMNS


def frame(rows: list[tuple]) -> dd.DataFrame:
    df = pd.DataFrame(rows, columns=list(HASH_COLUMNS)).astype(HASH_COLUMNS)
    return dd.from_pandas(df, npartitions=2)


def test_near_duplicates_keep_the_earliest_key_within_distance() -> None:
    base = 0x0F0F_F0F0_1234_5678
    keys = ["003", "001", "002", "004"]
    hashes = [base ^ 0b111, base, base ^ (0xFFFF << 20), base ^ 0b1]
    removed = near_duplicates(keys, hashes, distance=3)
    assert removed == {"003": "near_duplicate", "004": "near_duplicate"}
    assert near_duplicates(keys, hashes, distance=0) == {}


def test_near_duplicates_find_pairs_differing_in_every_band() -> None:
    # distance 4 -> 5 bands; flip one bit in each of 4 different bands: still within distance.
    value = 0xDEAD_BEEF_CAFE_F00D
    other = value ^ (1 << 0) ^ (1 << 14) ^ (1 << 28) ^ (1 << 42)
    assert near_duplicates(["a", "b"], [value, other], distance=4) == {"b": "near_duplicate"}
    assert near_duplicates(["a", "b"], [value, other], distance=3) == {}


def test_plan_removals_rules_and_exact_duplicates() -> None:
    rows = [
        ("00000000", "00000.tar", "aa", "0000000000000000", 300, 300),
        ("00000001", "00000.tar", "aa", "0000000000000000", 300, 300),
        ("00000002", "00000.tar", "bb", "ffffffffffffffff", 100, 300),
        ("00000003", "00000.tar", "cc", "0f0f0f0f0f0f0f0f", 1000, 250),
        ("00010000", "00001.tar", "aa", "0000000000000000", 300, 300),
        ("00010001", "00001.tar", "dd", None, 300, 300),
        ("00010002", "00001.tar", "ee", "00000000000000ff", 400, 400),
    ]
    rules = ImageRules(min_side=200, max_aspect_ratio=3.0, phash_distance=4)
    removals = plan_removals(frame(rows), rules)
    assert removals == {
        "00000001": "exact_duplicate",
        "00010000": "exact_duplicate",
        "00000002": "too_small",
        "00000003": "aspect_ratio",
        "00010001": "undecodable_image",
    }
    removals = plan_removals(frame(rows), ImageRules(phash_distance=8))
    assert removals["00010002"] == "near_duplicate"
    assert plan_removals(frame(rows), ImageRules(exact_dedup=False, phash_dedup=False)) == {
        "00010001": "undecodable_image"
    }
