"""Stream URL-list files (csv, tsv, jsonl, parquet; compressed or not) as raw Arrow blocks.

Every reader yields ``RawBlock``s of at most ``block_rows`` rows, never the whole file, so a
file of any size is read in bounded memory. Text columns of csv/tsv come back as binary so
invalid UTF-8 can be rejected per row instead of failing the whole file.

TSV is not CSV: a tab-separated file has no quoting by default (a ``"`` is a character like any
other and a newline always ends a row, as in the IANA text/tab-separated-values type and
LAION's/CC3M's lists); ``quoted_tsv`` reads CSV-style quoting in a TSV. Where quotes are read, a
quoted field spanning more than ``MAX_QUOTED_LINES`` lines is an error naming the line its quote
opens on: an unclosed quote would otherwise swallow the rest of the file into one field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import fsspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from wit_pipeline.config import LIST_FORMATS
from wit_pipeline.errors import WitError

_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_COMPRESSIONS = {".gz", ".bz2", ".xz", ".zst"}
HEADER_BLOCK = 1 << 20  # a CSV header must end within the first block
MAX_JSONL_LINE = 8 << 20  # a longer JSONL line is rejected unread, so one line cannot exhaust memory
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
MAX_QUOTED_LINES = 100  # a quoted csv/tsv field spanning more lines is an unclosed quote, not a caption


@dataclass
class RawBlock:
    """Rows as read (``table``), their 1-based line/row numbers, and rows unreadable as rows."""

    table: pa.Table
    rows: list[int]
    broken: list[tuple[int, str, str]] = field(default_factory=list)  # (row, reason, raw text)


def detect_format(path: str, declared: str | None = None) -> str:
    """The list format of ``path``: ``declared`` if given, else from its extension."""
    if declared:
        if declared not in LIST_FORMATS:
            raise WitError(f"{path}: unsupported format '{declared}' (expected one of {', '.join(LIST_FORMATS)})")
        return declared
    suffixes = [s.lower() for s in PurePosixPath(path).suffixes]
    while suffixes and suffixes[-1] in _COMPRESSIONS:
        suffixes.pop()
    fmt = _EXTENSIONS.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        ext = "".join(PurePosixPath(path).suffixes) or "(none)"
        raise WitError(
            f"{path}: unsupported file type '{ext}' (expected .csv, .tsv, .jsonl or .parquet, "
            "optionally .gz; or pass --format)"
        )
    return fmt


def read_blocks(path: str, fmt: str, block_rows: int, quoted_tsv: bool = False) -> Iterator[RawBlock]:
    """Yield ``RawBlock``s of ``path`` in file order (``quoted_tsv``: a TSV uses CSV-style quoting)."""
    if fmt != "parquet":
        _refuse_utf16(path, fmt)
    if fmt in ("csv", "tsv"):
        yield from _read_delimited(path, fmt, block_rows, quoted=fmt == "csv" or quoted_tsv)
    else:
        yield from {"jsonl": _read_jsonl, "parquet": _read_parquet}[fmt](path, fmt, block_rows)


def _refuse_utf16(path: str, fmt: str) -> None:
    """A text list must be UTF-8: a UTF-16/32 byte-order mark is a one-line error, not a file of garbage rows."""
    try:
        with fsspec.open(path, "rb", compression="infer") as fh:
            head = fh.read(4)
    except (OSError, EOFError) as exc:
        raise WitError(f"{path}: unreadable {fmt} file ({_one_line(exc)})") from None
    for bom, name in (
        (b"\xff\xfe\x00\x00", "UTF-32"),
        (b"\x00\x00\xfe\xff", "UTF-32"),
        (b"\xff\xfe", "UTF-16"),
        (b"\xfe\xff", "UTF-16"),
    ):
        if head.startswith(bom):
            raise WitError(f"{path}: the file is {name} (byte-order mark); {fmt} lists must be UTF-8, convert it first")


def _read_parquet(path: str, fmt: str, block_rows: int) -> Iterator[RawBlock]:
    try:
        with fsspec.open(path, "rb") as fh:
            pf = pq.ParquetFile(fh)
            row = 1
            for batch in pf.iter_batches(batch_size=block_rows):
                table = pa.Table.from_batches([batch])
                yield RawBlock(table, list(range(row, row + table.num_rows)))
                row += table.num_rows
    except (OSError, pa.ArrowException) as exc:
        raise WitError(f"{path}: unreadable parquet file ({_one_line(exc)})") from None


def _read_delimited(path: str, fmt: str, block_rows: int, quoted: bool) -> Iterator[RawBlock]:
    delimiter = "\t" if fmt == "tsv" else ","
    broken: list[tuple[int, str, str]] = []
    line = 2  # physical line of the next record (the header is line 1); rows below count records
    runaway: list[int] = []

    def on_invalid(row: pa_csv.InvalidRow) -> str:
        text = row.text or ""
        if quoted and text.count("\n") >= MAX_QUOTED_LINES:
            runaway.append(row.number if row.number and row.number > 0 else -1)
        reason = f"csv_expected_{row.expected_columns}_fields_got_{row.actual_columns}"
        broken.append((row.number if row.number and row.number > 0 else -1, reason, text[:2000]))
        return "skip"

    def check_quotes(batch: pa.RecordBatch) -> int:
        """Physical lines ``batch`` spans; an error at a field spanning more than ``MAX_QUOTED_LINES``."""
        newlines = pa.array([0] * batch.num_rows, pa.int64())
        for column in batch.columns:
            newlines = pc.add(newlines, pc.count_substring(column, "\n"))
        if runaway or (batch.num_rows and pc.max(newlines).as_py() >= MAX_QUOTED_LINES):
            first = pc.index(pc.greater_equal(newlines, MAX_QUOTED_LINES), True).as_py()
            if first >= 0:
                where = f"the row at line {line + first + (pc.sum(newlines.slice(0, first)).as_py() or 0)}"
            else:
                where = f"record {runaway[0]}" if runaway[0] > 0 else "a row"
            hint = "" if fmt == "csv" else "; --tsv-quoted is only for TSV with CSV-style quoting"
            raise WitError(
                f"{path}: {where} opens a quoted field that runs over {MAX_QUOTED_LINES} lines or more "
                f"(an unclosed quote?{hint})"
            )
        return batch.num_rows + (pc.sum(newlines).as_py() or 0)

    header = _csv_header(path, delimiter, quoted)
    parse = pa_csv.ParseOptions(
        delimiter=delimiter,
        quote_char='"' if quoted else False,
        newlines_in_values=quoted,
        invalid_row_handler=on_invalid,
    )
    convert = pa_csv.ConvertOptions(column_types={name: pa.binary() for name in header}, strings_can_be_null=False)
    read = pa_csv.ReadOptions(block_size=1 << 22, use_threads=False)
    row = 1  # the header is line 1
    try:
        with fsspec.open(path, "rb", compression="infer") as fh:
            reader = pa_csv.open_csv(fh, read_options=read, parse_options=parse, convert_options=convert)
            pending: list[pa.RecordBatch] = []
            pending_rows = 0
            for batch in reader:
                if quoted:
                    line += check_quotes(batch)
                pending.append(batch)
                pending_rows += batch.num_rows
                while pending_rows >= block_rows:
                    table = pa.Table.from_batches(pending)
                    head, rest = table.slice(0, block_rows), table.slice(block_rows)
                    yield RawBlock(head, list(range(row + 1, row + 1 + head.num_rows)), _take(broken))
                    row += head.num_rows
                    pending, pending_rows = rest.to_batches(), rest.num_rows
            if pending_rows or broken:
                table = pa.Table.from_batches(pending, schema=reader.schema)
                yield RawBlock(table, list(range(row + 1, row + 1 + table.num_rows)), _take(broken))
    except (OSError, EOFError, pa.ArrowException) as exc:
        raise WitError(f"{path}: unreadable {fmt} file ({_csv_problem(exc, read.block_size)})") from None


def _csv_header(path: str, delimiter: str, quoted: bool = True) -> list[str]:
    """Column names from the first block, read as text; a clear error for an empty file.

    The file's first two blocks are read here and parsed from memory (what Arrow needs to find the
    header and the end of the row after it). Arrow's reader of a Python file reads ahead in its
    own threads, and one still waiting to call into Python while an import that had just failed
    (a header longer than a block) was exiting aborted the process: SIGABRT, "terminate called".
    Parsing stays in this thread too (``use_threads=False``: the row handler is Python).
    """
    head = b""
    try:
        with fsspec.open(path, "rb", compression="infer") as fh:
            head = fh.read(2 * HEADER_BLOCK + 1)
        sink = pa.BufferOutputStream()  # a buffer Arrow owns: its threads never touch a Python object
        sink.write(head)
        reader = pa_csv.open_csv(
            pa.BufferReader(sink.getvalue()),
            read_options=pa_csv.ReadOptions(block_size=HEADER_BLOCK, use_threads=False),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, quote_char='"' if quoted else False, invalid_row_handler=lambda r: "skip"
            ),
            convert_options=pa_csv.ConvertOptions(include_columns=[]),
        )
        names = reader.schema.names
    except (OSError, EOFError, pa.ArrowException) as exc:
        if "Empty CSV file" in str(exc):
            names = []
        else:
            raise WitError(f"{path}: unreadable file ({_csv_problem(exc, HEADER_BLOCK)})") from None
    if not names:
        what = "empty file" if not head else "no header row in its first MiB"
        raise WitError(f"{path}: {what} (expected a header row with column names)")
    check_unique_columns(names, path)
    return names


def check_unique_columns(names: list[str], path: str) -> None:
    """A one-line error for a header naming a column twice (which one would be the caption?)."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise WitError(f"{path}: column name {name!r} appears twice in the header; rename one")
        seen.add(name)


