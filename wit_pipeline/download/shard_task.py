"""Download one shard: fetch, check and resize its images and write img2dataset's shard files.

The tar + parquet are written by img2dataset's ``WebDatasetSampleWriter`` and the
``NNNNN_stats.json`` by its ``write_stats``, so shards are laid out exactly as img2dataset
writes them. Resizing is wit's ``ImageResizer`` (img2dataset's resize modes on wit's one image
decode, so EXIF orientation, 16-bit, alpha and ICC profiles are handled as the loader and
``wit eval`` handle them). What this adds: safe fetching (address checks, byte caps, redirect
re-checks), a header-only check against decompression bombs before decoding, a hard per-shard
deadline (fetching and resizing), and samples written in key order so reruns give identical tars.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from img2dataset.downloader import compute_key
from img2dataset.logger import CappedCounter, write_stats
from img2dataset.writer import WebDatasetSampleWriter

from wit_pipeline.download.fetch_pool import FetchPool
from wit_pipeline.download.image_check import image_problem
from wit_pipeline.download.image_fetch import ImageFetcher
from wit_pipeline.download.options import DownloadOptions
from wit_pipeline.download.plan import ShardSpec
from wit_pipeline.download.resize import ImageResizer, ResizeError
from wit_pipeline.layout import shard_dir
from wit_pipeline.runtime.faults import fault_point
from wit_pipeline.runtime.results import StageCounters

STAGE = "download"
FETCHED = "fetched"
SAMPLE_FIELDS = [
    pa.field("key", pa.string()),
    pa.field("status", pa.string()),
    pa.field("error_message", pa.string()),
    pa.field("width", pa.int32()),
    pa.field("height", pa.int32()),
    pa.field("original_width", pa.int32()),
    pa.field("original_height", pa.int32()),
    pa.field("sha256", pa.string()),
]


@dataclass
class SampleOutcome:
    """What became of one row: an encoded image, or a status and reason."""

    status: str
    reason: str | None = None
    detail: str = ""
    image: bytes | None = None
    width: int | None = None
    height: int | None = None
    original_width: int | None = None
    original_height: int | None = None
    sha256: str | None = None

    @property
    def error_message(self) -> str | None:
        return shard_dir.error_message(self.reason, self.detail)


def make_resizer(options: DownloadOptions) -> ImageResizer:
    return ImageResizer(
        image_size=options.image_size,
        resize_mode=options.resize_mode,
        resize_only_if_bigger=options.resize_only_if_bigger,
        encode_format=options.encode_format,
        encode_quality=options.quality,
        min_image_size=options.min_image_size,
        max_aspect_ratio=options.max_aspect_ratio,
        max_pixels=options.max_pixels,
    )


@dataclass(frozen=True)
class DownloadShardTask:
    """A runtime file task: writes ``NNNNN.tar``, ``NNNNN.parquet`` and ``NNNNN_stats.json``."""

    task_id: str
    spec: ShardSpec
    options: DownloadOptions
    oom_shard_count: int

    def run(self, tmp_dir: Path) -> list[StageCounters]:
        start = time.time()
        table = _rename_hints(self.spec.read())
        rows = table.to_pylist()
        schema = pa.schema(list(table.schema) + SAMPLE_FIELDS)
        writer = WebDatasetSampleWriter(
            self.spec.shard_id, str(tmp_dir), True, self.oom_shard_count, schema, self.options.encode_format
        )
        oom_sample = math.ceil(math.log10(max(2, self.options.samples_per_shard)))
        counters = StageCounters(stage=STAGE, rows_in=len(rows))
        status_dict = CappedCounter()
        statuses: Counter = Counter()
        try:
            for index, outcome in enumerate(self._outcomes(rows)):
                row = rows[index]
                key = compute_key(index, self.spec.shard_id, oom_sample, self.oom_shard_count)
                meta = {
                    **row,
                    "key": key,
                    "status": outcome.status,
                    "error_message": outcome.error_message,
                    "width": outcome.width,
                    "height": outcome.height,
                    "original_width": outcome.original_width,
                    "original_height": outcome.original_height,
                    "sha256": outcome.sha256,
                }
                writer.write(outcome.image, key, row.get("caption"), meta)
                fault_point("sample", STAGE, self.task_id, index)
                statuses[outcome.status] += 1
                status_dict.increment(outcome.reason or "success")
                if outcome.reason is None:
                    counters.kept += 1
                else:
                    counters.rejected[outcome.reason] += 1
        finally:
            writer.close()
        write_stats(
            str(tmp_dir),
            self.spec.shard_id,
            len(rows),
            statuses["success"],
            statuses["failed_to_download"],
            statuses["failed_to_resize"],
            start,
            time.time(),
            status_dict,
            self.oom_shard_count,
        )
        return [counters]

    def _outcomes(self, rows: list[dict]):
        """Outcomes in row order; fetching runs ahead in threads, a bounded window at a time.

        Each image is resized as soon as its fetch completes, in whatever order fetches finish
        (in this thread), and held until the rows before it are out. At most ``2 * thread_count``
        fetches are in flight and ``16 * thread_count`` resized samples held, so memory stays
        bounded behind a slow row. At the shard deadline every sample not yet resized fails with
        ``shard_deadline``; no resize starts after it.
        """
        fetcher = ImageFetcher(self.options)
        resizer = make_resizer(self.options)
        deadline = time.monotonic() + self.options.shard_deadline
        threads = self.options.thread_count
        ready: dict[int, SampleOutcome] = {}
        submitted = written = 0

        def fetch(index: int) -> SampleOutcome:
            return fetch_sample(rows[index]["url"], fetcher, self.options, deadline)

        with FetchPool(fetch, threads, f"shard-{self.spec.shard_id}") as pool:
            while written < len(rows):
                while submitted < len(rows) and pool.in_flight < 2 * threads and len(ready) < 16 * threads:
                    pool.submit(submitted)
                    submitted += 1
                if written in ready:
                    yield ready.pop(written)
                    written += 1
                    continue
                done = pool.next_done(timeout=deadline - time.monotonic())
                if done is None or time.monotonic() >= deadline:
                    break
                ready[done[0]] = resize_sample(done[1], resizer)
        for index in range(written, len(rows)):
            yield ready.pop(index, None) or SampleOutcome("failed_to_download", "shard_deadline")


def fetch_sample(url: str, fetcher: ImageFetcher, options: DownloadOptions, deadline: float) -> SampleOutcome:
    """Fetch and check one image in a fetch thread; never raises.

    Returns a ``fetched`` outcome holding the original bytes, or a failure with its reason.
    """
    response = fetcher.get(url, deadline)
    if response.data is None:
        return SampleOutcome("failed_to_download", response.reason, response.detail)
    problem = image_problem(response.data, options.max_pixels)
    if problem is not None:
        return SampleOutcome("failed_to_resize", problem[0], problem[1])
    return SampleOutcome(FETCHED, image=response.data, sha256=hashlib.sha256(response.data).hexdigest())


def resize_sample(fetched: SampleOutcome, resizer: ImageResizer) -> SampleOutcome:
    """Resize and encode a fetched image; a rejected one becomes ``failed_to_resize`` with its reason."""
    if fetched.status != FETCHED:
        return fetched
    try:
        out = resizer(fetched.image)
    except ResizeError as exc:
        return SampleOutcome("failed_to_resize", exc.reason, exc.detail)
    return SampleOutcome(
        "success",
        image=out.data,
        width=out.width,
        height=out.height,
        original_width=out.original_width,
        original_height=out.original_height,
        sha256=fetched.sha256,
    )


def _rename_hints(table: pa.Table) -> pa.Table:
    """The manifest's width/height hints would clash with img2dataset's own columns."""
    names = [f"{n}_hint" if n in ("width", "height") else n for n in table.column_names]
    return table.rename_columns(names)
