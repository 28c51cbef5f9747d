"""Build small WARC and WAT files with warcio for tests."""

from __future__ import annotations

import io
import json
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


def html_response(writer: WARCWriter, uri: str, body: bytes, headers: list[tuple[str, str]] | None = None):
    """A WARC ``response`` record of an HTML page."""
    http = StatusAndHeaders("200 OK", headers or [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
    return writer.create_warc_record(uri, "response", payload=io.BytesIO(body), http_headers=http)


def wat_metadata(writer: WARCWriter, uri: str, document: dict | bytes):
    """A WAT ``metadata`` record (JSON payload) about ``uri``."""
    payload = document if isinstance(document, bytes) else json.dumps(document, separators=(",", ":")).encode()
    return writer.create_warc_record(uri, "metadata", payload=io.BytesIO(payload), warc_content_type="application/json")


def wat_document(uri: str, links: list[dict], base: str | None = None, headers: dict | None = None) -> dict:
    """The JSON of a WAT response record with the given ``Links`` (Common Crawl's layout)."""
    head: dict = {"Title": "t", "Metas": []}
    if base:
        head["Base"] = base
    return {
        "Envelope": {
            "WARC-Header-Metadata": {"WARC-Type": "response", "WARC-Target-URI": uri},
            "Payload-Metadata": {
                "HTTP-Response-Metadata": {
                    "Headers": headers or {"Content-Type": "text/html"},
                    "HTML-Metadata": {"Head": head, "Links": links},
                }
            },
        }
    }


def write_warc(path: Path, records: list, gzip: bool = True) -> list[int]:
    """Write ``records`` (callables taking a writer) to ``path``; returns each record's offset."""
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gzip)
    offsets = []
    for make in records:
        offsets.append(buf.tell())
        writer.write_record(make(writer))
    offsets.append(buf.tell())
    path.write_bytes(buf.getvalue())
    return offsets
