"""Where inputs and outputs live: local paths, ``file://`` URLs, or any fsspec URL.

Locations are resolved once, on the client, before anything is shipped to dask workers:

- a plain path or a ``file://`` URL becomes an absolute local ``Path`` (workers may run in any
  directory; they share the filesystem, not the working directory). Local outputs keep the
  runtime's fast path: temporary names, ``os.replace``, completion markers last.
- any other URL (``s3://``, ``gs://``, ``memory://``, ...) stays a string and is read through
  fsspec, by whichever process needs it (a worker reads its own input file or manifest part).

Remote *outputs* are staged and uploaded by ``wit_pipeline.staging`` (stages write local directories
only). ``memory://`` is per process: it works where the workers are threads of the client's process.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from fsspec.core import split_protocol

from wit_pipeline.errors import WitError

Location = Path | str  # a local absolute Path, or a remote fsspec URL
_LOCAL_PROTOCOLS = {None, "file", "local"}


def location(value: str | os.PathLike) -> Location:
    """An absolute local ``Path`` for a path or ``file://`` URL; any other URL unchanged (a ``str``)."""
    text = os.fspath(value)
    protocol, rest = split_protocol(text)
    if protocol in _LOCAL_PROTOCOLS:
        return Path(os.path.abspath(os.path.expanduser(rest)))
    if protocol not in fsspec.available_protocols():
        raise WitError(f"{text}: unknown storage protocol '{protocol}://'")
    return text


def local_dir(value: str | os.PathLike, what: str = "this step") -> Path:
    """An absolute local ``Path`` for a path or ``file://`` URL; a one-line error for a remote URL."""
    loc = location(value)
    if isinstance(loc, str):
        raise WitError(f"{loc}: {what} reads and writes a local (or shared) filesystem only; give a path")
    return loc


def input_name(value: str | os.PathLike) -> str:
    """A path or URL as the string a worker opens: local paths absolute, symlinks resolved."""
    loc = location(value)
    return str(loc.resolve() if isinstance(loc, Path) else loc)


def join(base: Location, *names: str) -> Location:
    """``base/name/...`` for a local path or a URL."""
    if isinstance(base, Path):
        return base.joinpath(*names)
    return "/".join([base.rstrip("/"), *names])


def filesystem(url: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """The fsspec filesystem of ``url`` and the path inside it (a one-line error for a bad URL)."""
    try:
        return fsspec.core.url_to_fs(url)
    except ImportError as exc:  # e.g. s3:// without s3fs installed
        raise WitError(f"{url}: {exc}") from None


def open_input(value: str | os.PathLike, mode: str = "rb") -> IO[Any]:
    """Open a local file or fsspec URL for reading (seekable binary by default); use as a context manager."""
    loc = location(value)
    if isinstance(loc, Path):
        return open(loc, mode)  # noqa: SIM115 - returned to the caller's ``with``
    fs, path = filesystem(loc)
    return fs.open(path, mode)


def exists(value: str | os.PathLike) -> bool:
    loc = location(value)
    if isinstance(loc, Path):
        return loc.exists()
    fs, path = filesystem(loc)
    return fs.exists(path)


def is_dir(value: str | os.PathLike) -> bool:
    loc = location(value)
    if isinstance(loc, Path):
        return loc.is_dir()
    fs, path = filesystem(loc)
    return fs.isdir(path)


def size(value: str | os.PathLike) -> int | None:
    """Size in bytes of a file, or None if it does not exist."""
    loc = location(value)
    try:
        if isinstance(loc, Path):
            return loc.stat().st_size
        fs, path = filesystem(loc)
        return int(fs.size(path))
    except (FileNotFoundError, OSError):
        return None


def file_identities(paths: Sequence[str]) -> list[list]:
    """``[path, size]`` per file: what a job fingerprint records of its inputs, so a rerun over changed
    inputs is refused rather than mixed into the finished output."""
    return [[p, size(p)] for p in paths]


def list_files(directory: str | os.PathLike, pattern: str = "*") -> list[Location]:
    """Files directly inside ``directory`` whose names match ``pattern``, sorted by name."""
    loc = location(directory)
    if isinstance(loc, Path):
        return sorted(p for p in loc.glob(pattern) if p.is_file())
    fs, path = filesystem(loc)
    protocol = split_protocol(loc)[0]
    found = [p for p in fs.glob(f"{path.rstrip('/')}/{pattern}") if fs.isfile(p)]
    return sorted(fs.unstrip_protocol(p) if protocol else p for p in found)


def read_text(value: str | os.PathLike) -> str:
    with open_input(value, "rb") as fh:
        return fh.read().decode("utf-8")


def read_json(value: str | os.PathLike) -> Any:
    return json.loads(read_text(value))


def read_parquet(value: str | os.PathLike, columns: list[str] | None = None) -> pa.Table:
    """A whole parquet file (or some columns), local or remote."""
    loc = location(value)
    if isinstance(loc, Path):
        return pq.read_table(loc, columns=columns)
    fs, path = filesystem(loc)
    return pq.read_table(path, columns=columns, filesystem=fs)


def parquet_metadata(value: str | os.PathLike) -> pq.FileMetaData:
    """A parquet file's footer (row count, schema) without reading its data."""
    with open_input(value) as fh:
        return pq.ParquetFile(fh).metadata
