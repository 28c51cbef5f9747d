"""Evaluation data in every layout ``wit eval`` reads, and one way to enumerate its items.

Layouts (``detect_layout``):

- ``image_folder``: ``DIR/<class>/*.png|jpg|jpeg|webp`` (classification); class names are the folder names, or
  come from ``--classnames FILE|imagenet`` (``classnames.py``);
- ``shards``: a wit/img2dataset shard directory with ``sizes.json`` (retrieval, ``KEY.txt`` captions);
- ``clip_benchmark``: CLIP_benchmark's webdataset layout (``clip_benchmark.py``), classification or retrieval,
  local or any fsspec URL.

``open_eval_data`` checks a directory cheaply (before any model is loaded) and ``iter_eval_items`` yields its
``EvalItem``s: ``(key, image bytes, label, captions)``; whoever needs the raw evaluation images (decontamination,
feature extraction) reads them through it.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from loaders.shard_source import TAR_SUFFIXES, resolve_source
from wit_pipeline import storage
from wit_pipeline.errors import WitError
from wit_pipeline.eval.captioned_shards import iter_captioned_images
from wit_pipeline.eval.classnames import IMAGENET, classnames_for, read_classnames
from wit_pipeline.eval.clip_benchmark import (
    DEFAULT_SPLIT,
    BenchmarkSet,
    dataset_name,
    is_benchmark_dir,
    iter_labelled,
    open_benchmark,
)
from wit_pipeline.eval.clip_benchmark import EXPECTED as BENCHMARK_EXPECTED
from wit_pipeline.eval.image_folder import EXPECTED as FOLDER_EXPECTED
from wit_pipeline.eval.image_folder import ImageFolder, is_image, scan_image_folder
from wit_pipeline.eval.templates import IMAGENET80
from wit_pipeline.layout.shard_dir import SIZES_FILE, has_sizes

IMAGE_FOLDER, SHARDS, CLIP_BENCHMARK = "image_folder", "shards", "clip_benchmark"
CLASSIFICATION, RETRIEVAL = "classification", "retrieval"
WANTED = f"an image folder {FOLDER_EXPECTED}, {BENCHMARK_EXPECTED} or a shard directory with {SIZES_FILE}"


@dataclass(frozen=True)
class EvalItem:
    """One evaluation sample: a key naming where it came from, the encoded image, its label or captions."""

    key: str
    image: bytes
    label: int | None = None
    captions: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvalData:
    """An evaluation directory, opened: its layout, task kind, class names and the set's own templates."""

    source: str
    name: str
    layout: str
    kind: str
    classnames: tuple[str, ...] | None = None
    templates: tuple[str, ...] | None = None  # the set's own prompts (``{}`` placeholder), if it has any
    folder: ImageFolder | None = None
    benchmark: BenchmarkSet | None = None

    @property
    def shards(self) -> list[str]:
        """The tar shards of a shard or CLIP_benchmark set, in order."""
        if self.benchmark is not None:
            return list(self.benchmark.shards)
        return [str(p) for p in resolve_source(self.source).paths]


def detect_layout(data: str | os.PathLike, split: str = DEFAULT_SPLIT) -> str:
    """``shards``, ``clip_benchmark`` or ``image_folder``; else a one-line error naming what was expected."""
    loc = storage.location(data)
    if not storage.exists(loc):
        raise WitError(f"{loc}: no such directory (expected {WANTED})")
    if not storage.is_dir(loc):
        raise WitError(f"{loc}: not a directory (expected {WANTED})")
    if has_sizes(loc):
        return SHARDS
    if is_benchmark_dir(loc, split):
        return CLIP_BENCHMARK
    if any(str(p).endswith(TAR_SUFFIXES) for p in storage.list_files(loc)):
        raise WitError(f"{loc}: .tar shards but no {SIZES_FILE} and no '{split}' split folder (expected {WANTED})")
    if isinstance(loc, str):
        raise WitError(
            f"{loc}: neither layout (expected {BENCHMARK_EXPECTED} or a shard directory; image folders are local)"
        )
    if not any((p.is_dir() or is_image(p)) and not p.name.startswith(".") for p in loc.iterdir()):
        raise WitError(f"{loc}: neither layout (expected {WANTED})")
    return IMAGE_FOLDER


def open_eval_data(data: str | os.PathLike, classnames: str | None = None, split: str = DEFAULT_SPLIT) -> EvalData:
    """Detect and check ``data``'s layout; ``classnames`` (``imagenet`` or a file) names its classes."""
    layout = detect_layout(data, split)
    source = str(storage.location(data))
    if layout == SHARDS:
        if classnames:
            raise WitError(f"--classnames: {source} is a retrieval set (captions, no classes)")
        resolve_source(data)
        return EvalData(source, dataset_name(source), SHARDS, RETRIEVAL)
    if layout == CLIP_BENCHMARK:
        return _benchmark_data(source, open_benchmark(data, split), classnames)
    folder = scan_image_folder(source)
    templates = None
    if classnames:
        ids = [""] * len(folder.classnames)
        for path, label in zip(folder.paths, folder.labels):
            ids[label] = path.parent.name
        folder = replace(folder, classnames=classnames_for(classnames, ids))
        templates = IMAGENET80 if classnames == IMAGENET else None
    return EvalData(source, Path(source).name, IMAGE_FOLDER, CLASSIFICATION, folder.classnames, templates, folder)


def _benchmark_data(source: str, bset: BenchmarkSet, classnames: str | None) -> EvalData:
    if bset.kind == RETRIEVAL:
        if classnames:
            raise WitError(f"--classnames: {source} is a retrieval set (captions, no classes)")
        return EvalData(source, bset.name, CLIP_BENCHMARK, RETRIEVAL, benchmark=bset)
    if classnames:
        bset = replace(bset, classnames=read_classnames(classnames), classnames_source=classnames)
        if classnames == IMAGENET and bset.templates is None:
            bset = replace(bset, templates=IMAGENET80)
    if not bset.classnames:
        raise WitError(
            f"{source}: no classnames.txt (zero-shot classification needs class names; or give --classnames)"
        )
    return EvalData(source, bset.name, CLIP_BENCHMARK, CLASSIFICATION, bset.classnames, bset.templates, benchmark=bset)


def iter_eval_items(data: EvalData, skipped: Counter | None = None) -> Iterator[EvalItem]:
    """Every item of ``data`` in its order: labelled images (classification) or captioned images (retrieval).

    Unusable samples of shards (no image, no caption, unsafe members) are counted in ``skipped`` by reason;
    image bytes are not decoded here. An image folder's file that cannot be read is a ``WitError``.
    """
    skipped = skipped if skipped is not None else Counter()
    if data.layout == IMAGE_FOLDER:
        assert data.folder is not None
        for path, label in zip(data.folder.paths, data.folder.labels):
            try:
                image = path.read_bytes()
            except OSError as exc:
                raise WitError(f"{path}: cannot read image ({exc.strerror or exc})") from None
            yield EvalItem(str(path), image, label)
    elif data.kind == CLASSIFICATION:
        assert data.benchmark is not None and data.classnames is not None
        for key, image, label in iter_labelled(data.benchmark, len(data.classnames), skipped):
            yield EvalItem(key, image, label)
    else:
        for n, sample in enumerate(iter_captioned_images(data.shards, skipped)):
            yield EvalItem(f"{data.source}#{n}", sample.image, None, tuple(sample.captions))
