"""Stream the records of a WARC file (gzip per record, or not) with warcio, surviving damage.

A damaged region (a truncated or corrupt gzip member, a malformed WARC header, garbage)
becomes one ``WarcProblem`` with a reason, and reading resumes at the next record start
found after it: the next gzip member that inflates to ``WARC/`` for compressed files, the
next line starting ``WARC/1.`` otherwise. Payloads are read only for records the caller
asks for and only up to ``max_bytes``, so memory stays bounded whatever the file holds.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeadersParserException

GZIP_MAGIC = b"\x1f\x8b\x08"
_SCAN_BLOCK = 1 << 20


@dataclass
class WarcRecord:
    """One record's headers, and its payload when it was wanted and within the size cap."""

    offset: int
    rec_type: str
    target_uri: str | None
    content_type: str
    http_status: int | None
    http_headers: list[tuple[str, str]]
    payload: bytes | None
    too_large: bool = False
    kind: str | None = None  # what ``wanted`` said about the record (None: payload not read)

    def http_header(self, name: str) -> str | None:
        """The first HTTP header ``name`` (case-insensitive), or None."""
        lowered = name.lower()
        return next((v for k, v in self.http_headers if k.lower() == lowered), None)

    def http_header_values(self, name: str) -> list[str]:
        """Every value of HTTP header ``name`` (case-insensitive)."""
        lowered = name.lower()
        return [v for k, v in self.http_headers if k.lower() == lowered]


@dataclass
class WarcProblem:
    """A damaged region of the file: where it started and why it could not be read."""

    offset: int
    reason: str


Wanted = Callable[[str, str, str | None], str | None]


def read_warc(path: str, wanted: Wanted, max_bytes: int) -> Iterator[WarcRecord | WarcProblem]:
    """Yield every record of ``path`` in order, and a ``WarcProblem`` per damaged region.

    ``wanted(rec_type, warc_content_type, http_content_type)`` names the kind of record whose
    payload should be read (kept as ``WarcRecord.kind``), or returns None to skip the payload.
    """
    with open(path, "rb") as fh:
        gzipped = fh.read(3) == GZIP_MAGIC
        start = 0
        while start is not None:
            fh.seek(start)
            failed_at = yield from _records_from(fh, start, wanted, max_bytes)
            # resume strictly after both the damage and where this pass began, so reading always advances
            start = None if failed_at is None else find_record_start(fh, max(failed_at, start) + 1, gzipped)


def _records_from(fh: BinaryIO, start: int, wanted: Wanted, max_bytes: int):
    """Yield records from ``start``; on damage yield the problem and return its offset."""
    iterator = ArchiveIterator(fh)
    offset = start
    try:
        for record in iterator:
            item = _read_record(record, offset, wanted, max_bytes)
            offset = iterator.get_record_offset()  # reads the rest of the record
            if getattr(record.raw_stream, "limit", 0) > 0:
                yield WarcProblem(offset, "truncated_record")
                return None
            item.offset = offset
            offset += iterator.get_record_length()
            if not record.rec_type or record.rec_headers.get_header("Content-Length") is None:
                yield WarcProblem(item.offset, "malformed_warc_header")  # mandatory fields missing
                continue
            yield item
    except Exception as exc:  # noqa: BLE001 - damaged archives make warcio raise almost anything
        offset = max(offset, start)  # warcio's offsets are unreliable inside damaged data
        yield WarcProblem(offset, classify(exc))
        return offset
    return None


def _read_record(record: ArcWarcRecord, offset: int, wanted: Wanted, max_bytes: int) -> WarcRecord:
    headers = record.http_headers
    http_type = headers.get_header("Content-Type") if headers is not None else None
    content_type = record.rec_headers.get_header("Content-Type") or ""
    payload, too_large = None, False
    kind = wanted(record.rec_type or "", content_type, http_type)
    if kind:
        data = record.content_stream().read(max_bytes + 1)
        too_large = len(data) > max_bytes
        payload = None if too_large else data
    status = None
    if headers is not None and headers.get_statuscode():
        code = headers.get_statuscode()
        status = int(code) if code.isdigit() else None
    return WarcRecord(
        offset=offset,
        rec_type=record.rec_type or "",
        target_uri=record.rec_headers.get_header("WARC-Target-URI"),
        content_type=content_type,
        http_status=status,
        http_headers=list(headers.headers) if headers is not None else [],
        payload=payload,
        too_large=too_large,
        kind=kind,
    )


def classify(exc: BaseException) -> str:
    """A short reason code for an exception raised while reading a WARC file."""
    if isinstance(exc, (zlib.error, EOFError)):
        return "corrupt_gzip"
    if isinstance(exc, StatusAndHeadersParserException):
        return "malformed_http_headers"
    if isinstance(exc, ArchiveLoadFailed):
        return "malformed_warc_header"
    if isinstance(exc, (ValueError, IndexError, KeyError, UnicodeError)):
        return "malformed_record"
    return "unreadable_record"


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
