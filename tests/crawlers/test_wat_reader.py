"""WAT metadata records: IMG@/src links with alt text, Head.Base, opt-outs, bad JSON."""

from __future__ import annotations

import json

from crawlers.wat_reader import wat_image_rows
from tests.crawlers.warc_factory import wat_document

URI = "https://news.example/story/1"


def payload(doc: dict) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def test_image_links_resolved_against_target_and_base() -> None:
    links = [
        {"path": "A@/href", "url": "/other", "text": "a link"},
        {"path": "IMG@/src", "url": "/img/1.jpg", "alt": "  first\n picture "},
        {"path": "IMG@/src", "url": "//cdn.example/2.png", "title": "title only"},
        {"path": "IMG@/src", "url": "data:image/png;base64,AAAA", "alt": "inline"},
        {"path": "IMG@/src", "url": "3.jpg"},
    ]
    found = wat_image_rows(payload(wat_document(URI, links)), URI)
    assert [(r["url"], r["caption"], r["skip"]) for r in found.rows] == [
        ("https://news.example/img/1.jpg", "first picture", None),
        ("https://cdn.example/2.png", "title only", None),
        ("data:image/png;base64,AAAA", "inline", "data_uri"),
        ("https://news.example/story/3.jpg", None, None),
    ]
    based = wat_image_rows(payload(wat_document(URI, links[-1:], base="https://static.example/s/")), None)
    assert based.rows[0]["url"] == "https://static.example/s/3.jpg"


def test_escaped_slash_in_path_is_still_found() -> None:
    raw = payload(wat_document(URI, [{"path": "IMG@/src", "url": "/a.png", "alt": "a"}])).replace(b"@/src", b"@\\/src")
    assert [r["url"] for r in wat_image_rows(raw, URI).rows] == ["https://news.example/a.png"]


def test_records_without_links_and_invalid_json() -> None:
    assert wat_image_rows(b'{"Envelope":{}}', URI).rows == []
    broken = payload(wat_document(URI, [{"path": "IMG@/src", "url": "/a.png", "alt": "a"}]))[:-7]
    assert wat_image_rows(broken, URI).problem == "invalid_json"
    assert wat_image_rows(b'["IMG@/src"]', URI).problem == "invalid_json"
    assert wat_image_rows(b"[" * 100_000 + b'"IMG@"', URI).problem == "invalid_json"
    assert wat_image_rows(b'\xff\xfe"IMG@', URI).problem == "invalid_json"
    odd = payload({"Envelope": {"Payload-Metadata": {"HTTP-Response-Metadata": {"HTML-Metadata": {"Links": "IMG@"}}}}})
    assert wat_image_rows(odd, URI).rows == []


def test_every_record_is_decoded_so_any_invalid_json_counts() -> None:
    assert wat_image_rows(b'{"Envelope": {"WARC-Header-Metadata": ', URI).problem == "invalid_json"  # no IMG@ in it
    assert wat_image_rows(b"", URI).problem == "invalid_json"
    assert wat_image_rows(b'"just a string"', URI).problem == "invalid_json"
    assert wat_image_rows(b'{"Envelope": {"x": NaN}}', URI).problem == "invalid_json"
    assert wat_image_rows(b'{"Envelope": {"x": "\\ud800"}}', URI).problem == "invalid_json"  # a lone surrogate
    assert wat_image_rows(b'{"Envelope": {}}', URI).problem is None


def test_links_that_are_not_objects_are_skipped() -> None:
    doc = wat_document(URI, [{"path": "IMG@/src", "url": "/a.png", "alt": "a"}])
    links = doc["Envelope"]["Payload-Metadata"]["HTTP-Response-Metadata"]["HTML-Metadata"]["Links"]
    links[:0] = ["IMG@/src", None, ["IMG@/src"]]
    links.append({"path": "IMG@/src", "url": 7, "alt": ["x"], "title": " t  "})
    rows = wat_image_rows(payload(doc), URI).rows
    assert [(r["url"], r["caption"], r["skip"]) for r in rows] == [
        ("https://news.example/a.png", "a", None),
        (None, "t", "no_src"),
    ]


def test_opt_outs_in_headers_and_metas() -> None:
    links = [{"path": "IMG@/src", "url": "/a.png", "alt": "a"}]
    header = wat_image_rows(payload(wat_document(URI, links, headers={"X-Robots-Tag": "noai"})), URI)
    assert header.opted_out and header.rows == []
    doc = wat_document(URI, links)
    doc["Envelope"]["Payload-Metadata"]["HTTP-Response-Metadata"]["HTML-Metadata"]["Head"]["Metas"] = [
        {"name": "robots", "content": "noimageai"}
    ]
    assert wat_image_rows(payload(doc), URI).opted_out
