"""Read webdataset shard tars safely: samples grouped by key, hostile members refused.

Members with absolute paths, ``..`` components, that are not regular files (symlinks,
devices, directories), or that claim more bytes than their kind's cap are skipped and counted
under the loader's reasons (``loaders.tar_members``, one check for every tar reader); nothing is
ever extracted to disk. A tar cut short
is counted as ``truncated_tar`` when the caller counts skips, and is otherwise an error: a
stage must not silently lose the samples after the cut.
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from pathlib import Path

from loaders.tar_members import MemberLimits, member_problem
from wit_pipeline.errors import WitError


def split_member_name(name: str) -> tuple[str, str]:
    """webdataset's rule: the key is everything before the first dot of the base name."""
    directory, _, base = name.rpartition("/")
    key, _, ext = base.partition(".")
    return (f"{directory}/{key}" if directory else key), ext


def iter_samples(
    tar_path: str | Path, skipped: dict[str, int] | None = None, limits: MemberLimits | None = None
) -> Iterator[dict[str, bytes | str]]:
    """Yield ``{"__key__": key, ext: bytes, ...}`` for consecutive members sharing a key."""
    limits = limits or MemberLimits.default()
    try:
        tf = tarfile.open(tar_path, "r:*")
    except (OSError, tarfile.TarError) as exc:
        raise WitError(f"{tar_path}: unreadable tar file ({exc})") from None
    current: dict[str, bytes | str] = {}
    with tf:
        try:
            for member in tf:
                key, ext = split_member_name(member.name)
                problem = member_problem(member, ext.rpartition(".")[2].lower() or "other", limits)
                if problem is not None:
                    if skipped is not None:
                        skipped[problem] = skipped.get(problem, 0) + 1
                    continue
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
