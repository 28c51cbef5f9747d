"""CLIP_benchmark's webdataset layout (the ``wds_*`` sets of CLIP_benchmark and DataComp's evaluation).

As CLIP_benchmark's ``webdataset_builder`` writes it and its ``build_wds_dataset`` reads it::

    DIR/classnames.txt                           class names, one per line, in label order (classification)
    DIR/zeroshot_classification_templates.txt    prompts, one per line, ``{c}`` where the class name goes
    DIR/dataset_type.txt                         ``retrieval`` for retrieval sets (absent: classification)
    DIR/<split>/nshards.txt                      number of shards N; shards are ``0.tar`` .. ``N-1.tar``
    DIR/<split>/<n>.tar                          ``KEY.webp|png|jpg|jpeg`` + ``KEY.cls`` (class index as text)
                                                 or, for retrieval, + ``KEY.txt`` (captions, one per line)

``DIR`` is a local directory or any fsspec URL. The default split is ``test``; without ``nshards.txt`` every
``*.tar`` of the split folder is read, in numeric order. Shards are read with the loaders' safe tar reader.
``multilabel`` sets (labels as ``.npy``, which would mean unpickling untrusted data) are refused.
"""

from __future__ import annotations

import os
import tarfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from loaders.tar_reader import IMAGE_EXTS, iter_keyed_groups, open_shard
from wit_pipeline import storage
from wit_pipeline.errors import WitError
from wit_pipeline.eval.classnames import read_name_lines

CLASSNAMES_FILE = "classnames.txt"
TEMPLATES_FILE = "zeroshot_classification_templates.txt"
TYPE_FILE = "dataset_type.txt"
NSHARDS_FILE = "nshards.txt"
DEFAULT_SPLIT = "test"
LABEL_EXT = "cls"
BENCHMARK_IMAGE_EXTS = (*IMAGE_EXTS, "0.webp")  # what CLIP_benchmark's reader accepts as the image
EXPECTED = f"a CLIP_benchmark webdataset directory (DIR/{DEFAULT_SPLIT}/0.tar ..., {CLASSNAMES_FILE})"
CB_PLACEHOLDER = "{c}"


@dataclass(frozen=True)
class BenchmarkSet:
    """One split of a CLIP_benchmark webdataset set: its shards and metadata."""

    root: str
    name: str
    split: str
    kind: str  # "classification" or "retrieval"
    shards: tuple[str, ...]
    classnames: tuple[str, ...] | None
    templates: tuple[str, ...] | None  # with wit's ``{}`` placeholder
    classnames_source: str | None = None  # the file the class names came from


def dataset_name(root: str | os.PathLike) -> str:
    """CLIP_benchmark's name of a set stored as ``.../wds_<name>``: ``wds/<name>``; else the folder name."""
    base = os.fspath(root).rstrip("/").rsplit("/", 1)[-1]
    return f"wds/{base[4:]}" if base.startswith("wds_") and len(base) > 4 else base


def is_benchmark_dir(data: str | os.PathLike, split: str = DEFAULT_SPLIT) -> bool:
    """Whether ``data`` looks like a CLIP_benchmark webdataset directory (metadata files or a split of tars)."""
    root = storage.location(data)
    if not storage.is_dir(root):
        return False
    if any(storage.exists(storage.join(root, n)) for n in (CLASSNAMES_FILE, TEMPLATES_FILE, TYPE_FILE)):
        return True
    split_dir = storage.join(root, split)
    return storage.is_dir(split_dir) and (
        storage.exists(storage.join(split_dir, NSHARDS_FILE)) or bool(storage.list_files(split_dir, "*.tar"))
    )


def open_benchmark(data: str | os.PathLike, split: str = DEFAULT_SPLIT) -> BenchmarkSet:
    """Read a set's metadata and list its shards; any problem is a one-line ``WitError``."""
    root = storage.location(data)
    kind = _kind(root)
    shards = _shards(root, split)
    classnames = templates = source = None
    if kind == "classification":
        path = storage.join(root, CLASSNAMES_FILE)
        if storage.exists(path):
            classnames, source = tuple(read_name_lines(storage.read_text(path), str(path))), str(path)
        path = storage.join(root, TEMPLATES_FILE)
        if storage.exists(path):
            templates = tuple(_templates(storage.read_text(path), str(path)))
    return BenchmarkSet(str(root), dataset_name(root), split, kind, tuple(shards), classnames, templates, source)


