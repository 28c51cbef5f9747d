"""Classification data as an image folder: ``DIR/<class name>/*.png|jpg|jpeg|webp``.

Classes are the sub-folders in sorted order; a class name is its folder name with ``_`` read as a space
(``golden_retriever`` -> ``golden retriever``). Hidden files and folders (names starting with ``.``) are
ignored. A wrong layout is a ``WitError`` naming the folder and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wit_pipeline.errors import WitError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
EXPECTED = "DIR/<class name>/*.png|jpg|jpeg|webp"


@dataclass(frozen=True)
class ImageFolder:
    """The images of a class folder tree: ``paths[i]`` belongs to class ``labels[i]``."""

    root: Path
    classnames: tuple[str, ...]
    paths: tuple[Path, ...]
    labels: tuple[int, ...]

    def class_sizes(self) -> list[int]:
        """Images per class, in class order."""
        sizes = [0] * len(self.classnames)
        for label in self.labels:
            sizes[label] += 1
        return sizes


def class_name(folder: str) -> str:
    """The class name of a folder: ``_`` read as a space."""
    return folder.replace("_", " ").strip()


def is_image(path: Path) -> bool:
    """A visible regular file with an image suffix."""
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".") and path.is_file()


def scan_image_folder(root: str | Path) -> ImageFolder:
    """List an image folder's classes and images; raises ``WitError`` for any layout it cannot use."""
    root = Path(root).expanduser()
    if not root.exists():
        raise WitError(f"{root}: no such directory (expected an image folder {EXPECTED})")
    if not root.is_dir():
        raise WitError(f"{root}: not a directory (expected an image folder {EXPECTED})")
    entries = sorted(p for p in root.iterdir() if not p.name.startswith("."))
    folders = [p for p in entries if p.is_dir()]
    if not folders:
        loose = sum(1 for p in entries if is_image(p))
        if loose:
            raise WitError(f"{root}: {loose} image(s) but no class folders; move them into {EXPECTED}")
        raise WitError(f"{root}: no class folders (expected {EXPECTED})")
    if len(folders) < 2:
        raise WitError(f"{root}: only one class folder ({folders[0].name}); classification needs at least 2")
    names: dict[str, str] = {}
    paths: list[Path] = []
    labels: list[int] = []
    for label, folder in enumerate(folders):
        name = class_name(folder.name)
        if not name:
            raise WitError(f"{folder}: the folder name gives an empty class name")
        if name in names:
            raise WitError(f"{folder}: class name {name!r} is also the name of folder {names[name]!r}")
        names[name] = folder.name
        images = sorted(p for p in folder.iterdir() if is_image(p))
        if not images:
            raise WitError(f"{folder}: class folder holds no images ({', '.join(IMAGE_SUFFIXES)})")
        paths.extend(images)
        labels.extend([label] * len(images))
    return ImageFolder(root, tuple(names), tuple(paths), tuple(labels))
