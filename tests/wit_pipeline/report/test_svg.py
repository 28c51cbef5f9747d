"""Axis ticks, number formats and escaping of the SVG building blocks."""

from __future__ import annotations

import math

from wit_pipeline.report.svg import esc, fmt_number, nice_step, text, tick_labels, ticks, truncate


def test_ticks_are_round_and_cover_the_range() -> None:
    assert ticks(0, 1595) == [0, 500, 1000, 1500, 2000]
    assert ticks(0, 1.0) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    values = ticks(14.28, 15.15, 4)
    assert values[0] <= 14.28 and values[-1] >= 15.15
    assert all(math.isclose(b - a, values[1] - values[0]) for a, b in zip(values, values[1:]))


def test_ticks_of_an_empty_or_flat_range_still_have_two_values() -> None:
    assert len(ticks(0, 0)) >= 2
    assert nice_step(0, 5) == 1.0


def test_number_formats() -> None:
    assert fmt_number(1234567) == "1,234,567"
    assert fmt_number(2.0) == "2"
    assert fmt_number(0.00075) == "7.5e-4"
    assert fmt_number(14.2849) == "14.3"


def test_tick_labels_keep_the_decimals_they_need() -> None:
    assert tick_labels([14.25, 14.5, 14.75, 15.0]) == ["14.25", "14.50", "14.75", "15.00"]
    assert tick_labels([0, 500, 1000]) == ["0", "500", "1,000"]
    assert tick_labels([0, 0.00025, 0.0005]) == ["0", "2.5e-4", "5e-4"]
    assert tick_labels([0, 0.2, 0.4]) == ["0.0", "0.2", "0.4"]


def test_text_is_escaped_and_truncated() -> None:
    assert esc('<a href="x">&</a>') == "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
    element = text(0, 0, "<script>alert(1)</script>", tooltip='"quoted"')
    assert "<script>" not in element and "&lt;script&gt;" in element and "&quot;quoted&quot;" in element
    assert truncate("abcdefgh", 5) == "abcd…" and truncate("abc", 5) == "abc"
