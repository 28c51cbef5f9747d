"""``wit import``: URL lists (csv/tsv/jsonl/parquet) → a partitioned manifest.

One task per input file streams it block by block; each block becomes one manifest part
(``rows_per_part`` rows), so memory stays bounded whatever the file size. Columns are mapped
to ``url``/``caption`` (explicitly, or by the names LAION and img2dataset use); every other
column is kept.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
from distributed import Client

from crawlers.input_files import input_files
from crawlers.url_list_readers import RawBlock, check_unique_columns, detect_format, read_blocks
from wit_pipeline import storage
from wit_pipeline.config import SourcesConfig, check_bounds
from wit_pipeline.errors import WitError
from wit_pipeline.layout.job_dir import task_name
from wit_pipeline.layout.manifest_dir import REJECTS_DIR
from wit_pipeline.manifest import ManifestLimits, is_text_type
from wit_pipeline.manifest_validation import validate_rows
from wit_pipeline.part_schema import unify_parts
from wit_pipeline.runtime import Chunk, run_job
from wit_pipeline.runtime.results import StageCounters, with_reasons
from wit_pipeline.staging import local_output

STAGE = "import"
URL_NAMES = ("url", "image_url", "img_url", "imageurl", "src", "link")
CAPTION_NAMES = ("caption", "text", "alt", "alt_text", "alttext", "title", "description")
PAGE_URL_NAMES = ("page_url", "pageurl", "page")
HINT_NAMES = {"width": ("width",), "height": ("height",)}
# Names wit or img2dataset give columns of their own downstream (the manifest's uid/source, the rejects'
# stage/reason/input_file/input_row/raw, img2dataset's shard parquet columns): an input column of that
# name is kept as input_<name>, so no output ever holds two columns of one name.
RESERVED_NAMES = frozenset(
    {
        "uid",
        "source",
        "stage",
        "reason",
        "input_file",
        "input_row",
        "raw",
        "key",
        "status",
        "error_message",
        "sha256",
        "original_width",
        "original_height",
        "width_hint",
        "height_hint",
        "exif",
    }
)


@dataclass(frozen=True)
class ImportOptions:
    """How to read and map the input lists."""

    format: str | None = None
    url_col: str | None = None
    caption_col: str | None = None
    rows_per_part: int = SourcesConfig.rows_per_part
    limits: ManifestLimits = ManifestLimits()
    tsv_quoted: bool = False  # TSV has no quoting unless this says its fields use CSV-style quotes


def map_columns(names: Sequence[str], options: ImportOptions, path: str) -> dict[str, str]:
    """Input column name -> manifest name for url, caption and page_url."""
    mapping = {}
    for target, explicit, candidates, flag in (
        ("url", options.url_col, URL_NAMES, "--url-col"),
        ("caption", options.caption_col, CAPTION_NAMES, "--caption-col"),
        ("page_url", None, PAGE_URL_NAMES, None),
    ):
        found = _find_column(names, explicit, candidates)
        if explicit and found is None:
            raise WitError(f"{path}: no column '{explicit}' for {flag} (columns: {', '.join(names)})")
        if found is None and flag:
            raise WitError(
                f"{path}: no {target} column (looked for {', '.join(candidates)}; columns: "
                f"{', '.join(names) or 'none'}); pass {flag} NAME"
            )
        if found is not None:
            mapping[found] = target
    for target, candidates in HINT_NAMES.items():
        found = _find_column(names, None, candidates)
        if found is not None and found not in mapping:
            mapping[found] = target
    return mapping


def _find_column(names: Sequence[str], explicit: str | None, candidates: Sequence[str]) -> str | None:
    if explicit:
        return explicit if explicit in names else None
    lowered = {n.lower(): n for n in reversed(list(names))}
    for c in candidates:
        if c in lowered:
            return lowered[c]
    return None


def check_text_columns(table: pa.Table, mapping: dict[str, str], path: str, rows: list[int]) -> None:
    """The url and caption columns must hold text: a list, struct or number column is a one-line error."""
    for source, target in mapping.items():
        kind = table.schema.field(source).type
        if target in ("url", "caption") and not (is_text_type(kind) or pa.types.is_null(kind)):
            where = f" (rows {rows[0]}-{rows[-1]})" if rows else ""
            raise WitError(
                f"{path}: column {source!r}{where} holds {kind}, but the {target} column must be text; "
                f"pass --{target}-col NAME for another column"
            )


@dataclass(frozen=True)
class ImportTask:
    """Import one URL-list file; yields one chunk per block of ``rows_per_part`` rows."""

    task_id: str
    path: str
    options: ImportOptions

    def run(self) -> Iterator[Chunk]:
        fmt = detect_format(self.path, self.options.format)
        mapping: dict[str, str] | None = None
        produced = False
        for block in read_blocks(self.path, fmt, self.options.rows_per_part, self.options.tsv_quoted):
            if fmt == "jsonl" and block.table.num_rows == 0:
                # Only broken lines (a file whose only line is bad, or bad lines after the last
                # full block): no record names a column, and each line is rejected with its reason.
                produced = True
                yield self._chunk(block, {})
                continue
            check_unique_columns(block.table.column_names, self.path)
            if mapping is None:
                mapping = map_columns(block.table.column_names, self.options, self.path)
            elif fmt == "jsonl" and not set(mapping) <= set(block.table.column_names):
                mapping = map_columns(block.table.column_names, self.options, self.path)
            check_text_columns(block.table, mapping, self.path, block.rows)
            produced = True
            yield self._chunk(block, mapping)
        if not produced:
            yield Chunk(kept=_empty_manifest(), rejected=None, counters=[StageCounters(stage=STAGE)])

    def _chunk(self, block: RawBlock, mapping: dict[str, str]) -> Chunk:
        table = block.table
        taken = set(mapping.values()) | RESERVED_NAMES
        names = []
        for name in table.column_names:
            if name in mapping:
                names.append(mapping[name])
                continue
            while name in taken:
                name = f"input_{name}"
            names.append(name)
            taken.add(name)
        table = table.rename_columns(names)
        for name in ("url", "caption"):
            if name not in table.column_names:
                table = table.append_column(name, pa.nulls(table.num_rows, pa.string()))
        result = validate_rows(
            table,
            stage=STAGE,
            source=STAGE,
            limits=self.options.limits,
            reject_extra={
                "input_file": [self.path] * table.num_rows,
                "input_row": block.rows,
            },
        )
        rejected = result.rejected
        if block.broken:
            broken = with_reasons(
                pa.table(
                    {
                        "input_file": [self.path] * len(block.broken),
                        "input_row": [b[0] for b in block.broken],
                        "raw": [b[2] for b in block.broken],
                    }
                ),
                STAGE,
                [b[1] for b in block.broken],
            )
            rejected = pa.concat_tables([rejected, broken], promote_options="permissive")
            for _, reason, _ in block.broken:
                result.counters.rejected[reason] += 1
            result.counters.rows_in += len(block.broken)
        return Chunk(kept=result.kept, rejected=rejected, counters=[result.counters])


def _empty_manifest() -> pa.Table:
    from wit_pipeline.manifest import MANIFEST_SCHEMA

    return MANIFEST_SCHEMA.empty_table()


def expand_inputs(inputs: Sequence[str]) -> list[str]:
    """Input paths or fsspec URLs as files: a directory stands for the list files directly inside it.

    Local paths (and ``file://`` URLs) come back absolute, so workers in any directory find them.
    """
    files: list[str] = []
    for item in inputs:
        p = storage.location(item)
        if isinstance(p, str) and p.lower().startswith(("http://", "https://")):
            files.append(p)  # a URL of one file; HTTP has no directories to list
        else:
            files.extend(input_files(p, _looks_like_list, "csv/tsv/jsonl/parquet files"))
    return files


def _looks_like_list(name: str) -> bool:
    try:
        detect_format(name)
        return True
    except WitError:
        return False


def import_lists(
    inputs: Sequence[str],
    out_dir: str | Path,
    options: ImportOptions = ImportOptions(),
    client: Client | None = None,
    progress: bool = True,
) -> dict:
    """Import URL lists (paths or fsspec URLs) into the manifest directory ``out_dir``; returns its stats.

    ``out_dir`` is local: a path or ``file://`` URL (for another URL see ``wit_pipeline.staging``).
    """
    out = local_output(out_dir, "import_lists")
    check_bounds(
        SourcesConfig, {"rows_per_part": options.rows_per_part, "format": options.format}, "sources.", "import options"
    )
    files = expand_inputs(inputs)
    for f in files:
        detect_format(f, options.format)
    tasks = [ImportTask(task_id=task_name(i), path=f, options=options) for i, f in enumerate(files)]
    fingerprint = {"inputs": storage.file_identities(files), "options": asdict(options)}
    stats = run_job(tasks, out, job=STAGE, fingerprint=fingerprint, client=client, progress=progress)
    for directory in (out, out / REJECTS_DIR):  # parts written apart get one schema
        if directory.is_dir():
            unify_parts(directory)
    return stats
