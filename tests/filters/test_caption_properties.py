"""Property tests: the caption rules never raise, and their verdicts are stable and well formed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from filters.caption_rules import CaptionRules, CaptionStage
from tests.filters.helpers import manifest_rows, table_of

RULES = CaptionRules()
# Text the web writes into alt attributes: words, markup, file names, URLs, controls, any unicode.
WORDS = st.sampled_from(["a", "red", "bicycle", "IMG_2034.JPG", "http://x.example/a", "<b>", "&nbsp;", "{{x}}", "\x00"])
CAPTIONS = st.one_of(
    st.none(),
    st.text(max_size=200),
    st.lists(st.one_of(WORDS, st.text(max_size=12)), max_size=30).map(" ".join),
    st.binary(max_size=120).map(lambda b: b.decode("utf-8", "replace")),
)


@settings(max_examples=300, deadline=None)
@given(caption=CAPTIONS)
def test_rules_never_raise_and_a_kept_caption_passes_again(caption: str | None) -> None:
    reason, text = RULES.problem(caption)
    assert reason is None or (isinstance(reason, str) and reason)
    if reason is None:
        assert text and len(text) <= RULES.max_chars
        assert RULES.problem(text) == (None, text)  # normalising is idempotent; the verdict holds


@settings(max_examples=100, deadline=None)
@given(captions=st.lists(CAPTIONS.filter(lambda c: c is not None), min_size=1, max_size=20))
def test_stage_accounts_for_every_row(captions: list[str]) -> None:
    table = table_of(manifest_rows([(f"http://x.example/{i}.jpg", c) for i, c in enumerate(captions)]))
    result = CaptionStage()(table, 0)
    counters = result.counters
    assert counters.rows_in == len(captions) == counters.kept + counters.rejected_total
    assert result.kept.num_rows + result.rejected.num_rows == len(captions)
    assert set(result.kept["uid"].to_pylist()) | set(result.rejected["uid"].to_pylist()) == set(
        table["uid"].to_pylist()
    )
    assert all(result.rejected["reason"].to_pylist()) and set(result.rejected["stage"].to_pylist()) <= {"caption"}
