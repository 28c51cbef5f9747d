"""Property tests: manifest validation never raises, and every row is kept or rejected with a reason."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from wit_pipeline.manifest import ManifestLimits, compute_uid
from wit_pipeline.manifest_validation import validate_rows

URLS = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.sampled_from(["http://x.example/a.jpg", "HTTPS://X.example:443/b?", "ftp://x/y", "http://[::1", "http://:80/"]),
    st.builds(lambda p: f"http://img.example/{p}", st.text(max_size=30)),
)
CELLS = st.one_of(st.none(), st.binary(max_size=40), st.text(max_size=40).map(str.encode))


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(
        st.tuples(URLS.map(lambda u: None if u is None else u.encode("utf-8", "surrogatepass")), CELLS), max_size=15
    )
)
def test_every_row_is_kept_with_a_uid_or_rejected_with_a_reason(rows: list[tuple]) -> None:
    table = pa.table(
        {"url": pa.array([u for u, _ in rows], pa.binary()), "caption": pa.array([c for _, c in rows], pa.binary())}
    )
    limits = ManifestLimits(max_url_length=80, max_caption_length=30)
    result = validate_rows(table, stage="import", source="import", limits=limits)
    assert result.kept.num_rows + result.rejected.num_rows == len(rows)
    assert result.counters.rows_in == len(rows) == result.counters.kept + result.counters.rejected_total
    assert all(result.rejected["reason"].to_pylist()) and set(result.rejected["stage"].to_pylist()) <= {"import"}
    for row in result.kept.to_pylist():
        assert row["url"].lower().startswith(("http://", "https://")) and row["caption"].strip()
        assert row["uid"] == compute_uid(row["url"], row["caption"]) and row["source"] == "import"
