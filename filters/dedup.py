"""Exact dedup across all partitions: a dask shuffle picks one survivor per key, a stage applies it.

Keys: ``url`` (the normalised image URL) or ``uid`` (normalised URL + the caption as it stands
after normalisation). Each partition contributes a small frame of 128-bit key hashes; dask
shuffles it by key so every copy of a key meets in one task, which keeps the *smallest row* in a
total order that depends only on row content — ``uid``, then a hash of url/caption/page_url/
source, then input position — so the surviving rows are the same however the input is
partitioned (rows tied on all of those are identical in those columns). The losers, with the
uid of the row they duplicate, are regrouped by input partition (``set_index`` on explicit
divisions) into one small file per partition, which ``DedupStage`` reads.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from distributed import Client

from filters.global_step import compute, count_rows, run_step, shuffle_method
from filters.near_dup import GLOBAL, LOSER_META, NearDup
from filters.near_dup_global import (
    CONTENT_COLUMNS,
    NEAR_DIR,
    content_hash,
    losers_file,
    near_file,
    write_near_losers,
)
from wit_pipeline import storage
from wit_pipeline.manifest import compute_uid, normalize_url
from wit_pipeline.runtime import StageResult, split_rows

STAGE = "dedup"
_HASH_KEYS = ("wit-dedup-key-01", "wit-dedup-key-02")

STRING = "string[pyarrow]"
# URLs normalize_url would return unchanged: lower-case http(s) scheme and host, no port, user or
# fragment, a path, printable ASCII, no dangling "?". Most crawled URLs; parsing them is the cost.
NORMAL_URL = re.compile(r"https?://[a-z0-9.\-]+/[\x21\x22\x24-\x7e]*(?<!\?)\Z")


def safe_normalize_url(url: str | None) -> str:
    """``normalize_url``, or the stripped text itself for a URL too malformed to parse."""
    if url is None:
        return ""
    if NORMAL_URL.match(url):
        return url
    try:
        return normalize_url(url)
    except ValueError:
        return url.strip()


def key_values(table: pa.Table, key: str) -> list[str]:
    """The dedup key of every row of a manifest table."""
    urls = table["url"].to_pylist()
    if key == "url":
        return [safe_normalize_url(u) for u in urls]
    captions = table["caption"].to_pylist()
    return [compute_uid(safe_normalize_url(u), c or "") for u, c in zip(urls, captions)]


def hash128(values: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Two independent 64-bit SipHashes of each string: a 128-bit key that fits two numeric columns."""
    array = np.asarray(values, dtype=object)
    return tuple(pd.util.hash_array(array, hash_key=k, categorize=False) for k in _HASH_KEYS)


def part_keys(path: str, partition: int, key: str, near_dup: NearDup | None) -> pd.DataFrame:
    """The frame one manifest part contributes to the shuffle (read from ``path``, local or fsspec URL)."""
    names = storage.parquet_metadata(path).schema.to_arrow_schema().names
    table = storage.read_parquet(path, columns=[c for c in ["uid", *CONTENT_COLUMNS] if c in names])
    return keys_frame(table, partition, key, near_dup)


def keys_frame(table: pa.Table, partition: int, key: str, near_dup: NearDup | None) -> pd.DataFrame:
    """Key hashes, ordering columns (uid, content hash) and position of every row of ``table``."""
    k1, k2 = hash128(key_values(table, key))
    frame = pd.DataFrame(
        {
            "k1": k1,
            "k2": k2,
            "uid": pd.Series(table["uid"].to_pylist(), dtype=STRING),
            "content": content_hash(table),
            "part": np.full(table.num_rows, partition, dtype="int32"),
            "row": np.arange(table.num_rows, dtype="int32"),
        }
    )
    if near_dup is not None:
        frame = frame.assign(**near_dup.columns(table))
    return frame


def exact_pass(frame: pd.DataFrame, reason: str) -> pd.DataFrame:
    """Mark every row but the smallest of each key as a duplicate of it (``reason`` null for survivors)."""
    frame = frame.sort_values(["k1", "k2", "uid", "content", "part", "row"], kind="stable")
    loser = frame.duplicated(["k1", "k2"], keep="first").to_numpy()
    first_uid = frame.groupby(["k1", "k2"], sort=False)["uid"].transform("first")
    return frame.assign(
        reason=pd.Series(np.where(loser, reason, None), index=frame.index, dtype=STRING),
        duplicate_of=first_uid.where(loser, None).astype(STRING),
    )


def write_losers(
    paths: Sequence[str],
    out: Path,
    key: str,
    near_dup: NearDup | None,
    client: Client | None,
) -> None:
    """Global step: write ``out/losers-NNNNN.parquet`` (part, row, reason, duplicate_of) per input part.

    With the ``global`` near-dup scope, the near duplicates among the exact pass's survivors follow
    in ``out/near/`` (``near_dup_global``); the page and domain scopes ride on the exact shuffle.
    """
    import dask.dataframe as dd

    global_near = near_dup is not None and near_dup.scope == GLOBAL
    if global_near:
        near_dup, threshold, min_chars = None, near_dup.threshold, near_dup.min_chars

    def write(tmp: Path) -> None:
        schema = storage.parquet_metadata(paths[0]).schema.to_arrow_schema()
        empty = schema.empty_table().select([c for c in ["uid", *CONTENT_COLUMNS] if c in schema.names])
        meta = keys_frame(empty, 0, key, near_dup)
        keys = dd.from_map(part_keys, list(paths), list(range(len(paths))), key=key, near_dup=near_dup, meta=meta)
        method = shuffle_method(client, count_rows(paths))
        marked_meta = meta.assign(reason=pd.Series(dtype=STRING), duplicate_of=pd.Series(dtype=STRING))
        marked = keys.shuffle(on=["k1", "k2"], shuffle_method=method).map_partitions(
            exact_pass, f"duplicate_{key}", meta=marked_meta
        )
        losers = marked[marked["reason"].notnull()][list(LOSER_META.columns)]
        if near_dup is not None:
            survivors = marked[marked["reason"].isnull()]
            near = survivors.shuffle(on="group", shuffle_method=method).map_partitions(near_dup.losers, meta=LOSER_META)
            losers = dd.concat([losers, near])
        by_part = losers.set_index("part", divisions=list(range(len(paths) + 1)), shuffle_method=method)
        job = by_part.to_parquet(str(tmp), name_function=losers_file, write_index=True, compute=False)
        compute(job, client)
        if global_near:
            write_near_losers(paths, tmp, threshold, client, min_chars)

    run_step(out, write)


@dataclass(frozen=True)
class DedupStage:
    """Per-partition stage: reject the rows the global step marked, recording the uid each duplicates."""

    losers_dir: str
    name: str = STAGE

    def __call__(self, table: pa.Table, partition: int) -> StageResult:
        """Drop this partition's losers; rejects get a ``duplicate_of`` column."""
        directory = Path(self.losers_dir)
        reasons: list[str | None] = [None] * table.num_rows
        originals: dict[int, str] = {}
        for path in (
            directory / losers_file(partition),
            directory / NEAR_DIR / near_file(partition),
        ):
            if not path.exists():
                continue
            losers = pq.read_table(path, columns=["row", "reason", "duplicate_of"]).to_pydict()
            for row, reason, original in zip(losers["row"], losers["reason"], losers["duplicate_of"]):
                reasons[row] = reason
                originals[row] = original
        result = split_rows(table, reasons, self.name)
        duplicate_of = pa.array([originals[i] for i in sorted(originals)], pa.string())
        result.rejected = result.rejected.append_column("duplicate_of", duplicate_of)
        return result
