"""Captioned images out of shards, for retrieval evaluation: the samples, not yet their features.

Shards are read with the loaders' safe tar reader (unsafe or non-regular members are never read, nothing
is unpickled), in shard order. A sample's ``txt`` may hold several captions, one per line (CLIP_benchmark's
webdataset convention for retrieval sets); blank lines are ignored. Samples without an image or a caption,
or with undecodable text, are skipped and counted by reason.
"""

from __future__ import annotations

import tarfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from loaders.shard_source import resolve_source
from loaders.tar_reader import IMAGE_EXTS, TEXT_EXT, iter_groups, open_shard


@dataclass
class CaptionedImage:
    """One shard sample: its encoded image and its captions."""

    image: bytes
    captions: list[str]


def iter_captioned_images(source: str | Path | list[str], skipped: Counter) -> Iterator[CaptionedImage]:
    """Every usable sample of a shard directory (or list of shards), in order; the others are counted in ``skipped``."""
    for path in source if isinstance(source, list) else resolve_source(source).paths:
        try:
            with open_shard(path) as tar:
                for _, fields in iter_groups(tar, lambda _: True, lambda reason: skipped.update([reason])):
                    sample = _captioned(fields, skipped)
                    if sample is not None:
                        yield sample
        except (OSError, EOFError, tarfile.TarError, ValueError):
            skipped.update(["unreadable_shard"])


def _captioned(fields: dict[str, bytes], skipped: Counter) -> CaptionedImage | None:
    image = next((fields[ext] for ext in IMAGE_EXTS if ext in fields), None)
    if image is None:
        skipped.update(["missing_image"])
        return None
    if TEXT_EXT not in fields:
        skipped.update(["missing_caption"])
        return None
    try:
        text = fields[TEXT_EXT].decode("utf-8")
    except UnicodeDecodeError:
        skipped.update(["bad_caption"])
        return None
    captions = [line.strip() for line in text.splitlines() if line.strip()]
    if not captions:
        skipped.update(["missing_caption"])
        return None
    return CaptionedImage(image, captions)
