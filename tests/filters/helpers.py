"""Building small manifests on disk and reading filter outputs back, for the filters tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from wit_pipeline.layout.manifest_dir import REJECTS_DIR
from wit_pipeline.manifest import compute_uid, conform


def manifest_rows(pairs: Sequence[tuple[str, str]], page_url: str | None = "http://pages.example/p") -> list[dict]:
    """Manifest rows (uid computed) for (url, caption) pairs."""
    return [
        {"uid": compute_uid(url, caption), "url": url, "caption": caption, "page_url": page_url, "source": "test"}
        for url, caption in pairs
    ]


def table_of(rows: Sequence[dict]) -> pa.Table:
    """A conformed manifest table of ``rows``."""
    return conform(pa.Table.from_pylist(list(rows)))


def write_manifest(directory: Path, parts: Sequence[Sequence[dict]]) -> Path:
    """Write one ``part-NNNNN.parquet`` per row list; returns the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    for i, rows in enumerate(parts):
        pq.write_table(table_of(rows), directory / f"part-{i:05d}.parquet")
    return directory


def split_evenly(rows: Sequence[dict], n: int) -> list[list[dict]]:
    """``rows`` cut into ``n`` contiguous parts."""
    size = -(-len(rows) // n)
    return [list(rows[i : i + size]) for i in range(0, len(rows), size)]


def read_kept(out: Path) -> pa.Table:
    """Every kept row of an output directory, in part order."""
    parts = sorted(out.glob("part-*.parquet"))
    return pa.concat_tables([pq.read_table(p) for p in parts], promote_options="permissive")


def read_rejects(out: Path) -> pa.Table | None:
    """Every rejected row of an output directory, or None when there are none."""
    parts = sorted((out / REJECTS_DIR).glob("part-*.parquet"))
    if not parts:
        return None
    return pa.concat_tables([pq.read_table(p) for p in parts], promote_options="permissive")


CAPTION_MIX = [
    "a red bicycle leaning on a brick wall",
    "a small dog playing with a ball in the park",
    "sunset over the sea with two sailing boats",
    "ein kleiner Hund spielt im Park mit einem Ball",
    "un petit chien qui joue dans le parc",
    "IMG_{n}.jpg",
    "click here",
    "",
    "bicycle",
    "a cat sleeping on a red sofa",
    "fresh bread and cheese on a wooden table",
]
QUERY_LIST = ["dog", "cat", "bicycle", "sea", "bread", "red", "park", "ball", "boats"]


def mixed_csv(path: Path, rows: int, seed: int = 0) -> Path:
    """A URL list with duplicate URLs, several languages, junk captions and common/rare queries."""
    import csv
    import random

    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["url", "caption", "page_url"])
        for _ in range(rows):
            n = rng.randrange(rows * 2 // 3)
            caption = rng.choice(CAPTION_MIX).format(n=n)
            writer.writerow([f"http://img.example/{n}.jpg", caption, f"http://pages.example/{n % 17}"])
    return path
