"""The one reader of webdataset tar shards: members grouped into samples by key, unsafe members refused.

Every command that reads a shard tar reads it here: the loader (``wit train``), ``wit embed``,
``wit eval``, the shard stages (image filter, reshard, CLIP-score filter), ``wit inspect`` and
``--verify``, the report and ``wit search``; so a hostile member gets the same reason from each.

A sample is a run of consecutive members sharing a key (``KEY.jpg``, ``KEY.txt``, ``KEY.json``), as in
webdataset: the key is the member path up to the first dot of its base name, the extension the rest
(lower-cased); a member without one (``README``, ``.hidden``) belongs to no sample and is never read.
Samples are numbered from 0 in tar order, the numbering ``sizes.json`` counts. Members with an absolute
path, a ``..`` component, a backslash or a drive letter, anything that is not a regular file (symlinks,
hard links, devices, directories), and members larger than their kind's cap (``loaders.tar_members``),
are never read and are reported as skipped under ``loaders.tar_members.REASONS``. Only the bytes asked
for are read; nothing is ever unpickled or extracted to disk. Local shards are read with seeks (skipped
samples cost no I/O), fsspec URLs as a stream.
"""

from __future__ import annotations

import os
import re
import tarfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import fsspec

from loaders.tar_members import IMAGE_EXTS, TEXT_EXT, MemberLimits, member_problem
from wit_pipeline.errors import WitError

WANTED_EXTS = frozenset((*IMAGE_EXTS, TEXT_EXT))
TRUNCATED = "truncated_tar"  # a tar cut short (``iter_samples`` with a skip count)
_KEY_EXT = re.compile(r"^((?:.*/|)[^./]+)\.([^/]*)$")


@dataclass
class RawSample:
    """One planned sample slot: its encoded fields, or the reason it could not be read."""

    shard: int
    index: int
    image: bytes | None = None
    text: bytes | None = None
    error: str | None = None


def is_url(path: str) -> bool:
    """True for fsspec URLs (``s3://…``, ``file://…``), False for plain local paths."""
    return "://" in path


@contextmanager
def open_shard(path: str) -> Iterator[tarfile.TarFile]:
    """Open a tar shard for sequential reading: seekable for local files, streaming for URLs."""
    if is_url(path):
        with fsspec.open(path, "rb") as fh, tarfile.open(fileobj=fh, mode="r|*") as tar:
            yield tar
    else:
        with open(path, "rb") as fh, tarfile.open(fileobj=fh, mode="r:*") as tar:
            yield tar


def iter_groups(
    tar: tarfile.TarFile,
    wanted: Callable[[int], bool],
    on_skip: Callable[[str], None],
    exts: frozenset[str] | None = WANTED_EXTS,
    limits: MemberLimits | None = None,
) -> Iterator[tuple[int, dict[str, bytes]]]:
    """Yield ``(index, {ext: bytes})`` per sample; bytes of ``exts`` (None: every extension) are read
    only where ``wanted(index)``.

    Refused members (``loaders.tar_members.REASONS``; the size cap applies to the members that would be
    read, by their last extension) are reported through ``on_skip(reason)`` when the sample being read
    is wanted.
    """
    for index, _, fields in iter_keyed_groups(tar, wanted, on_skip, exts, limits):
        yield index, fields


def iter_keyed_groups(
    tar: tarfile.TarFile,
    wanted: Callable[[int], bool],
    on_skip: Callable[[str], None],
    exts: frozenset[str] | None = WANTED_EXTS,
    limits: MemberLimits | None = None,
) -> Iterator[tuple[int, str, dict[str, bytes]]]:
    """``iter_groups`` with each sample's key: ``(index, key, {ext: bytes})``."""
    limits = limits or MemberLimits.default()
    index, key, fields = -1, None, {}
    while (info := tar.next()) is not None:
        tar.members = []  # keep memory flat on large shards; members are never revisited
        match = _KEY_EXT.match(info.name)
        ext = match.group(2).lower() if match else ""
        read = exts is None or ext in exts
        problem = member_problem(info, (ext.rpartition(".")[2] or "other") if read else "", limits)
        if problem is not None:
            if wanted(max(index, 0)):
                on_skip(problem)
            continue
        if match is None:
            continue
        name = match.group(1)
        if name != key:
            if key is not None:
                yield index, key, fields
            index, key, fields = index + 1, name, {}
        if read and ext not in fields and wanted(index):
            fields[ext] = tar.extractfile(info).read()
    if key is not None:
        yield index, key, fields


