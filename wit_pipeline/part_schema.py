"""One schema for every part of a directory of parquet parts, decided once the parts are written.

Tasks write their parts independently (one per input block, on different dask workers), so an extra
column can come out ``int64`` in one part and ``string`` in the next, which every dataset reader
(pyarrow, dask, img2dataset) refuses. After a job, ``unify_parts`` gives each column one type across
all parts and rewrites only the parts that differ, each atomically (a rerun after a kill finishes
the job). The rule, per column:

- one type in every part where the column is not all-null: that type;
- integers and floats only: ``int64`` if all are integers, else ``float64``;
- anything else (text and numbers, lists, structs...): ``string``; numbers and booleans become their
  text (``5``, ``1.5``, ``true``), lists and structs their JSON, as a JSONL block of mixed types does;
- null in every part: ``string``;
- a part lacking a column gets it as nulls.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from wit_pipeline.atomic_files import write_parquet_summary
from wit_pipeline.layout.manifest_dir import PART_GLOB, SUMMARY_FILE


def unified_type(types: list[pa.DataType]) -> pa.DataType:
    """The one type of a column whose parts have ``types`` (the rule in the module doc)."""
    known = [t for t in types if not pa.types.is_null(t)]
    if not known:
        return pa.string()
    if all(t == known[0] for t in known):
        return known[0]
    if all(pa.types.is_integer(t) for t in known):
        return pa.int64()
    if all(pa.types.is_integer(t) or pa.types.is_floating(t) for t in known):
        return pa.float64()
    return pa.string()


def as_type(column: pa.ChunkedArray, target: pa.DataType) -> pa.Array | pa.ChunkedArray:
    """``column`` converted to ``target`` (a type ``unified_type`` chose for it)."""
    if column.type == target:
        return column
    if pa.types.is_null(column.type):
        return pa.nulls(len(column), target)
    if pa.types.is_string(target) and not _is_scalar_type(column.type):
        return pa.array([None if v is None else json.dumps(v, default=str) for v in column.to_pylist()], target)
    try:
        return pc.cast(column, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        if not pa.types.is_string(target):
            raise
        values = column.to_pylist()
        return pa.array(
            [v if v is None else v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values],
            target,
        )


def _is_scalar_type(t: pa.DataType) -> bool:
    return not (pa.types.is_nested(t) or pa.types.is_dictionary(t))


def unify_parts(directory: Path) -> int:
    """Give every ``part-*.parquet`` of ``directory`` one schema; returns how many parts were rewritten."""
    for stale in directory.glob(f"{PART_GLOB}.tmp-*"):  # left by a rewrite that was killed
        stale.unlink()
    parts = sorted(directory.glob(PART_GLOB))
    if len(parts) < 2:
        return 0
    schemas = [pq.read_schema(p).remove_metadata() for p in parts]
    fields: dict[str, list[pa.Field]] = {}
    for schema in schemas:
        for field in schema:
            fields.setdefault(field.name, []).append(field)
    target = pa.schema(
        [
            pa.field(
                name, unified_type([f.type for f in found]), len(found) < len(parts) or any(f.nullable for f in found)
            )
            for name, found in fields.items()
        ]
    )
    rewritten = 0
    for path, schema in zip(parts, schemas):
        if schema.equals(target):
            continue
        table = pq.read_table(path)
        columns = [
            as_type(table[f.name], f.type) if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
            for f in target
        ]
        tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
        pq.write_table(pa.table(columns, schema=target), tmp)
        os.replace(tmp, path)
        rewritten += 1
    if rewritten:  # the summary dask follows must describe the parts as they are now
        write_parquet_summary(directory / SUMMARY_FILE, parts)
    return rewritten
