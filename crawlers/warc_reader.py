"""Stream the records of a WARC file (gzip per record, or not) with FastWARC, surviving damage.

FastWARC stops at the first damaged region (a truncated or corrupt gzip member, a malformed
WARC header, garbage). Each such region becomes one ``WarcProblem`` with a reason, and a
fresh iterator resumes at the next record start found after it: the next gzip member that
inflates to ``WARC/`` for compressed files, the next line starting ``WARC/1.`` otherwise.
Payloads are read only for records the caller asks for and only up to ``max_bytes``; the
rest of every record is skipped without being held, so memory stays bounded whatever the
file holds.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from fastwarc.stream_io import GzipReader
from fastwarc.warc import ArchiveIterator, WarcHeader
from fastwarc.warc import WarcRecord as FastWarcRecord

from crawlers.http_headers import first_header, header_values
from wit_pipeline import storage

GZIP_MAGIC = b"\x1f\x8b\x08"
_SCAN_BLOCK = 1 << 20
_MAX_HEADER = 32 << 10  # FastWARC's default limit on a WARC header block
# The headers read from every record, looked up once.
_TYPE, _CONTENT_TYPE, _LENGTH, _TARGET = (
    WarcHeader.WARC_TYPE,
    WarcHeader.CONTENT_TYPE,
    WarcHeader.CONTENT_LENGTH,
    WarcHeader.WARC_TARGET_URI,
)


@dataclass(slots=True)
class WarcRecord:
    """One record's headers, and its payload when it was wanted and within the size cap."""

    offset: int
    rec_type: str
    target_uri: str | None
    content_type: str
    http_status: int | None
    http_headers: list[tuple[str, str]]  # only for wanted records: building them is not free
    payload: bytes | None
    too_large: bool = False
    kind: str | None = None  # what ``wanted`` said about the record (None: payload not read)

    def http_header(self, name: str) -> str | None:
        """The first HTTP header ``name`` (case-insensitive), or None."""
        return first_header(self.http_headers, name)

    def http_header_values(self, name: str) -> list[str]:
        """Every value of HTTP header ``name`` (case-insensitive)."""
        return header_values(self.http_headers, name)


@dataclass(slots=True)
class WarcProblem:
    """A damaged region of the file and why it could not be read.

    The damage lies at or after ``offset``: the damaged record's start when its header could
    be read, else the end of the last record read in full (for gzip files, that record's start).
    """

    offset: int
    reason: str


Wanted = Callable[[str, str, str | None], str | None]
_Pass = Generator[WarcRecord | WarcProblem, None, int | None]


def read_warc(path: str, wanted: Wanted, max_bytes: int) -> Iterator[WarcRecord | WarcProblem]:
    """Yield every record of ``path`` in order, and a ``WarcProblem`` per damaged region.

    ``wanted(rec_type, warc_content_type, http_content_type)`` names the kind of record whose
    payload should be read (kept as ``WarcRecord.kind``), or returns None to skip the payload.
    """
    with storage.open_input(path) as fh:  # a local path or any fsspec URL; must be seekable
        gzipped = fh.read(3) == GZIP_MAGIC
        start: int | None = 0
        damaged = False
        while start is not None:
            fh.seek(start)
            damaged_at = yield from _records_from(fh, gzipped, wanted, max_bytes, damaged)
            damaged = damaged_at is not None
            # resume strictly after both the damage and where this pass began, so reading always advances
            start = None if damaged_at is None else find_record_start(fh, max(damaged_at, start) + 1, gzipped)


