"""Class names for classification sets whose folder names or label indices are not readable names.

``--classnames`` is either ``imagenet`` (CLIP's 1000 ImageNet class names, in the standard index order, which is
the sorted order of the ``nXXXXXXXX`` folders; shipped in ``data/imagenet_classnames.txt``) or a text file:

- one class name per line, in class order (the sorted folder order, or the label index order), or
- ``id<TAB>name`` lines, mapping folder names (ids such as ``n01440764``) to class names; ids not present in
  the data are ignored, so one full map serves any subset of the classes.

Any mismatch is a one-line ``WitError`` naming the file and line.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from importlib import resources

from wit_pipeline import storage
from wit_pipeline.errors import WitError

IMAGENET = "imagenet"
IMAGENET_CLASSES = 1000


def imagenet_classnames() -> tuple[str, ...]:
    """CLIP's ImageNet class names (index order), as published in CLIP's prompt-engineering notebook."""
    text = resources.files("wit_pipeline.eval").joinpath("data/imagenet_classnames.txt").read_text(encoding="utf-8")
    return tuple(text.splitlines())


def read_name_lines(text: str, where: str) -> list[str]:
    """Non-empty lines of a class-name list; trailing blank lines are allowed, an inner blank one is an error."""
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            raise WitError(f"{where}: line {number}: empty class name")
    return [line.strip() for line in lines]


def count_problem(names: Sequence[str], expected: int, where: str, what: str) -> WitError:
    """The error for a list of ``len(names)`` class names where ``expected`` were needed, naming the line."""
    if len(names) < expected:
        return WitError(f"{where}: line {len(names) + 1}: missing; {len(names)} class names for {expected} {what}")
    return WitError(f"{where}: line {expected + 1}: one too many; {len(names)} class names for {expected} {what}")


def read_classnames(spec: str) -> tuple[str, ...]:
    """All the class names of ``spec`` in label order (``imagenet`` or a file of one name per line)."""
    if spec == IMAGENET:
        return imagenet_classnames()
    path, lines = _read(spec)
    if any("\t" in line for line in lines):
        raise WitError(f"{path}: id<TAB>name lines map class folders; for class indices give one name per line")
    return tuple(lines)


def _read(spec: str) -> tuple[storage.Location, list[str]]:
    path = storage.location(os.path.expanduser(spec))
    if not storage.exists(path):
        raise WitError(f"--classnames {spec}: neither 'imagenet' nor an existing file")
    try:
        text = storage.read_text(path)
    except UnicodeDecodeError:
        raise WitError(f"{path}: not UTF-8 text (expected one class name per line, or id<TAB>name)") from None
    return path, read_name_lines(text, str(path))


def classnames_for(spec: str, ids: Sequence[str], what: str = "class folders") -> tuple[str, ...]:
    """The class names ``spec`` (``imagenet`` or a file) gives the classes ``ids`` (folder names, in order)."""
    if spec == IMAGENET:
        names = imagenet_classnames()
        if len(ids) != IMAGENET_CLASSES:
            raise WitError(
                f"--classnames imagenet: the data has {len(ids)} {what}, ImageNet has {IMAGENET_CLASSES} "
                "(for a subset give a file of id<TAB>name lines)"
            )
        return names
    path, lines = _read(spec)
    if any("\t" in line for line in lines):
        return _by_id(lines, ids, str(path), what)
    if len(lines) != len(ids):
        raise count_problem(lines, len(ids), str(path), what)
    return tuple(lines)


def _by_id(lines: list[str], ids: Sequence[str], where: str, what: str) -> tuple[str, ...]:
    mapping: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        key, sep, name = line.partition("\t")
        if not sep or not key.strip() or not name.strip():
            raise WitError(f"{where}: line {number}: expected id<TAB>name, got {line[:80]!r}")
        if key.strip() in mapping:
            raise WitError(f"{where}: line {number}: id {key.strip()!r} is listed twice")
        mapping[key.strip()] = name.strip()
    missing = [i for i in ids if i not in mapping]
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise WitError(f"{where}: no line for class {missing[0]!r}{more} (ids are the {what}' names)")
    return tuple(mapping[i] for i in ids)
