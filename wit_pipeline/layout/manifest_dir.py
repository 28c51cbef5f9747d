"""The on-disk layout of wit's output directories: which names hold data and which hold metadata.

A **manifest directory** (written by ``import``, ``crawl``, ``filter`` and ``build``'s steps)::

    OUT/part-NNNNN.parquet            the kept rows: the only data files at the top
    OUT/_metadata                     parquet summary of the kept parts (all their row groups)
    OUT/_stats.json                   the funnel (rows in, kept, rejected per stage and reason)
    OUT/_rejects/part-NNNNN.parquet   every rejected row, with ``stage`` and ``reason`` (+ ``_metadata``)
    OUT/_query_counts/part-00000.parquet   per-query counts (``wit filter`` with query matching)
    OUT/_SUCCESS, OUT/_job.json, OUT/_tasks/, OUT/_stages/, ...   completion marker and task state

Every name but the kept parts starts with ``_``: the Hadoop/Spark convention that pandas, pyarrow
datasets and dask skip, so ``pandas.read_parquet(OUT)`` is exactly the kept rows and
``pandas.read_parquet(OUT / "_rejects")`` exactly the rejects. Two readers need more:

- dask lists every ``*.parquet`` file below a folder, ``_`` names included, unless the folder holds a
  ``_metadata`` summary, which it then follows; so every manifest (and its ``_rejects``) has one.
- img2dataset reads a folder as ``OUT/*.parquet`` (no recursion, no ``_`` rule), which is why the
  query counts live in a folder, not in a top-level ``_query_counts.parquet``.

A **shard directory** keeps img2dataset's layout (``NNNNN.tar``, ``NNNNN.parquet``,
``NNNNN_stats.json``, plus ``sizes.json``; owned by ``layout.shard_dir``); wit's funnel there is
``_stats.json`` too. The job state names (``_SUCCESS``, ``_job.json``, ``_tasks/``) are ``layout.job_dir``'s.

Directories written before this layout (``stats.json``, ``rejects/``, ``query_counts.parquet``) are
still read: every lookup below falls back to the old name when the new one is absent.
"""

from __future__ import annotations

import os

from wit_pipeline import storage
from wit_pipeline.storage import Location

PART_GLOB = "part-*.parquet"
STATS_FILE = "_stats.json"
REJECTS_DIR = "_rejects"
QUERY_COUNTS_DIR = "_query_counts"
QUERY_COUNTS_PART = "part-00000.parquet"
FILTER_RECORD = "_filter.json"  # wit filter's settings and inputs (claims the directory for that filter)
SUMMARY_FILE = "_metadata"  # parquet summary of the parts: dask reads exactly the files it lists

# The layout before metadata moved under ``_`` names; read, never written.
OLD_STATS_FILE = "stats.json"
OLD_REJECTS_DIR = "rejects"
OLD_QUERY_COUNTS = "query_counts.parquet"


def part_name(index: int) -> str:
    """The file name of manifest part (or rejects part) ``index``."""
    return f"part-{index:05d}.parquet"


def is_hidden(name: str) -> bool:
    """Whether standard parquet readers skip ``name`` (it starts with ``_`` or ``.``)."""
    return name.startswith(("_", "."))


def _first_existing(directory: str | os.PathLike, *names: str) -> Location | None:
    base = storage.location(directory)
    for name in names:
        candidate = storage.join(base, name)
        if storage.exists(candidate):
            return candidate
    return None


def stats_location(directory: str | os.PathLike) -> Location | None:
    """The funnel file of ``directory``: ``_stats.json``, else an old ``stats.json``, else None."""
    return _first_existing(directory, STATS_FILE, OLD_STATS_FILE)


def rejects_location(directory: str | os.PathLike) -> Location:
    """The rejects folder of ``directory``: ``_rejects``, or an old ``rejects`` when only that exists.

    The new name is returned when neither exists (the directory has no rejects).
    """
    found = _first_existing(directory, REJECTS_DIR, OLD_REJECTS_DIR)
    return found if found is not None else storage.join(storage.location(directory), REJECTS_DIR)


def query_counts_location(directory: str | os.PathLike) -> Location | None:
    """The per-query table of a ``wit filter`` output (new or old name), or None if it has none."""
    return _first_existing(directory, f"{QUERY_COUNTS_DIR}/{QUERY_COUNTS_PART}", OLD_QUERY_COUNTS)


def query_counts_target(directory: str | os.PathLike) -> Location:
    """Where ``wit filter`` writes the per-query table."""
    return storage.join(storage.location(directory), QUERY_COUNTS_DIR, QUERY_COUNTS_PART)


def is_manifest_dir(directory: str | os.PathLike) -> bool:
    """A directory holding manifest parts or a funnel (new or old layout)."""
    if not storage.is_dir(directory):
        return False
    return stats_location(directory) is not None or bool(storage.list_files(directory, PART_GLOB))


def is_old_layout(directory: str | os.PathLike) -> bool:
    """A manifest or shard directory written before metadata moved under ``_`` names."""
    base = storage.location(directory)
    new = storage.exists(storage.join(base, STATS_FILE)) or storage.exists(storage.join(base, REJECTS_DIR))
    old = any(storage.exists(storage.join(base, n)) for n in (OLD_STATS_FILE, OLD_REJECTS_DIR, OLD_QUERY_COUNTS))
    return old and not new
