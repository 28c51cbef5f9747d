"""validate_rows: raw rows become manifest rows or rejects with reasons, nothing lost."""

from __future__ import annotations

import pyarrow as pa

from wit_pipeline.manifest import MANIFEST_SCHEMA, ManifestLimits, compute_uid
from wit_pipeline.manifest_validation import validate_rows


def test_good_rows_kept_bad_rows_rejected_with_reasons() -> None:
    table = pa.table(
        {
            "url": pa.array([b"http://a.com/x.jpg", b"ftp://x/y", b"http://b.com/\xff.jpg", None, b"http://c.com/z"]),
            "caption": ["a cat", "b", "c", "d", None],
            "score": [0.1, 0.2, 0.3, 0.4, 0.5],
            "uid": ["theirs-1", "theirs-2", "theirs-3", "theirs-4", "theirs-5"],
        }
    )
    result = validate_rows(
        table, stage="import", source="import", limits=ManifestLimits(), reject_extra={"input_row": [2, 3, 4, 5, 6]}
    )
    assert result.kept.schema.names[:5] == MANIFEST_SCHEMA.names
    assert result.kept["uid"].to_pylist() == [compute_uid("http://a.com/x.jpg", "a cat")]
    assert result.kept["score"].to_pylist() == [0.1]
    assert result.kept["input_uid"].to_pylist() == ["theirs-1"]
    assert result.kept["source"].to_pylist() == ["import"]
    assert result.rejected["reason"].to_pylist() == ["url_not_http", "invalid_utf8", "missing_url", "missing_caption"]
    assert result.rejected["input_row"].to_pylist() == [3, 4, 5, 6]
    assert set(result.rejected["stage"].to_pylist()) == {"import"}
    c = result.counters
    assert c.rows_in == 5 == c.kept + c.rejected_total


def test_no_rejects_and_no_rows() -> None:
    ok = pa.table({"url": ["http://a.com/x"], "caption": ["hi there"]})
    assert validate_rows(ok, stage="s", source="html", limits=ManifestLimits()).rejected.num_rows == 0
    empty = ok.slice(0, 0)
    result = validate_rows(empty, stage="s", source="html", limits=ManifestLimits())
    assert result.kept.num_rows == 0 and result.counters.rows_in == 0
