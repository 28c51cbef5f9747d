"""Remote outputs: the one place where an output URL becomes a local working copy, uploaded when complete.

Stage functions (``import_lists``, ``crawl_warc``, ``crawl_html``, ``filter_manifest``,
``download_manifest``, ``manifest_to_shards``, ``build``, ...) write local directories only: a path or
a ``file://`` URL (their *inputs* may be any fsspec URL). An output URL (``s3://``, ``memory://``, ...)
is staged here, in one of two ways that share ``staged_output``:

- the ``wit`` command line stages every command's ``--out`` (``wit_pipeline.cli.main``);
- Python callers wrap the stage call in ``run_staged``::

      run_staged("s3://bucket/filtered", lambda local: filter_manifest("manifest/", local, config.filters))

The stage writes a local working copy (``working_dir``: under ``$WIT_WORK_DIR``, default the system
temp directory; it must be a filesystem every worker sees), and on success ``upload`` copies
it file by file, every completion marker after all data, then ``_PUBLISHED.json`` last. Object stores
replace whole objects atomically, so a reader that checks ``_PUBLISHED.json`` (or a stage's ``_SUCCESS``)
never sees a partial output; an interrupted upload resumes, skipping objects already uploaded whole. A failed
stage leaves its working copy, so the rerun resumes from it; an output already uploaded is not
recomputed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from wit_pipeline import storage
from wit_pipeline.errors import WitError
from wit_pipeline.layout.job_dir import SUCCESS
from wit_pipeline.layout.manifest_dir import STATS_FILE, stats_location

WORK_DIR_ENV = "WIT_WORK_DIR"
PUBLISHED = "_PUBLISHED.json"  # written last by upload: the output is complete
_MARKERS = (SUCCESS, PUBLISHED)


def local_output(out: str | os.PathLike, what: str) -> Path:
    """The absolute local directory ``what`` (a stage) writes for ``out``; a one-line error for a URL."""
    loc = storage.location(out)
    if isinstance(loc, str):
        raise WitError(
            f"{loc}: {what} writes a local directory; for a URL output wrap the call in "
            "wit_pipeline.staging.run_staged (wit commands stage a URL --out themselves)"
        )
    return loc


def working_dir(out: str | os.PathLike) -> Path:
    """The local directory a stage writes for ``out``: ``out`` itself, or its staging copy for a URL.

    The staging copy's name derives from the URL, so a rerun resumes in the same directory.
    """
    loc = storage.location(out)
    if isinstance(loc, Path):
        return loc
    root = Path(os.environ.get(WORK_DIR_ENV) or Path(tempfile.gettempdir()) / "wit-work").expanduser().absolute()
    tail = re.sub(r"[^A-Za-z0-9._-]+", "_", loc.rstrip("/").rsplit("/", 1)[-1])[:60]
    return root / f"{tail}-{hashlib.blake2b(loc.encode(), digest_size=6).hexdigest()}"


def uploaded(out: str | os.PathLike) -> bool:
    """Whether a remote output was uploaded completely (always False for a local one)."""
    loc = storage.location(out)
    return isinstance(loc, str) and storage.exists(storage.join(loc, PUBLISHED))


def upload(local: Path, url: str) -> dict:
    """Upload the directory ``local`` to ``url``: data first, completion markers after, ``_PUBLISHED.json`` last.

    Files already at the destination with the same size are skipped, so an interrupted upload
    resumes. Returns the manifest written to ``_PUBLISHED.json`` (relative path -> bytes).
    """
    fs, root = storage.filesystem(url)
    root = root.rstrip("/")
    files = sorted(p for p in local.rglob("*") if p.is_file())
    data = [p for p in files if p.name not in _MARKERS]
    markers = sorted((p for p in files if p.name in _MARKERS), key=lambda p: -len(p.relative_to(local).parts))
    sizes = {}
    for path in data + markers:
        rel = path.relative_to(local).as_posix()
        sizes[rel] = path.stat().st_size
        target = f"{root}/{rel}"
        if path.name not in _MARKERS and fs.exists(target) and fs.size(target) == sizes[rel]:
            continue
        fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
        fs.put_file(str(path), target)
    record = {"files": sizes}
    with fs.open(f"{root}/{PUBLISHED}", "w") as fh:
        fh.write(json.dumps(record, indent=1) + "\n")
    return record


@contextmanager
def staged_output(out: str | os.PathLike, keep: bool = False) -> Iterator[Path]:
    """Yield the local directory to write ``out`` into; for a URL, upload it there on success.

    The staging copy is removed after a successful upload unless ``keep``; after a failure it
    stays, so the rerun resumes from it.
    """
    loc = storage.location(out)
    local = working_dir(loc)
    yield local
    if isinstance(loc, str):
        upload(local, loc)
        if not keep:
            shutil.rmtree(local, ignore_errors=True)


def run_staged(out: str | os.PathLike, work: Callable[[Path], dict], result_dir: str = "") -> dict:
    """``work(local_dir)`` for an output that may be a URL; returns its result (a stage's stats).

    A remote output already uploaded is not recomputed: the stats file of its ``result_dir``
    (``_stats.json``, or an old ``stats.json``) is read back.
    """
    loc = storage.location(out)
    if isinstance(loc, str) and uploaded(loc):
        path = stats_location(storage.join(loc, result_dir) if result_dir else loc)
        if path is None:
            raise WitError(f"{loc}: uploaded but has no {STATS_FILE}; remove it and rerun")
        return storage.read_json(path)
    with staged_output(loc) as local:
        return work(local)