def iter_samples(
    path: str | os.PathLike, skipped: dict[str, int] | None = None, limits: MemberLimits | None = None
) -> Iterator[dict[str, bytes | str]]:
    """Every sample of a shard as ``{"__key__": key, ext: bytes, ...}``, all its members read, in tar order.

    Refused members are counted in ``skipped`` by reason. A tar cut short is counted there as
    ``truncated_tar``; without ``skipped`` it is an error, so a stage never silently loses the samples
    after the cut. A file that is no tar at all is an error naming it.
    """
    path = os.fspath(path)

    def on_skip(reason: str) -> None:
        if skipped is not None:
            skipped[reason] = skipped.get(reason, 0) + 1

    with ExitStack() as stack:
        try:
            tar = stack.enter_context(open_shard(path))
        except (OSError, tarfile.TarError) as exc:
            raise WitError(f"{path}: unreadable tar file ({exc})") from None
        try:
            for _, key, fields in iter_keyed_groups(tar, lambda _: True, on_skip, None, limits):
                yield {"__key__": key, **fields}
        except (OSError, tarfile.TarError, EOFError) as exc:
            if skipped is None:
                raise WitError(f"{path}: truncated or corrupt tar file ({exc}); delete it and rerun") from None
            on_skip(TRUNCATED)


def iter_members(
    path: str | os.PathLike,
    exts: frozenset[str],
    on_skip: Callable[[str], None] = lambda _: None,
    limits: MemberLimits | None = None,
) -> Iterator[tuple[str, bytes]]:
    """``(member name, bytes)`` of every member whose last extension is in ``exts``, ungrouped, in tar order.

    For tars that are not webdataset samples (a set's images under any names, as decontamination reads
    evaluation sets); refused members are reported through ``on_skip(reason)`` like everywhere else.
    """
    limits = limits or MemberLimits.default()
    with open_shard(os.fspath(path)) as tar:
        while (info := tar.next()) is not None:
            tar.members = []
            base = info.name.rpartition("/")[2]
            ext = base.rpartition(".")[2].lower() if "." in base else ""
            if ext not in exts:
                continue
            problem = member_problem(info, ext, limits)
            if problem is not None:
                on_skip(problem)
                continue
            yield info.name, tar.extractfile(info).read()


def read_piece(
    path: str, shard: int, start: int, stop: int, on_skip: Callable[[str], None], shard_size: int | None = None
) -> Iterator[RawSample]:
    """Exactly ``stop - start`` slots for samples ``start..stop-1`` of a shard, readable or not.

    A slot the shard could not supply carries ``error``: ``read_error`` after an I/O or tar format error,
    ``missing_sample`` when the shard holds fewer samples than its recorded size. When the piece ends at the
    shard's recorded size (``stop == shard_size``), samples the shard holds beyond it are counted from their
    headers, unread, as ``unlisted_sample`` skips: a ``sizes.json`` that undercounts loses them visibly.
    """
    next_index = start
    error = "missing_sample"
    try:
        with open_shard(path) as tar:
            groups = iter_groups(tar, lambda i: start <= i < stop, on_skip)
            for index, fields in groups:
                if index < start:
                    continue
                if index >= stop:
                    break
                image = next((fields[ext] for ext in IMAGE_EXTS if ext in fields), None)
                yield RawSample(shard, index, image, fields.get(TEXT_EXT))
                next_index = index + 1
                if next_index == stop:
                    if stop == shard_size:
                        for _ in groups:
                            on_skip("unlisted_sample")
                    return
    except (OSError, EOFError, tarfile.TarError, ValueError):
        error = "read_error"
    for index in range(next_index, stop):
        yield RawSample(shard, index, error=error)


def count_samples(path: str) -> int:
    """Samples in a shard, counted from member headers without reading data."""
    with open_shard(path) as tar:
        return sum(1 for _ in iter_groups(tar, lambda _: False, lambda _: None))


def iter_captions(path: str) -> Iterator[str]:
    """Every UTF-8 caption of a shard, in tar order (undecodable ones are left out)."""
    with open_shard(path) as tar:
        for _, fields in iter_groups(tar, lambda _: True, lambda _: None, frozenset((TEXT_EXT,))):
            if TEXT_EXT in fields:
                try:
                    yield fields[TEXT_EXT].decode("utf-8")
                except UnicodeDecodeError:
                    continue
