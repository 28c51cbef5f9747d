"""Every chart is well-formed SVG with its labels escaped, axes and data drawn."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tests.wit_pipeline.report.helpers import FUNNEL
from wit_pipeline.report.charts import funnel_chart, hbar_chart, histogram, line_chart, query_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("viewBox")
    return root


def texts(root: ET.Element) -> list[str]:
    """The visible text of every <text> element (its <title> tooltip left out)."""
    return ["".join([t.text or ""] + [child.tail or "" for child in t]) for t in root.iter(f"{SVG}text")]


def test_hbar_chart_labels_values_and_highlight() -> None:
    root = parse(hbar_chart([("en", 10.0), ("<fr>", 2.0)], "langs", "captions", highlight={"en"}))
    labels = texts(root)
    assert "en" in labels and "<fr>" in labels and "captions" in labels  # escaped in the markup, text when parsed
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect")]
    assert "#2e8b57" in fills and "#3b6fb6" in fills


def test_percent_bars_have_percent_ticks() -> None:
    labels = texts(parse(hbar_chart([("a", 0.5)], "recall", "recall", percent=True)))
    assert "50.0%" in labels and "100%" in labels


def test_funnel_chart_has_a_bar_pair_per_stage() -> None:
    root = parse(funnel_chart(FUNNEL))
    assert len(root.findall(f"{SVG}rect")) == 2 + 2 * len(FUNNEL)  # legend swatches + kept/rejected per stage
    assert any("13 in → 12 kept, 1 rejected" in t for t in texts(root))


def test_query_chart_draws_the_cap() -> None:
    root = parse(query_chart([("circle", 6, 4), ("<q>", 2, 2)], cap=3))
    assert "cap t = 3" in texts(root) and "<q>" in texts(root)
    assert any(line.get("class") == "cap" for line in root.iter(f"{SVG}line"))


def test_histogram_and_line_chart() -> None:
    root = parse(histogram(["0", "1", "≥2"], [3, 5, 1], "lengths", "words per caption"))
    assert len(root.findall(f"{SVG}rect")) == 3 and "words per caption" in texts(root)
    root = parse(line_chart([1, 2, 3], [3.0, 2.0, 1.5], title="loss", y_label="loss"))
    assert root.find(f"{SVG}polyline") is not None and "step" in texts(root)
    flat = parse(line_chart([5], [0.5], title="lr", y_label="lr"))  # one point, zero range
    assert flat.find(f"{SVG}polyline") is not None
