"""Resolve a loader's ``source`` into shard paths and their sample counts.

``source`` is a shard directory (local or an fsspec URL; its ``sizes.json`` lists the shards), a brace
pattern (``shards/{00000..00041}.tar``), a single ``.tar`` path or URL, or a list of them. Sample counts
come from the ``sizes.json`` beside the shards; a local shard it does not list is counted from its member
headers, because an exact epoch needs exact counts.

A recorded count is checked against the shard where that costs only a ``stat``: every sample of an
uncompressed tar takes at least one 512-byte header, so a local ``.tar`` of ``B`` bytes holds at most
``B // 512`` samples and a count above that is an error naming the shard (a ``sizes.json`` claiming 10^12
samples would otherwise plan an epoch that exhausts memory). A count below the truth is found at read time:
the loader counts the samples past the recorded end as ``unlisted_sample`` skips.
"""

from __future__ import annotations

import os
import posixpath
import tarfile
from dataclasses import dataclass
from pathlib import Path

from braceexpand import braceexpand

from loaders.tar_reader import count_samples, is_url
from wit_pipeline.errors import WitError
from wit_pipeline.layout.shard_dir import SIZES_FILE, read_sizes, shard_file, sizes_location

TAR_BLOCK = 512
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz")


@dataclass(frozen=True)
class ShardList:
    """Shard paths/URLs with their sample counts, and the directory holding them when there is one."""

    paths: tuple[str, ...]
    sizes: tuple[int, ...]
    root: str | None

    @property
    def num_samples(self) -> int:
        """Samples in all shards together."""
        return sum(self.sizes)


def resolve_source(source: str | os.PathLike | list[str | os.PathLike] | tuple[str | os.PathLike, ...]) -> ShardList:
    """Turn any accepted ``source`` into a ``ShardList``; bad input raises ``WitError`` naming it."""
    if isinstance(source, (list, tuple)):
        if not source:
            raise WitError("source: empty list of shards (expected .tar paths or URLs)")
        return _from_paths([os.fspath(p) for p in source])
    text = os.fspath(source)
    if "{" in text:
        return _from_paths(list(braceexpand(text)))
    if text.endswith(TAR_SUFFIXES):
        return _from_paths([text])
    return _from_directory(text)


def _from_directory(directory: str) -> ShardList:
    sizes = read_sizes(directory)
    if sizes is None:
        if is_url(directory) or not Path(directory).is_dir():
            raise WitError(f"{directory}: not a shard directory (expected {SIZES_FILE}, or a .tar path or pattern)")
        names = sorted(p.name for p in Path(directory).iterdir() if p.name.endswith(TAR_SUFFIXES))
        if not names:
            raise WitError(f"{directory}: no {SIZES_FILE} and no .tar shards in it")
        return _from_paths([shard_file(directory, n) for n in names])
    names = sorted(sizes)
    if not names:
        raise WitError(f"{sizes_location(directory)}: lists no shards")
    paths = tuple(shard_file(directory, n) for n in names)
    if not is_url(directory):
        missing = [p for p in paths if not os.path.isfile(p)]
        if missing:
            raise WitError(f"{missing[0]}: listed in {SIZES_FILE} but missing")
    counts = tuple(sizes[n] for n in names)
    _check_counts(paths, counts, sizes_location(directory))
    return ShardList(paths, counts, directory)


def _from_paths(paths: list[str]) -> ShardList:
    parents = {posixpath.dirname(p) if is_url(p) else os.path.dirname(p) or "." for p in paths}
    known: dict[str, dict[str, int]] = {}
    for parent in parents:
        known[parent] = read_sizes(parent) or {}
    sizes = []
    for path in paths:
        parent = posixpath.dirname(path) if is_url(path) else os.path.dirname(path) or "."
        name = posixpath.basename(path) if is_url(path) else os.path.basename(path)
        if not is_url(path) and not os.path.isfile(path):
            raise WitError(f"{path}: shard not found (expected a .tar file)")
        if name in known[parent]:
            sizes.append(known[parent][name])
            _check_counts([path], [sizes[-1]], sizes_location(parent))
        elif is_url(path):
            raise WitError(f"{path}: no sample count in {sizes_location(parent)} (needed for an exact epoch)")
        else:
            sizes.append(_count(path))
    root = parents.pop() if len(parents) == 1 else None
    return ShardList(tuple(paths), tuple(sizes), root)


def max_samples(path: str) -> int | None:
    """The most samples a local uncompressed tar can hold (one header block each), None where unknown."""
    if is_url(path) or not path.endswith(".tar"):
        return None
    try:
        return os.path.getsize(path) // TAR_BLOCK
    except OSError:
        return None


def _check_counts(paths: list[str] | tuple[str, ...], counts: list[int] | tuple[int, ...], sizes_file: str) -> None:
    for path, count in zip(paths, counts):
        limit = max_samples(path)
        if limit is not None and count > limit:
            raise WitError(
                f"{sizes_file}: says {os.path.basename(path)} holds {count} samples, but its "
                f"{os.path.getsize(path)} bytes can hold at most {limit} (one {TAR_BLOCK}-byte header each); "
                f"(delete {SIZES_FILE} to count the samples from the tars)"
            )


def _count(path: str) -> int:
    try:
        return count_samples(path)
    except (OSError, EOFError, ValueError, tarfile.TarError) as exc:
        raise WitError(f"{path}: cannot read tar shard ({exc})") from None
