"""Picklable stages used by the runtime tests (importable by dask worker processes)."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from wit_pipeline.runtime import StageResult, split_rows


@dataclass(frozen=True)
class RejectWord:
    """Rejects captions containing ``word``; records each call in ``calls_dir`` if given."""

    word: str = "bad"
    name: str = "reject_word"
    calls_dir: str | None = None
    sleep: float = 0.0

    def __call__(self, table: pa.Table, partition: int) -> StageResult:
        if self.calls_dir:
            Path(self.calls_dir, f"{partition:05d}-{uuid.uuid4().hex}").touch()
        if self.sleep:
            time.sleep(self.sleep)
        reasons = [f"contains_{self.word}" if self.word in c else None for c in table["caption"].to_pylist()]
        return split_rows(table, reasons, self.name)


@dataclass(frozen=True)
class ShortCaption:
    """Rejects captions shorter than ``min_chars``."""

    min_chars: int = 5
    name: str = "short_caption"

    def __call__(self, table: pa.Table, partition: int) -> StageResult:
        reasons = ["too_short" if len(c) < self.min_chars else None for c in table["caption"].to_pylist()]
        return split_rows(table, reasons, self.name)


def write_manifest(directory: Path, parts: int, rows_per_part: int) -> list[str]:
    """A manifest of ``parts`` parts; every 7th caption contains 'bad', every 11th is short."""
    from wit_pipeline.manifest import compute_uid, conform

    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for p in range(parts):
        urls, captions = [], []
        for r in range(rows_per_part):
            i = p * rows_per_part + r
            urls.append(f"http://example.com/{i}.jpg")
            captions.append("hm" if i % 11 == 0 else (f"a bad photo {i}" if i % 7 == 0 else f"a photo {i}"))
        table = pa.table(
            {
                "uid": [compute_uid(u, c) for u, c in zip(urls, captions)],
                "url": urls,
                "caption": captions,
                "page_url": pa.nulls(rows_per_part, pa.string()),
                "source": ["import"] * rows_per_part,
            }
        )
        path = directory / f"part-{p:05d}.parquet"
        pq.write_table(conform(table), path)
        paths.append(str(path))
    return paths


def worker_pid() -> int:
    return os.getpid()