def _read_jsonl(path: str, fmt: str, block_rows: int) -> Iterator[RawBlock]:
    rows: list[dict] = []
    numbers: list[int] = []
    broken: list[tuple[int, str, str]] = []
    try:
        with fsspec.open(path, "rb", compression="infer") as fh:
            for number, line in enumerate(_bounded_lines(fh, MAX_JSONL_LINE), start=1):
                if not line.strip():
                    continue
                record, reason = _parse_json_line(line) if len(line) <= MAX_JSONL_LINE else (None, "line_too_long")
                if reason:
                    broken.append((number, reason, line[:2000].decode("utf-8", "replace")))
                else:
                    rows.append(record)
                    numbers.append(number)
                if len(rows) >= block_rows:
                    yield RawBlock(_records_to_table(rows), numbers, _take(broken))
                    rows, numbers = [], []
    except (OSError, EOFError) as exc:
        raise WitError(f"{path}: unreadable jsonl file ({_one_line(exc)})") from None
    if rows or broken:
        yield RawBlock(_records_to_table(rows), numbers, _take(broken))


def _bounded_lines(fh, limit: int) -> Iterator[bytes]:
    """Lines of ``fh``; a line longer than ``limit`` is skipped to its end and yielded cut to ``limit + 1`` bytes."""
    while True:
        line = fh.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(b"\n"):
            while (rest := fh.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
        yield line


def _parse_json_line(line: bytes) -> tuple[dict | None, str | None]:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return None, "invalid_utf8"
    try:
        record = json.loads(text.removeprefix("\ufeff"))
    except RecursionError:
        return None, "json_too_deep"
    except ValueError:
        return None, "invalid_json"
    if not isinstance(record, dict):
        return None, "json_not_an_object"
    if _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(record, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            return None, "lone_surrogate"  # a "\\udXXX" escape that pairs with nothing: not text
        except RecursionError:
            return None, "json_too_deep"
    return record, None


def _records_to_table(records: list[dict]) -> pa.Table:
    """Arrow table of JSON records; a column of mixed types is kept as JSON text."""
    names: dict[str, None] = {}
    for r in records:
        names.update(dict.fromkeys(r))
    columns = {}
    for name in names:
        values = [r.get(name) for r in records]
        try:
            columns[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):  # mixed types, or an int beyond 64 bits
            columns[name] = pa.array(
                [v if v is None or isinstance(v, str) else json.dumps(v) for v in values], pa.string()
            )
    return pa.table(columns) if columns else pa.table({"url": pa.array([], pa.string())})


def _take(items: list) -> list:
    taken = list(items)
    items.clear()
    return taken


def _csv_problem(exc: BaseException, block_size: int) -> str:
    """pyarrow's reason, or a plain one for a row longer than the reader's block (a single-line file)."""
    if "straddling object" in str(exc):
        return f"a row or header longer than {block_size >> 20} MiB; rows are read in blocks of that size"
    return _one_line(exc)


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
