"""Manifest schema helpers: URL normalisation, uids, field checks, conforming tables."""

from __future__ import annotations

from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wit_pipeline.errors import WitError
from wit_pipeline.manifest import (
    MANIFEST_SCHEMA,
    ManifestLimits,
    caption_problem,
    compute_uid,
    conform,
    decode_utf8_column,
    list_parts,
    normalize_url,
    normalize_urls,
    read_part,
    url_problem,
)


def test_normalize_url_canonicalises_case_ports_and_fragments() -> None:
    assert normalize_url(" HTTP://Example.COM:80/a/B.jpg#frag ") == "http://example.com/a/B.jpg"
    assert normalize_url("https://example.com:443") == "https://example.com/"
    assert normalize_url("https://example.com:8443/x?q=1") == "https://example.com:8443/x?q=1"


def test_uid_is_stable_and_depends_on_url_and_caption() -> None:
    a = compute_uid("http://Example.com/x.jpg#top", "a cat")
    assert a == compute_uid("http://example.com/x.jpg", "a cat")
    assert a != compute_uid("http://example.com/x.jpg", "a dog")
    assert len(a) == 32 and int(a, 16) >= 0


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (None, "missing_url"),
        ("  ", "missing_url"),
        ("ftp://x.org/a.jpg", "url_not_http"),
        ("javascript:alert(1)", "url_not_http"),
        ("/relative/a.jpg", "url_not_http"),
        ("http://[::1/x", "malformed_url"),
        ("http://host:99999/x", "malformed_url"),
        ("http:///x.jpg", "malformed_url"),
        ("http://a.com/" + "x" * 3000, "url_too_long"),
        ("https://a.com/x.jpg", None),
    ],
)
def test_url_problem(url, reason) -> None:
    assert url_problem(url, ManifestLimits()) == reason


@pytest.mark.parametrize(
    ("caption", "reason"),
    [
        (None, "missing_caption"),
        (" \t", "empty_caption"),
        ("x" * 20_000, "caption_over_manifest_limit"),
        ("a cat", None),
    ],
)
def test_caption_problem(caption, reason) -> None:
    assert caption_problem(caption, ManifestLimits()) == reason


def test_decode_utf8_flags_invalid_rows_only() -> None:
    values, bad = decode_utf8_column(pa.array([b"ok", b"\xff\xfe", None, "é".encode()], pa.binary()))
    assert bad == [False, True, False, False]
    assert values.to_pylist()[0] == "ok" and values.to_pylist()[3] == "é" and "\ufffd" in values[1].as_py()


def test_conform_orders_columns_and_casts_known_ones() -> None:
    table = pa.table(
        {
            "extra": [1],
            "width": ["640"],
            "height": ["tall"],
            "source": ["import"],
            "caption": ["c"],
            "url": ["http://a/x"],
            "uid": ["u"],
            "page_url": pa.nulls(1, pa.string()),
        }
    )
    out = conform(table)
    assert out.column_names[:5] == MANIFEST_SCHEMA.names
    assert out["width"].type == pa.int32() and out["width"].to_pylist() == [640]
    assert out["height"].to_pylist() == [None]
    assert out["extra"].to_pylist() == [1]


def test_list_and_read_parts_errors(tmp_path) -> None:
    with pytest.raises(WitError, match="no such manifest directory"):
        list_parts(tmp_path / "nope")
    with pytest.raises(WitError, match="not a manifest directory"):
        list_parts(tmp_path)
    bad = tmp_path / "part-00000.parquet"
    pq.write_table(pa.table({"url": ["http://a/x"]}), bad)
    with pytest.raises(WitError, match="missing required manifest column"):
        read_part(bad)
    bad.write_bytes(bad.read_bytes()[:20])
    with pytest.raises(WitError, match="unreadable parquet file"):
        read_part(bad)


URL_PIECES = st.sampled_from(
    [
        "http",
        "HTTPS",
        "ftp",
        "://",
        "a.com",
        "Ex.AMPLE.org",
        ":80",
        ":8080",
        ":99999",
        "/",
        "/p",
        "?",
        "?q=1",
        "#f",
        "#",
        " ",
        "u:p@",
        "[::1]",
        "%7E",
        "é",
        "..",
    ]
)


@given(st.lists(URL_PIECES, max_size=8).map("".join))
def test_vectorised_normalisation_equals_the_scalar_one(url: str) -> None:
    try:
        expected = normalize_url(url) if urlsplit(url.strip()).scheme.lower() in ("http", "https") else None
    except ValueError:
        expected = None
    assert normalize_urls(pa.array([url, None])).to_pylist() == [expected, None]