def _kind(root: storage.Location) -> str:
    path = storage.join(root, TYPE_FILE)
    if not storage.exists(path):
        return "classification"
    value = storage.read_text(path).strip().lower()
    if value in ("classification", "retrieval"):
        return value
    if value == "multilabel":
        raise WitError(f"{path}: line 1: multilabel sets (labels in .npy files) are not supported")
    raise WitError(f"{path}: line 1: expected 'classification' or 'retrieval', got {value[:40]!r}")


def _shards(root: storage.Location, split: str) -> list[str]:
    split_dir = storage.join(root, split)
    if not storage.is_dir(split_dir):
        raise WitError(f"{root}: no '{split}' split folder (expected {EXPECTED})")
    count_file = storage.join(split_dir, NSHARDS_FILE)
    if storage.exists(count_file):
        text = storage.read_text(count_file).strip()
        if not text.isdigit() or int(text) < 1:
            raise WitError(f"{count_file}: line 1: expected the number of shards, got {text[:40]!r}")
        shards = [storage.join(split_dir, f"{n}.tar") for n in range(int(text))]
        missing = next((s for s in shards if not storage.exists(s)), None)
        if missing is not None:
            raise WitError(f"{missing}: missing ({count_file} says {text} shards)")
        return [str(s) for s in shards]
    shards = storage.list_files(split_dir, "*.tar")
    if not shards:
        raise WitError(f"{split_dir}: no .tar shards (expected {EXPECTED})")
    return [str(s) for s in sorted(shards, key=_shard_order)]


def _shard_order(path: storage.Location) -> tuple[int, str]:
    stem = str(path).rsplit("/", 1)[-1][: -len(".tar")]
    return (int(stem), stem) if stem.isdigit() else (1 << 62, stem)


def _templates(text: str, where: str) -> list[str]:
    templates = read_name_lines(text, where)
    for number, template in enumerate(templates, 1):
        if CB_PLACEHOLDER not in template:
            raise WitError(f"{where}: line {number}: template without {CB_PLACEHOLDER} (where the class name goes)")
    return [t.replace(CB_PLACEHOLDER, "{}") for t in templates]


def iter_labelled(bset: BenchmarkSet, num_classes: int, skipped: Counter) -> Iterator[tuple[str, bytes, int]]:
    """``(key, image bytes, class index)`` of every sample of a classification set, in shard order.

    A sample without an image is counted in ``skipped``; a missing, malformed or out-of-range ``.cls`` is a
    ``WitError`` naming the shard and member (labels are the ground truth: guessing would bias the score).
    """
    exts = frozenset((*BENCHMARK_IMAGE_EXTS, LABEL_EXT))
    for shard in bset.shards:
        try:
            with open_shard(shard) as tar:
                for _, key, fields in iter_keyed_groups(tar, lambda _: True, lambda r: skipped.update([r]), exts):
                    label = _label(shard, key, fields.get(LABEL_EXT), num_classes, bset)
                    image = next((fields[e] for e in BENCHMARK_IMAGE_EXTS if e in fields), None)
                    if image is None:
                        skipped.update(["missing_image"])
                        continue
                    yield f"{shard}:{key}", image, label
        except (OSError, EOFError, tarfile.TarError) as exc:
            raise WitError(f"{shard}: unreadable tar shard ({type(exc).__name__}: {exc})") from None


def _label(shard: str, key: str, raw: bytes | None, num_classes: int, bset: BenchmarkSet) -> int:
    member = f"{shard}: member {key}.{LABEL_EXT}"
    if raw is None:
        raise WitError(f"{shard}: sample {key} has no .{LABEL_EXT} member (expected a class index)")
    text = raw.decode("utf-8", "replace").strip()
    if not text.lstrip("-").isdigit():
        raise WitError(f"{member}: expected a class index, got {text[:40]!r}")
    label = int(text)
    if not 0 <= label < num_classes:
        raise WitError(
            f"{member}: class index {label} out of range 0..{num_classes - 1} "
            f"({num_classes} class names in {bset.classnames_source})"
        )
    return label
