"""Open a wit output directory with the readers users hand it to: pandas, pyarrow, dask, img2dataset."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import dask.dataframe as dd
import pandas as pd
import pyarrow.dataset as ds
import pyarrow.feather as feather
import pyarrow.parquet as pq


def img2dataset_rows(directory: str | Path, columns: list[str]) -> list[dict]:
    """The rows img2dataset's own parquet-folder reader would download from ``directory``."""
    from img2dataset.reader import Reader

    with tempfile.TemporaryDirectory() as tmp:
        reader = Reader(str(directory), "parquet", "url", "caption", None, None, columns, 10_000, set(), tmp)
        rows: list[dict] = []
        for _, path in reader:
            rows += feather.read_table(path).to_pylist()
    return rows


def uids_by_reader(directory: str | Path) -> dict[str, Counter]:
    """The ``uid`` multiset each standard reader sees in ``directory``."""
    directory = str(directory)
    return {
        "pandas": Counter(pd.read_parquet(directory)["uid"]),
        "pyarrow.dataset": Counter(ds.dataset(directory, format="parquet").to_table()["uid"].to_pylist()),
        "dask": Counter(dd.read_parquet(directory)["uid"].compute()),
        "img2dataset": Counter(r["uid"] for r in img2dataset_rows(directory, ["uid"])),
    }


def shard_dir_uids(directory: str | Path) -> dict[str, Counter]:
    """What the readers that can open a shard directory (tars beside the parquets) see in it."""
    directory = str(directory)
    table = ds.dataset(directory, format="parquet", exclude_invalid_files=True).to_table(columns=["uid"])
    return {
        "pyarrow.dataset(exclude_invalid_files)": Counter(table["uid"].to_pylist()),
        "dask": Counter(dd.read_parquet(directory)["uid"].compute()),
        "img2dataset": Counter(r["uid"] for r in img2dataset_rows(directory, ["uid"])),
    }


def part_uids(files: list[Path]) -> Counter:
    """The ``uid`` multiset of the given parquet files, read one by one (the oracle)."""
    return Counter(uid for f in files for uid in pq.read_table(f, columns=["uid"])["uid"].to_pylist())


def assert_every_reader_sees_exactly(directory: Path, expected: Counter) -> None:
    assert sum(expected.values()) > 0, f"{directory}: nothing to compare"
    for reader, seen in uids_by_reader(directory).items():
        assert seen == expected, (
            f"{reader} read {sum(seen.values())} rows of {directory}, expected {sum(expected.values())}"
        )
