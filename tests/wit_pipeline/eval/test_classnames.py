"""Class-name files for image folders (names in folder order, or id<TAB>name) and the built-in ImageNet list."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.wit_pipeline.eval.helpers import COLOURS_RGB, ColourModel, colour_bytes
from wit_pipeline.errors import WitError
from wit_pipeline.eval.classnames import imagenet_classnames
from wit_pipeline.eval.eval_data import open_eval_data
from wit_pipeline.eval.runner import evaluate_model, set_templates
from wit_pipeline.eval.templates import IMAGENET80

COLOURS = list(COLOURS_RGB)


def id_folder(root: Path, ids: list[str], colours: list[str], per_class: int = 2) -> Path:
    """``root/<id>/N.png``: folder ``ids[i]`` holds images of ``colours[i]``."""
    for folder, colour in zip(ids, colours):
        (root / folder).mkdir(parents=True)
        for n in range(per_class):
            (root / folder / f"{n}.png").write_bytes(colour_bytes(colour))
    return root


def test_builtin_imagenet_names_are_clips_1000_in_index_order() -> None:
    names = imagenet_classnames()
    assert len(names) == 1000 and names[0] == "tench" and names[-1] == "toilet paper"
    assert names[207] == "Golden Retriever" and names[281] == "tabby cat" and names[409] == "analog clock"


def test_id_tab_name_file_maps_folders_and_scores_as_computed(tmp_path: Path) -> None:
    ids = [f"n{n:08d}" for n in (3, 1, 2)]  # sorted folder order: n00000001, n00000002, n00000003
    data = id_folder(tmp_path / "val", ids, ["red", "green", "blue"])
    names = tmp_path / "names.tsv"
    names.write_text("n00000003\tred\nn00000009\tunused\nn00000001\tgreen\nn00000002\tblue\n")
    opened = open_eval_data(data, classnames=str(names))
    assert opened.classnames == ("green", "blue", "red")
    model = ColourModel({f"a photo of a {c}.": {c: 1.0} for c in COLOURS})
    report = evaluate_model(model, model.tokenize, opened, ["zeroshot"], ["a photo of a {}."], 4, 0)["zeroshot"]
    assert report["acc1"] == 1.0 and report["samples"] == 6
    # the same names in the wrong order give exactly the wrong answers a hand count predicts: none right
    plain = tmp_path / "names.txt"
    plain.write_text("red\ngreen\nblue\n")
    wrong = evaluate_model(model, model.tokenize, open_eval_data(data, str(plain)), ["zeroshot"], ["a photo of a {}."])
    assert wrong["zeroshot"]["acc1"] == 0.0


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("red\ngreen\n", "names.txt: line 3: missing; 2 class names for 3 class folders"),
        ("red\ngreen\nblue\ncyan\n", "names.txt: line 4: one too many; 4 class names for 3 class folders"),
        ("red\n\ngreen\nblue\n", "names.txt: line 2: empty class name"),
        ("n00000001\tred\nn00000002 blue\n", "names.txt: line 2: expected id<TAB>name"),
        ("n00000001\tred\nn00000001\tblue\n", "names.txt: line 2: id 'n00000001' is listed twice"),
        ("n00000001\tred\nn00000002\tblue\n", "names.txt: no line for class 'n00000003'"),
    ],
)
def test_bad_class_name_files_name_file_and_line(tmp_path: Path, text: str, fragment: str) -> None:
    data = id_folder(tmp_path / "val", ["n00000001", "n00000002", "n00000003"], ["red", "green", "blue"], 1)
    (tmp_path / "names.txt").write_text(text)
    with pytest.raises(WitError, match=fragment.replace("(", r"\(")) as info:
        open_eval_data(data, classnames=str(tmp_path / "names.txt"))
    assert "\n" not in str(info.value)


def test_imagenet_needs_1000_folders_and_brings_the_80_templates(tmp_path: Path) -> None:
    small = id_folder(tmp_path / "small", ["n00000001", "n00000002"], ["red", "green"], 1)
    with pytest.raises(WitError, match="--classnames imagenet: the data has 2 class folders, ImageNet has 1000"):
        open_eval_data(small, classnames="imagenet")
    full = tmp_path / "full"
    png = colour_bytes("red")
    for n in range(1000):
        (full / f"n{n:08d}").mkdir(parents=True)
        (full / f"n{n:08d}" / "0.png").write_bytes(png)
    opened = open_eval_data(full, classnames="imagenet")
    assert opened.classnames == imagenet_classnames()
    assert set_templates(opened, None) == (list(IMAGENET80), f"{opened.name} templates")
    assert set_templates(opened, "clip")[1] == "clip"
    with pytest.raises(WitError, match="neither 'imagenet' nor an existing file"):
        open_eval_data(small, classnames=str(tmp_path / "missing.txt"))
