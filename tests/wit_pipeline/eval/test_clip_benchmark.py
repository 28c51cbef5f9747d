"""CLIP_benchmark webdataset sets (its builder's exact layout): metrics against a hand computation, URLs, errors."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import fsspec
import numpy as np
import pytest

from tests.wit_pipeline.eval.helpers import COLOURS_RGB, ColourModel, colour_bytes, write_benchmark_set
from wit_pipeline.errors import WitError
from wit_pipeline.eval.benchmark_results import benchmark_metrics, write_benchmark_results
from wit_pipeline.eval.clip_benchmark import dataset_name, open_benchmark
from wit_pipeline.eval.eval_data import CLIP_BENCHMARK, detect_layout, iter_eval_items, open_eval_data
from wit_pipeline.eval.runner import evaluate_model

CLASSES = list(COLOURS_RGB)  # red, green, blue, yellow, cyan, magenta
TEMPLATES = ["a photo of a {c}.", "a {c} thing."]
FORMATS = ["webp", "png"]
WIT_TEMPLATES = ["a photo of a {}."]


def classification_samples() -> list[dict]:
    """Two true images per class, then a red image labelled green (the one sure mistake)."""
    samples = [
        {FORMATS[i % 2]: colour_bytes(c, FORMATS[i % 2]), "cls": label}
        for label, c in enumerate(CLASSES)
        for i in range(2)
    ]
    return samples + [{"png": colour_bytes("red"), "cls": CLASSES.index("green")}]


def prompt_model() -> ColourModel:
    return ColourModel({t.replace("{c}", c): {c: 1.0} for c in CLASSES for t in TEMPLATES})


@pytest.fixture(scope="module")
def sets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cb")
    classification = write_benchmark_set(root / "wds_colours", classification_samples(), CLASSES, TEMPLATES)
    captions = {"red": "red thing\ncrimson thing", "green": "green thing\nleaf", "blue": "blue thing\nsky"}
    retrieval = write_benchmark_set(
        root / "wds_colour_captions",
        [{"webp": colour_bytes(c, "webp"), "txt": text} for c, text in captions.items()],
        kind="retrieval",
        per_shard=2,
    )
    return {"classification": classification, "retrieval": retrieval}


def test_layout_as_the_builder_writes_it(sets: dict[str, Path]) -> None:
    bset = open_benchmark(sets["classification"])
    assert [Path(s).name for s in bset.shards] == ["0.tar", "1.tar", "2.tar", "3.tar"]
    assert bset.kind == "classification" and bset.classnames == tuple(CLASSES) and bset.name == "wds/colours"
    assert bset.templates == ("a photo of a {}.", "a {} thing.")
    assert detect_layout(sets["retrieval"]) == CLIP_BENCHMARK and open_benchmark(sets["retrieval"]).kind == "retrieval"
    items = list(iter_eval_items(open_eval_data(sets["classification"])))
    assert [i.label for i in items] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 1]
    assert items[0].key.endswith("0.tar:s0000000") and items[0].image == colour_bytes("red", "webp")
    captions = [i.captions for i in iter_eval_items(open_eval_data(sets["retrieval"]))]
    assert captions[1] == ("green thing", "leaf")


def test_zeroshot_metrics_match_a_hand_computation(sets: dict[str, Path]) -> None:
    model = prompt_model()
    prompts = list(open_eval_data(sets["classification"]).templates)
    report = evaluate_model(model, model.tokenize, sets["classification"], ["zeroshot"], prompts, 4, 0)["zeroshot"]
    assert report["templates"] == 2 and report["samples"] == 13
    assert report["acc1"] == pytest.approx(12 / 13)
    assert report["mean_per_class_recall"] == pytest.approx((5 + 2 / 3) / 6)
    # acc@5 from scratch: cosine of every image's mean colour with every class colour, in numpy
    rgb = np.array([COLOURS_RGB[c] for c in CLASSES], dtype=float) / 255
    pixels = (rgb - [0.48145466, 0.4578275, 0.40821073]) / [0.26862954, 0.26130258, 0.27577711]
    unit = pixels / np.linalg.norm(pixels, axis=1, keepdims=True)
    images = [CLASSES.index(c) for c in CLASSES for _ in range(2)] + [0]
    labels = [i.label for i in iter_eval_items(open_eval_data(sets["classification"]))]
    scores = unit[images] @ unit.T
    top5 = np.argsort(-scores, axis=1)[:, :5]
    assert report["acc5"] == pytest.approx(np.mean([label in row for label, row in zip(labels, top5)]))
    assert benchmark_metrics("zeroshot", report) == {
        "acc1": report["acc1"],
        "acc5": report["acc5"],
        "mean_per_class_recall": report["mean_per_class_recall"],
    }


def test_retrieval_metrics_match_a_hand_computation(sets: dict[str, Path]) -> None:
    texts = {"red thing": {"red": 1}, "crimson thing": {"red": 1}, "green thing": {"green": 1}, "sky": {"blue": 1}}
    texts |= {"leaf": {"blue": 0.9, "green": 0.1}, "blue thing": {"blue": 1}}  # "leaf" finds the blue image
    model = ColourModel(texts)
    report = evaluate_model(model, model.tokenize, sets["retrieval"], ["retrieval"], [], 4, 0)["retrieval"]
    metrics = benchmark_metrics("retrieval", report)
    assert metrics["image_retrieval_recall@1"] == pytest.approx(5 / 6)  # 6 captions, "leaf" misses
    assert metrics["text_retrieval_recall@1"] == 1.0  # every image's own caption scores 1.0
    assert metrics["image_retrieval_recall@5"] == metrics["text_retrieval_recall@5"] == 1.0


@pytest.mark.parametrize("scheme", ["file", "memory"])
def test_read_through_fsspec_urls(sets: dict[str, Path], scheme: str) -> None:
    if scheme == "file":
        url, pairs = f"file://{sets['classification']}", f"file://{sets['retrieval']}"
    else:
        memory = fsspec.filesystem("memory")
        for path in sorted(sets["classification"].parent.rglob("*")):
            if path.is_file():
                memory.pipe(f"/cb/{path.relative_to(sets['classification'].parent)}", path.read_bytes())
        url, pairs = "memory://cb/wds_colours", "memory://cb/wds_colour_captions"
    texts = {f"{c} thing": {c: 1.0} for c in ("red", "green", "blue")} | {
        "crimson thing": {"red": 1},
        "sky": {"blue": 1},
    }
    model = ColourModel(texts | {"leaf": {"green": 1}})
    report = evaluate_model(model, model.tokenize, pairs, ["retrieval"], [], 4, 0)["retrieval"]
    assert report["images"] == 3 and report["texts"] == 6 and report["text_to_image_recall@1"] == 1.0
    model = prompt_model()
    local = evaluate_model(model, model.tokenize, sets["classification"], ["zeroshot"], WIT_TEMPLATES, 4, 0)
    remote = evaluate_model(model, model.tokenize, url, ["zeroshot"], WIT_TEMPLATES, 4, 0)
    assert remote["zeroshot"]["acc1"] == local["zeroshot"]["acc1"] == pytest.approx(12 / 13)
    assert open_eval_data(url).name == "wds/colours"


def test_result_json_as_clip_benchmark_writes_it(sets: dict[str, Path], tmp_path: Path) -> None:
    model = prompt_model()
    results = evaluate_model(model, model.tokenize, sets["classification"], ["zeroshot"], ["a photo of a {}."], 4, 0)
    (path,) = write_benchmark_results(
        tmp_path / "eval.json", "wds/colours", "runs/x", "runs/x/model.safetensors", results
    )
    assert path == tmp_path / "eval_clip_benchmark" / "wds_colours_zeroshot_classification.json"
    record = json.loads(path.read_text())
    assert set(record) == {"dataset", "model", "pretrained", "task", "metrics", "language"}
    assert record["task"] == "zeroshot_classification" and record["dataset"] == "wds/colours"
    assert record["metrics"]["acc1"] == pytest.approx(12 / 13)


def test_bad_sets_are_one_line_errors(sets: dict[str, Path], tmp_path: Path) -> None:
    short = tmp_path / "short"
    shutil.copytree(sets["classification"], short)
    (short / "classnames.txt").write_text("\n".join(CLASSES[:4]) + "\n")
    model = prompt_model()
    with pytest.raises(
        WitError,
        match=r"2\.tar: member s0000008\.cls: class index 4 out of range 0\.\.3 "
        r"\(4 class names in .*short/classnames\.txt\)$",
    ):
        evaluate_model(model, model.tokenize, short, ["zeroshot"], WIT_TEMPLATES, 4, 0)
    with pytest.raises(WitError, match=r"classnames\.txt\)$"):
        list(iter_eval_items(open_eval_data(short)))
    (short / "zeroshot_classification_templates.txt").write_text("a photo of a {c}.\na photo.\n")
    with pytest.raises(WitError, match=r"zeroshot_classification_templates\.txt: line 2: template without \{c\}"):
        open_eval_data(short)
    (short / "zeroshot_classification_templates.txt").unlink()
    (short / "test" / "nshards.txt").write_text("9\n")
    with pytest.raises(WitError, match=r"test/4\.tar: missing \(.*nshards\.txt says 9 shards\)"):
        open_eval_data(short)
    (short / "dataset_type.txt").write_text("multilabel\n")
    with pytest.raises(WitError, match=r"dataset_type\.txt: line 1: multilabel sets"):
        open_eval_data(short)
    noclasses = write_benchmark_set(tmp_path / "noclasses", classification_samples()[:2])
    with pytest.raises(WitError, match="no classnames.txt"):
        open_eval_data(noclasses)
    assert open_eval_data(noclasses, classnames="imagenet").classnames[:2] == ("tench", "goldfish")
    nothing = tmp_path / "nothing"
    nothing.mkdir()
    (nothing / "readme.txt").write_text("hello")
    with pytest.raises(WitError, match=r"neither layout \(expected an image folder .*CLIP_benchmark"):
        detect_layout(nothing)


def test_dataset_names() -> None:
    assert dataset_name("/data/wds_imagenet1k") == "wds/imagenet1k" and dataset_name("s3://b/pets/") == "pets"


def test_skips_are_counted_not_fatal(tmp_path: Path) -> None:
    samples = classification_samples()[:4] + [{"png": b"not an image", "cls": 0}, {"txt": "no image", "cls": 1}]
    data = write_benchmark_set(tmp_path / "wds_skips", samples, CLASSES, TEMPLATES)
    model = prompt_model()
    report = evaluate_model(model, model.tokenize, data, ["zeroshot"], WIT_TEMPLATES, 4, 0)["zeroshot"]
    assert report["samples"] == 4 and report["skipped"] == {"decode_error": 1, "missing_image": 1}
    assert Counter(report["per_class_recall"].values())[1.0] == 2
