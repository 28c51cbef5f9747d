"""Atomic writes: write to a temporary name in the same directory, then ``os.replace``."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

TMP_MARK = ".tmp-"


def tmp_name(path: Path) -> Path:
    """A unique temporary sibling of ``path``; recognisable so stale ones can be cleaned."""
    return path.with_name(f"{path.name}{TMP_MARK}{uuid.uuid4().hex[:12]}")


def write_parquet(path: Path, table: pa.Table) -> None:
    tmp = tmp_name(path)
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def write_json(path: Path, data: object) -> None:
    tmp = tmp_name(path)
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def write_text(path: Path, text: str) -> None:
    tmp = tmp_name(path)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_parquet_summary(path: Path, files: list[Path]) -> bool:
    """Write a ``_metadata`` summary (every row group of ``files``, paths relative to ``path``'s folder).

    Readers that honour it (dask) then read exactly these files and nothing else below the folder.
    Returns False, writing nothing, when the files' schemas differ (a summary needs one schema).
    """
    metadata = None
    for file in files:
        footer = pq.read_metadata(file)
        footer.set_file_path(file.relative_to(path.parent).as_posix())
        if metadata is None:
            metadata = footer
        elif not metadata.schema.equals(footer.schema):
            path.unlink(missing_ok=True)
            return False
        else:
            metadata.append_row_groups(footer)
    if metadata is None:
        path.unlink(missing_ok=True)
        return False
    tmp = tmp_name(path)
    metadata.write_metadata_file(str(tmp))
    os.replace(tmp, path)
    return True


def is_tmp(path: Path) -> bool:
    return TMP_MARK in path.name
