"""The images of an evaluation set, whatever its layout: one reader per layout, tried in order.

Decontamination (``shards.decontaminate``) needs every image of every evaluation set, each with a
name that says where it came from. A layout reader is a pair of functions: ``matches(dir)`` says
whether a directory is in its layout, ``units(dir)`` lists the files that hold its images (the work
is split per unit, so a large set hashes in parallel), and ``read(dir, unit)`` yields
``(name, image bytes)`` for one unit. ``LAYOUTS`` holds them in the order they are tried; a new
layout plugs in with ``register_layout``.

Readers here:

- ``shards``: webdataset tars anywhere under the directory (wit and img2dataset shard directories,
  CLIP_benchmark's ``<split>/N.tar`` sets); images are members with an image extension, named
  ``<tar path relative to the set>:<member name>``. Members that could escape a directory are refused.
- ``image_folder``: image files anywhere under the directory (``DIR/<class>/*.png``, what
  ``wit eval`` reads), named by their path relative to the set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from loaders.tar_members import MemberLimits
from loaders.tar_reader import iter_members
from wit_pipeline.errors import WitError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")


@dataclass(frozen=True)
class Layout:
    """How to find and read the images of one evaluation layout."""

    name: str
    matches: Callable[[Path], bool]
    units: Callable[[Path], list[str]]
    read: Callable[[Path, str], Iterator[tuple[str, bytes]]]


def _tars(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.tar") if p.is_file())


def _read_tar(root: Path, unit: str) -> Iterator[tuple[str, bytes]]:
    exts = frozenset(suffix[1:] for suffix in IMAGE_SUFFIXES)
    for name, data in iter_members(root / unit, exts):
        yield f"{unit}:{name}", data


def _images(root: Path) -> list[str]:
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
    )


def _read_image(root: Path, unit: str) -> Iterator[tuple[str, bytes]]:
    path = root / unit
    if path.stat().st_size <= MemberLimits.default().image_bytes:
        yield unit, path.read_bytes()


LAYOUTS: list[Layout] = [
    Layout("shards", lambda root: bool(_tars(root)), _tars, _read_tar),
    Layout("image_folder", lambda root: bool(_images(root)), _images, _read_image),
]


def register_layout(layout: Layout, first: bool = True) -> None:
    """Add a layout reader, tried before the built-in ones unless ``first`` is false."""
    LAYOUTS.insert(0, layout) if first else LAYOUTS.append(layout)


def layout_of(directory: str | Path) -> Layout:
    """The first layout whose ``matches`` accepts ``directory``; a one-line error if none does."""
    root = Path(directory).expanduser()
    if not root.is_dir():
        raise WitError(f"{root}: evaluation set not found (expected a directory of images or shard tars)")
    for layout in LAYOUTS:
        if layout.matches(root):
            return layout
    raise WitError(f"{root}: no images found (expected image files or webdataset .tar shards under it)")
