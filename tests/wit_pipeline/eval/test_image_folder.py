"""Image folders: class names from folder names, and a one-line error for every wrong layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.wit_pipeline.eval.helpers import shape_image
from wit_pipeline.errors import WitError
from wit_pipeline.eval.image_folder import scan_image_folder


def image(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    shape_image("red", "circle", 0).save(path)
    return path


def test_classes_sorted_underscores_read_as_spaces_and_other_files_ignored(tmp_path: Path) -> None:
    image(tmp_path / "golden_retriever" / "b.JPG")
    image(tmp_path / "golden_retriever" / "a.png")
    image(tmp_path / "cat" / "x.webp")
    image(tmp_path / "cat" / ".hidden.png")
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    image(tmp_path / ".cache" / "y.png")
    (tmp_path / "README.md").write_text("ignored")
    folder = scan_image_folder(tmp_path)
    assert folder.classnames == ("cat", "golden retriever")
    assert [p.name for p in folder.paths] == ["x.webp", "a.png", "b.JPG"]
    assert folder.labels == (0, 1, 1) and folder.class_sizes() == [1, 2]


@pytest.mark.parametrize(
    "layout,fragment",
    [
        ({}, "no such directory"),
        ({"file": True}, "not a directory"),
        ({"dirs": []}, "no class folders"),
        ({"loose": ["a.png", "b.jpg"]}, "2 image(s) but no class folders"),
        ({"dirs": ["cat"], "images": {"cat": ["a.png"]}}, "only one class folder (cat)"),
        ({"dirs": ["cat", "dog"], "images": {"cat": ["a.png"]}}, "dog: class folder holds no images"),
        ({"dirs": ["big_cat", "big cat"], "images": {"big_cat": ["a.png"], "big cat": ["a.png"]}}, "also the name"),
    ],
)
def test_wrong_layouts_are_one_line_errors(tmp_path: Path, layout: dict, fragment: str) -> None:
    root = tmp_path / "data"
    if layout.get("file"):
        root.write_text("x")
    elif layout:
        root.mkdir()
    for name in layout.get("loose", []):
        image(root / name)
    for name in layout.get("dirs", []):
        (root / name).mkdir()
        for file in layout.get("images", {}).get(name, []):
            image(root / name / file)
    with pytest.raises(WitError) as info:
        scan_image_folder(root)
    message = str(info.value)
    assert fragment in message and "\n" not in message
