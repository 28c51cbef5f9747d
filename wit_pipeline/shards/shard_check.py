"""Check a shard directory against itself: parquet rows, tar members and ``sizes.json`` agree.

Every ``NNNNN.parquet`` row is one attempted sample. A ``success`` row must be a sample in
``NNNNN.tar`` (image, ``txt`` and ``json`` members, the json naming the same uid); any other
status must carry a reason in ``error_message``. A tar holds no sample the parquet does not
list as a success, no member that is unsafe or cut short, and ``sizes.json`` counts exactly
the samples each tar holds. Used by ``wit inspect --verify``.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from loaders.tar_members import IMAGE_EXTS
from loaders.tar_reader import iter_samples
from wit_pipeline.errors import WitError
from wit_pipeline.layout.shard_dir import (
    SIZES_FILE,
    STATUS_STAGE,
    TAR_SUFFIX,
    read_sizes,
    shard_parquets,
    shard_tars,
    sizes_location,
)

# The stage a non-success row of a final shard parquet was dropped at, by its status.
ROW_COLUMNS = ["uid", "source", "page_url", "key", "status", "error_message"]


@dataclass
class Problem:
    """One discrepancy: what kind, where (a file, a key or a row identity), and the detail."""

    kind: str
    where: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind}: {self.where}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class ShardCheck:
    """What a shard directory holds: its attempted rows and every problem found."""

    rows: pa.Table | None = None
    samples: int = 0
    problems: list[Problem] = field(default_factory=list)


def check_shard_dir(shard_dir: str | Path) -> ShardCheck:
    """Read every shard parquet and tar of ``shard_dir`` and report where they disagree."""
    root = Path(shard_dir)
    result = ShardCheck()
    tables = []
    seen_keys: Counter = Counter()
    parquets = shard_parquets(root)
    counted: dict[str, int] = {}
    for parquet in parquets:
        try:
            table = pq.read_table(parquet, columns=ROW_COLUMNS)
        except (OSError, pa.ArrowException) as exc:
            result.problems.append(Problem("unreadable_parquet", str(parquet), str(exc).splitlines()[0]))
            continue
        tables.append(table)
        rows = table.to_pylist()
        seen_keys.update(r["key"] for r in rows)
        for r in rows:
            if r["status"] != "success" and r["status"] not in STATUS_STAGE:
                result.problems.append(Problem("unknown_status", f"{parquet.name} key {r['key']}", str(r["status"])))
            elif r["status"] != "success" and not r["error_message"]:
                result.problems.append(Problem("failed_without_reason", f"{parquet.name} key {r['key']}"))
        successes = {r["key"]: r["uid"] for r in rows if r["status"] == "success"}
        counted[parquet.with_suffix(TAR_SUFFIX).name] = _check_tar(parquet.with_suffix(TAR_SUFFIX), successes, result)
    for key, n in seen_keys.items():
        if n > 1:
            result.problems.append(Problem("duplicate_key", str(key), f"{n} parquet rows"))
    for tar in shard_tars(root):
        if tar.name not in counted:
            result.problems.append(Problem("tar_without_parquet", str(tar)))
    result.samples = sum(counted.values())
    _check_sizes(root, counted, result)
    if tables:
        result.rows = pa.concat_tables(tables, promote_options="permissive")
    return result


def _check_tar(tar: Path, successes: dict[str, str], result: ShardCheck) -> int:
    """Compare one tar's samples with the parquet's success rows; returns the samples it holds."""
    if not tar.exists():
        if successes:
            result.problems.append(Problem("missing_tar", str(tar), f"{len(successes)} success row(s)"))
        return 0
    skipped: dict[str, int] = {}
    seen: set[str] = set()
    for sample in iter_samples(tar, skipped):
        key = str(sample["__key__"])
        where = f"{tar.name} key {key}"
        if key in seen:
            result.problems.append(Problem("duplicate_sample", where))
            continue
        seen.add(key)
        if key not in successes:
            result.problems.append(Problem("sample_not_in_parquet", where))
            continue
        missing = [m for m in ("txt", "json") if m not in sample]
        if not any(e in sample for e in IMAGE_EXTS):
            missing.append("image")
        if missing:
            result.problems.append(Problem("incomplete_sample", where, "no " + ", ".join(missing)))
            continue
        try:
            uid = json.loads(sample["json"]).get("uid")
        except (ValueError, AttributeError):
            uid = None
        if uid != successes[key]:
            result.problems.append(Problem("tar_parquet_mismatch", where, f"json uid {uid}, parquet {successes[key]}"))
    for reason, n in sorted(skipped.items()):
        result.problems.append(Problem("bad_tar", str(tar), f"{reason} x{n}"))
    for key in sorted(successes.keys() - seen):
        result.problems.append(Problem("sample_missing_from_tar", f"{tar.name} key {key}"))
    return len(seen)


def _check_sizes(root: Path, counted: dict[str, int], result: ShardCheck) -> None:
    path = sizes_location(root)
    try:
        sizes = read_sizes(root)
    except WitError as exc:
        result.problems.append(Problem("unreadable_sizes", path, str(exc)))
        return
    if sizes is None:
        result.problems.append(Problem("unreadable_sizes", path, f"no {SIZES_FILE}"))
        return
    for name in sorted(set(sizes) | set(counted)):
        if sizes.get(name) != counted.get(name):
            result.problems.append(
                Problem("sizes_mismatch", name, f"sizes.json {sizes.get(name)}, tar holds {counted.get(name)}")
            )
