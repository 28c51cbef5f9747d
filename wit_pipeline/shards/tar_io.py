"""Read webdataset shard tars safely: samples grouped by key, hostile members refused.

Members with absolute paths, ``..`` components, or that are not regular files (symlinks,
devices, directories) are skipped and counted; nothing is ever extracted to disk. A tar cut short
is counted as ``truncated_tar`` when the caller counts skips, and is otherwise an error: a
stage must not silently lose the samples after the cut.
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from wit_pipeline.errors import WitError


def unsafe_member(member: tarfile.TarInfo) -> str | None:
    """Why a tar member must not be read (``path_traversal``, ``not_a_file``), or None."""
    path = PurePosixPath(member.name)
    if path.is_absolute() or ".." in path.parts or "\\" in member.name:
        return "path_traversal"
    if not member.isreg():
        return "not_a_file"
    return None


def split_member_name(name: str) -> tuple[str, str]:
    """webdataset's rule: the key is everything before the first dot of the base name."""
    directory, _, base = name.rpartition("/")
    key, _, ext = base.partition(".")
    return (f"{directory}/{key}" if directory else key), ext


def iter_samples(tar_path: str | Path, skipped: dict[str, int] | None = None) -> Iterator[dict[str, bytes | str]]:
    """Yield ``{"__key__": key, ext: bytes, ...}`` for consecutive members sharing a key."""
    try:
        tf = tarfile.open(tar_path, "r:*")
    except (OSError, tarfile.TarError) as exc:
        raise WitError(f"{tar_path}: unreadable tar file ({exc})") from None
    current: dict[str, bytes | str] = {}
    with tf:
        try:
            for member in tf:
                problem = unsafe_member(member)
                if problem is not None:
                    if skipped is not None:
                        skipped[problem] = skipped.get(problem, 0) + 1
                    continue
                key, ext = split_member_name(member.name)
                if current and current["__key__"] != key:
                    yield current
                    current = {}
                current["__key__"] = key
                handle = tf.extractfile(member)
                current[ext] = handle.read() if handle is not None else b""
        except (OSError, tarfile.TarError, EOFError) as exc:
            if skipped is None:
                raise WitError(f"{tar_path}: truncated or corrupt tar file ({exc}); delete it and rerun") from None
            skipped["truncated_tar"] = skipped.get("truncated_tar", 0) + 1
    if current:
        yield current
