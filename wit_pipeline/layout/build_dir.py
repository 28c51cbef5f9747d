"""The layout of a ``wit build`` output directory, and of the demo directory that holds one.

A build (each step a complete, resumable stage directory of its own)::

    OUT/sources/<import|warc|html>/   one manifest per source kind
    OUT/sources/all/                  the source manifests merged (only with several kinds)
    OUT/filtered/                     wit filter's output
    OUT/shards/                       final webdataset shards (a shard directory: see ``shard_dir``)
    OUT/clip_shards/                  with [filters] clip_model: the shards the CLIP-score filter kept
    OUT/build.json                    per-step wall time and rows, the final funnel, which shards are final

A demo (``wit demo``)::

    DEMO/build/                       a build directory
    DEMO/run/                         the training run (see ``wit_pipeline.model.run_dir``)
    DEMO/heldout/                     the held-out image folder it is evaluated on
"""

from __future__ import annotations

import os
from pathlib import Path

from wit_pipeline import storage
from wit_pipeline.layout.manifest_dir import is_manifest_dir
from wit_pipeline.layout.shard_dir import is_shard_dir

SOURCES_DIR = "sources"
MERGED_SOURCES = "all"
FILTERED_DIR = "filtered"
SHARDS_DIR = "shards"
CLIP_SHARDS_DIR = "clip_shards"
BUILD_FILE = "build.json"

DEMO_BUILD_DIR = "build"
DEMO_RUN_DIR = "run"
DEMO_HELDOUT_DIR = "heldout"


def source_dir(out: Path, kind: str) -> Path:
    """Where the manifest of one source kind (``import``, ``warc``, ``html``, or the merged ``all``) goes."""
    return out / SOURCES_DIR / kind


def is_build_dir(path: Path) -> bool:
    """A finished build (``build.json``), or one under way whose shards or filtered manifest exist."""
    return (path / BUILD_FILE).exists() or is_shard_dir(path / SHARDS_DIR) or is_manifest_dir(path / FILTERED_DIR)


def find_build(path: Path) -> Path | None:
    """The build directory ``path`` holds: a demo's ``build/``, or ``path`` itself; None when neither is one."""
    return next((p for p in (path / DEMO_BUILD_DIR, path) if is_build_dir(p)), None)


def read_build(out_dir: str | os.PathLike) -> dict:
    """The ``build.json`` of a build directory (local or fsspec URL)."""
    return storage.read_json(storage.join(storage.location(out_dir), BUILD_FILE))


def final_shards(out_dir: Path) -> Path:
    """The shard directory a finished build ends with (``clip_shards`` after a CLIP-score filter)."""
    return out_dir / read_build(out_dir).get("shards", SHARDS_DIR)
