"""``wit crawl warc``: WARC (HTML responses) and WAT (metadata records) files → a manifest.

One task per input file streams it record by record: HTML ``response``/``resource``
records go through the shared extractor with the record's target URI as base, WAT JSON
``metadata`` records through the ``IMG@/src`` link reader. Rows are emitted in chunks of
``rows_per_part`` so memory stays constant per file. Counters per file (records, html pages,
WAT records, images, with caption, skipped by reason) are in the stage's ``extra`` and, per
input file, in ``OUT/_files.json``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from distributed import Client

from crawlers.crawl_rows import RowBatch
from crawlers.html_extract import DEFAULT_AGENT, extract_page, is_html
from crawlers.html_limits import PageTooComplex
from crawlers.input_files import input_files
from crawlers.robots_tags import opt_outs
from crawlers.warc_reader import WarcProblem, WarcRecord, read_warc
from crawlers.wat_columns import WatColumns
from crawlers.wat_reader import wat_image_links
from wit_pipeline import storage
from wit_pipeline.atomic_files import write_json
from wit_pipeline.config import SourcesConfig, check_bounds
from wit_pipeline.errors import WitError
from wit_pipeline.layout.job_dir import task_name
from wit_pipeline.manifest import ManifestLimits
from wit_pipeline.runtime import Chunk, run_job
from wit_pipeline.runtime.task_runner import task_record
from wit_pipeline.staging import local_output

STAGE = "crawl_warc"
FILES_STATS = "_files.json"
WARC_SUFFIXES = (".warc", ".warc.gz", ".wat", ".wat.gz")  # FastWARC reads WARC, not the older ARC format
TRACE = ("input_file", "record_offset")  # columns added to rejects so a rejected row can be found in its input
_RECORDS_OF = {"html": "html_records", "wat": "wat_records"}  # the counter of each kind ``record_kind`` names


@dataclass(frozen=True)
class WarcOptions:
    """How WARC/WAT files become rows."""

    rows_per_part: int = SourcesConfig.rows_per_part
    max_bytes: int = SourcesConfig.max_bytes
    agent: str = DEFAULT_AGENT
    limits: ManifestLimits = ManifestLimits()


def record_kind(rec_type: str, warc_type: str, http_type: str | None) -> str | None:
    """``html``, ``wat`` or None (ignored): which reader a record goes through."""
    if rec_type == "response" and is_html(http_type):
        return "html"
    if rec_type == "resource" and is_html(warc_type):
        return "html"
    if rec_type == "metadata" and (
        warc_type == "application/json" or warc_type.split(";")[0].strip().lower() == "application/json"
    ):
        return "wat"
    return None


@dataclass(frozen=True)
class WarcFileTask:
    """Read one WARC/WAT file into manifest chunks of at most ``rows_per_part`` raw rows."""

    task_id: str
    path: str
    options: WarcOptions

    def run(self) -> Iterator[Chunk]:
        """The file's manifest chunks: each batch validated into kept rows, rejects and counters."""
        for batch in self.batches():
            yield batch.to_chunk(STAGE, self.options.limits)

    def batches(self) -> Iterator[RowBatch]:
        """The file's raw rows and counters, in batches of about ``rows_per_part`` rows (at least one)."""
        rows_per_part = self.options.rows_per_part
        batch, wat = RowBatch(trace=TRACE), WatColumns()
        for item in read_warc(self.path, record_kind, self.options.max_bytes):
            extra = batch.extra
            if isinstance(item, WarcProblem):
                extra["records_unreadable"] += 1
                extra[f"skipped_record_{item.reason}"] += 1
                continue
            extra["records"] += 1
            try:
                self._record(item, batch, wat)
            except PageTooComplex as exc:
                extra[f"skipped_record_{exc.reason}"] += 1
            except Exception:  # noqa: BLE001 - one record the extractor chokes on must not sink the file
                extra["skipped_record_extract_error"] += 1
            if len(batch) + len(wat) >= rows_per_part:
                yield _with_wat_rows(batch, wat)
                batch, wat = RowBatch(trace=TRACE), WatColumns()
        yield _with_wat_rows(batch, wat)

    def _record(self, record: WarcRecord, batch: RowBatch, wat: WatColumns) -> None:
        kind = record.kind
        if kind is None:
            return
        batch.extra[_RECORDS_OF[kind]] += 1
        if record.too_large:
            batch.extra[f"skipped_record_{kind}_too_large"] += 1
            return
        if kind == "wat":
            found = wat_image_links(record.payload or b"", record.target_uri, self.options.agent)
            if found.problem:
                batch.extra[f"skipped_record_{found.problem}"] += 1
            elif found.opted_out:
                batch.extra["pages_opted_out_noai"] += 1
            elif found.links:
                wat.add(found.links, found.base, record.target_uri, (self.path, record.offset))
            batch.extra["wat_records_with_images"] += bool(found.links)
            return
        if opt_outs(record.http_header_values("X-Robots-Tag"), self.options.agent).no_images:
            batch.extra["pages_opted_out_noai"] += 1
            return
        page = extract_page(
            record.payload or b"", record.target_uri or "", record.http_header("Content-Type"), agent=self.options.agent
        )
        batch.extra["html_pages"] += 1
        if page.opt_outs.no_images:
            batch.extra["pages_opted_out_noai"] += 1
        batch.add("warc", page.rows, record.target_uri, {"input_file": self.path, "record_offset": record.offset})


def _with_wat_rows(batch: RowBatch, wat: WatColumns) -> RowBatch:
    """``batch`` with the WAT link rows collected beside it, resolved in bulk, added as one table."""
    if len(wat):
        batch.add_table("wat", wat.table(TRACE))
    return batch


def _is_warc_name(name: str) -> bool:
    return name.lower().endswith(WARC_SUFFIXES)


def expand_warc_inputs(inputs: Sequence[str]) -> list[str]:
    """Input paths or fsspec URLs as files: a directory stands for the WARC/WAT files directly inside it."""
    files = [f for item in inputs for f in input_files(item, _is_warc_name, ".warc/.wat files (.gz or not)")]
    if not files:
        raise WitError("no input files: give WARC/WAT FILE arguments or [sources] warc in --config")
    return files


def crawl_warc(
    inputs: Sequence[str],
    out_dir: str | Path,
    options: WarcOptions = WarcOptions(),
    client: Client | None = None,
    progress: bool = True,
) -> dict:
    """Read WARC/WAT files (paths or fsspec URLs) into the local manifest directory ``out_dir``; returns its stats.

    For an output URL see ``wit_pipeline.staging``.
    """
    out = local_output(out_dir, "crawl_warc")
    check_bounds(
        SourcesConfig,
        {"rows_per_part": options.rows_per_part, "max_bytes": options.max_bytes},
        "sources.",
        "warc options",
    )
    files = expand_warc_inputs(inputs)
    tasks = [WarcFileTask(task_id=task_name(i), path=f, options=options) for i, f in enumerate(files)]
    fingerprint = {"inputs": storage.file_identities(files), "options": asdict(options)}
    stats = run_job(tasks, out, job=STAGE, fingerprint=fingerprint, client=client, progress=progress)
    write_file_stats(out, tasks)
    return stats


def write_file_stats(out: Path, tasks: Sequence[WarcFileTask]) -> list[dict]:
    """Write ``OUT/_files.json``: each input file's own funnel, from its finished task."""
    entries = []
    for task in tasks:
        counters = task_record(out, task.task_id)["counters"]
        entries.append({"file": task.path, "task_id": task.task_id, "counters": counters})
    write_json(out / FILES_STATS, entries)
    return entries