def _records_from(fh: BinaryIO, gzipped: bool, wanted: Wanted, max_bytes: int, damaged: bool) -> _Pass:
    """Yield records from ``fh``'s position on; at the first damage return the offset it lies at or after.

    The damage is yielded as a problem too, unless this pass fails before yielding anything while
    ``damaged`` says the pass began right after a damaged region: then it is more of that region.
    """
    damaged_at = fh.tell()
    last_plain: tuple[int, int] | None = None  # uncompressed: (offset, Content-Length) of the last record read
    read_any = False
    try:
        for record in ArchiveIterator(GzipReader(fh) if gzipped else fh, stream_detect=False):
            damaged_at = record.stream_pos
            last_plain, read_any = None, True
            item = _read_record(record, damaged_at, wanted, max_bytes)
            yield item
            if item.__class__ is WarcProblem:
                if item.reason == "truncated_record":
                    return damaged_at
            elif not gzipped:
                last_plain = (item.offset, int(record.headers.get(WarcHeader.CONTENT_LENGTH)))
    except OSError as exc:  # what FastWARC raises for bytes it cannot decompress or parse
        if last_plain is not None:
            damaged_at = _plain_record_end(fh, *last_plain)
        if read_any or not damaged:
            yield WarcProblem(damaged_at, classify(exc))
        return damaged_at
    return None


def _read_record(record: FastWarcRecord, offset: int, wanted: Wanted, max_bytes: int) -> WarcRecord | WarcProblem:
    """The record's fields and wanted payload, reading it to its end; a problem if it is cut short or malformed."""
    headers = record.headers
    rec_type = headers.get(_TYPE)
    content_type = headers.get(_CONTENT_TYPE) or ""
    http = record.http_headers if record.is_http else None
    kind = wanted(rec_type or "", content_type, http.get(_CONTENT_TYPE) if http is not None else None)
    data = record.reader.read(max_bytes + 1) if kind else b""
    if len(data) + record.consume() < record.content_length:
        return WarcProblem(offset, "truncated_record")
    length = headers.get(_LENGTH)
    if not rec_type or length is None or not (length.isascii() and length.isdigit()):  # missing or unusable
        return WarcProblem(offset, "malformed_warc_header")
    too_large = len(data) > max_bytes
    return WarcRecord(  # positional, in field order: one is built per record, and keywords cost
        offset,
        rec_type,
        headers.get(_TARGET),
        content_type,
        http.status_code if http is not None else None,
        list(http.to_tuples()) if kind and http is not None else [],
        data if kind and not too_large else None,
        too_large,
        kind,
    )


def classify(exc: OSError) -> str:
    """A short reason code for FastWARC's error on a damaged region."""
    message = str(exc)
    if message.startswith("Gzip"):
        return "corrupt_gzip"
    if "WARC header" in message:
        return "malformed_warc_header"
    return "unreadable_record"


def _plain_record_end(fh: BinaryIO, offset: int, block_length: int) -> int:
    """End of the uncompressed record at ``offset``: its header block, ``block_length`` bytes, then CRLF CRLF."""
    fh.seek(offset)
    header_end = fh.read(_MAX_HEADER).find(b"\r\n\r\n")
    return offset + header_end + 4 + block_length + 4 if header_end != -1 else offset


def find_record_start(fh: BinaryIO, after: int, gzipped: bool) -> int | None:
    """Offset of the first plausible record start at or after ``after``, or None at end of file."""
    marker = GZIP_MAGIC if gzipped else b"\nWARC/1."
    pos = after
    while True:
        fh.seek(pos)
        block = fh.read(_SCAN_BLOCK + len(marker))
        if len(block) < len(marker):
            return None
        i = block.find(marker)
        while i != -1:
            candidate = pos + i if gzipped else pos + i + 1
            if not gzipped or _inflates_to_warc(fh, candidate):
                return candidate
            i = block.find(marker, i + 1)
        pos += _SCAN_BLOCK


def _inflates_to_warc(fh: BinaryIO, offset: int) -> bool:
    """Whether a gzip member starting at ``offset`` begins with a WARC record header."""
    fh.seek(offset)
    try:
        return zlib.decompressobj(31).decompress(fh.read(4096), 16).startswith(b"WARC/")
    except zlib.error:
        return False
