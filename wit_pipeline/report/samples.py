"""Sample thumbnails with their captions, and example rejects per stage and reason, read in bounded amounts.

Thumbnails come from the shard tars through the project's safe tar reader (no member is ever
extracted), are shrunk to a few dozen pixels and inlined as ``data:`` URIs, so the report is
one self-contained file. Reject examples are the first few rows per (stage, reason) of the
rejects parquet files and the shard parquets (download failures, image-stage removals).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq
from PIL import Image

from loaders.image_decode import decode_rgb, read_header
from loaders.tar_reader import iter_samples
from wit_pipeline.errors import WitError
from wit_pipeline.layout.manifest_dir import PART_GLOB
from wit_pipeline.layout.shard_dir import RAW_DIR, STATUS_STAGE, reason_of, shard_parquets, shard_tars, tar_file
from wit_pipeline.report.locate import ReportInputs

IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "webp")
MAX_PIXELS = 40_000_000  # larger images are not decoded for a thumbnail
REJECT_COLUMNS = ("stage", "reason", "caption", "url", "duplicate_of")
SHARD_COLUMNS = ("key", "status", "error_message", "caption", "url")


@dataclass
class Sample:
    """One sample of the shards: its key, caption and thumbnail (None when the image does not decode)."""

    key: str
    caption: str
    image: str | None


@dataclass
class RejectExample:
    caption: str | None
    url: str | None
    detail: str | None = None
    image: str | None = None


@dataclass
class RejectGroup:
    """Examples of one (stage, reason); ``count`` is the funnel's total for it when known."""

    stage: str
    reason: str
    count: int | None
    examples: list[RejectExample] = field(default_factory=list)


def thumbnail(data: bytes, size: int) -> str | None:
    """A JPEG ``data:`` URI of the image shrunk to fit ``size`` x ``size``; None if it does not decode.

    Pixels come from ``loaders.image_decode``, so the report shows what training sees: upright, alpha on
    white, 16-bit and ICC handled; a JPEG is decoded downscaled in the DCT domain to about twice ``size``.
    """
    try:
        header = read_header(data)
        if header.width * header.height > MAX_PIXELS:
            return None
        small = Image.fromarray(decode_rgb(data, header, (size * 2, size * 2)))
        small.thumbnail((size, size))
        out = io.BytesIO()
        small.save(out, "JPEG", quality=85)
    except (OSError, ValueError, SyntaxError):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _image_bytes(sample: dict) -> bytes | None:
    return next((sample[ext] for ext in IMAGE_EXTENSIONS if ext in sample), None)


def _caption(sample: dict) -> str:
    raw = sample.get("txt", b"")
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def sample_thumbnails(shards: Path, count: int, size: int) -> list[Sample]:
    """``count`` samples spread over the shard tars (a few from each of evenly spaced tars)."""
    tars = shard_tars(shards)
    if not tars or count <= 0:
        return []
    chosen = [tars[i * len(tars) // min(len(tars), count)] for i in range(min(len(tars), count))]
    per_tar = -(-count // len(chosen))
    samples: list[Sample] = []
    for tar in chosen:
        taken = 0
        for item in iter_samples(tar):
            data = _image_bytes(item)
            if data is None:
                continue
            samples.append(Sample(str(item["__key__"]), _caption(item), thumbnail(data, size)))
            taken += 1
            if taken >= per_tar or len(samples) >= count:
                break
        if len(samples) >= count:
            break
    return samples


class _Collector:
    """The first ``per_reason`` examples of every (stage, reason); done once every known one is full."""

    def __init__(self, funnel: list[dict] | None, per_reason: int) -> None:
        self.per_reason = per_reason
        self.groups: dict[tuple[str, str], RejectGroup] = {}
        for stage in funnel or ():
            for reason, count in stage.get("rejected", {}).items():
                self.groups[(stage["stage"], reason)] = RejectGroup(stage["stage"], reason, int(count))

    def add(self, stage: str, reason: str, example: RejectExample) -> bool:
        """Keep ``example`` if its group is not full yet; says whether it was kept."""
        group = self.groups.setdefault((stage, reason), RejectGroup(stage, reason, None))
        if len(group.examples) >= self.per_reason:
            return False
        group.examples.append(example)
        return True

    def done(self) -> bool:
        return bool(self.groups) and all(len(g.examples) >= self.per_reason for g in self.groups.values())


def _rows(path: Path, wanted: Iterable[str]) -> Iterable[dict]:
    try:
        parquet = pq.ParquetFile(path)
        columns = [c for c in wanted if c in parquet.schema_arrow.names]
        for batch in parquet.iter_batches(batch_size=4096, columns=columns):
            yield from batch.to_pylist()
    except (OSError, ValueError) as exc:
        raise WitError(f"{path}: unreadable parquet file ({str(exc).splitlines()[0]})") from None


def reject_examples(
    inputs: ReportInputs, funnel: list[dict] | None, per_reason: int, max_rows: int, size: int
) -> list[RejectGroup]:
    """Examples per (stage, reason), in funnel order, scanning at most ``max_rows`` rows in all."""
    collector = _Collector(funnel, per_reason)
    scanned = 0
    raw_wanted: dict[Path, dict[str, RejectExample]] = {}
    files = [f for d in inputs.reject_dirs for f in sorted(d.glob(PART_GLOB))]
    shard_files = shard_parquets(inputs.shards) if inputs.shards is not None else []
    for path in files + shard_files:
        for row in _rows(path, REJECT_COLUMNS if path in files else SHARD_COLUMNS):
            scanned += 1
            if path in files:
                detail = f"duplicate of {row['duplicate_of']}" if row.get("duplicate_of") else None
                example = RejectExample(row.get("caption"), row.get("url"), detail)
                collector.add(str(row.get("stage")), str(row.get("reason")), example)
            elif row.get("status") not in (None, "success"):
                message = row.get("error_message")
                stage = STATUS_STAGE.get(row["status"], "download")
                reason = reason_of(message) or str(row["status"])
                example = RejectExample(row.get("caption"), row.get("url"), message if message != reason else None)
                raw = path.parent / RAW_DIR / tar_file(path.stem)
                kept = collector.add(stage, reason, example)
                if kept and stage == "image_filter" and row.get("key") and raw.exists():
                    raw_wanted.setdefault(raw, {})[str(row["key"])] = example
            if scanned >= max_rows or collector.done():
                break
        if scanned >= max_rows or collector.done():
            break
    _attach_raw_thumbnails(raw_wanted, size)
    return list(collector.groups.values())


def _attach_raw_thumbnails(wanted: dict[Path, dict[str, RejectExample]], size: int) -> None:
    """Thumbnails of image-stage rejects from the shards as downloaded (``shards/_raw``), when kept."""
    for tar, by_key in wanted.items():
        left = set(by_key)
        for item in iter_samples(tar):
            key = str(item["__key__"])
            if key in left:
                data = _image_bytes(item)
                by_key[key].image = thumbnail(data, size) if data is not None else None
                left.discard(key)
                if not left:
                    break
