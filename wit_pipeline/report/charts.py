"""The report's charts as inline SVG strings: bars, the funnel, queries before/after, histograms, lines.

Plain SVG drawn from Python (no JavaScript, nothing fetched), with labelled axes and round ticks,
so the page renders the same offline in any browser and in a screenshot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from wit_pipeline.report.svg import (
    fmt_number,
    frame,
    legend,
    line,
    polyline,
    rect,
    text,
    text_width,
    tick_labels,
    ticks,
    truncate,
)

KEPT = "#3b6fb6"
REJECTED = "#e08a3c"
MUTED = "#b8c2cc"
HIGHLIGHT = "#2e8b57"
LABEL_CHARS = 30


def _label_column(labels: Sequence[str], minimum: float = 60, maximum: float = 230) -> float:
    widest = max((text_width(truncate(label, LABEL_CHARS)) for label in labels), default=0)
    return min(max(widest + 14, minimum), maximum)


def _x_axis(
    left: float,
    plot_w: float,
    y: float,
    xmax: float,
    tick_values: list[float],
    label: str,
    fmt: Callable[[float], str] | None = None,
) -> list[str]:
    parts = [line(left, y, left + plot_w, y)]
    labels = [fmt(v) for v in tick_values] if fmt else tick_labels(tick_values)
    for value, label_text in zip(tick_values, labels):
        x = left + plot_w * value / xmax
        parts.append(line(x, y, x, y + 4))
        parts.append(text(x, y + 17, label_text, anchor="middle", cls="tick"))
    parts.append(text(left + plot_w / 2, y + 35, label, anchor="middle", cls="axis-label"))
    return parts


def hbar_chart(
    rows: Sequence[tuple[str, float]],
    title: str,
    value_label: str,
    highlight: frozenset[str] | set[str] = frozenset(),
    width: int = 640,
    percent: bool = False,
) -> str:
    """Horizontal bars, one per (label, value); labels in ``highlight`` drawn in green (e.g. languages kept)."""
    left = _label_column([label for label, _ in rows])
    right, top, row_h = 70, 8, 22
    plot_w = width - left - right
    tick_values = ticks(0, 1.0 if percent else max((v for _, v in rows), default=1) or 1)
    xmax = tick_values[-1]
    bottom = top + row_h * len(rows)
    parts = [line(left + plot_w * v / xmax, top, left + plot_w * v / xmax, bottom, "grid") for v in tick_values[1:]]
    for i, (label, value) in enumerate(rows):
        y = top + i * row_h
        color = HIGHLIGHT if label in highlight else KEPT
        shown = f"{value:.1%}" if percent else fmt_number(value)
        parts.append(rect(left, y + 4, plot_w * value / xmax, row_h - 8, color, f"{label}: {shown}"))
        parts.append(text(left - 8, y + 15, truncate(label, LABEL_CHARS), anchor="end", tooltip=label))
        parts.append(text(left + plot_w * value / xmax + 5, y + 15, shown, cls="value"))
    fmt = (lambda v: f"{v:.0%}") if percent else None
    parts += _x_axis(left, plot_w, bottom, xmax, tick_values, value_label, fmt)
    return frame(width, bottom + 44, "".join(parts), title)


def funnel_chart(stages: Sequence[dict], width: int = 1000) -> str:
    """One bar per stage, as long as its rows in: the kept part blue, the rejected part orange."""
    left = _label_column([s["stage"] for s in stages], minimum=90)
    right, top, row_h = 330, 30, 28
    plot_w = width - left - right
    tick_values = ticks(0, max((s["rows_in"] for s in stages), default=1) or 1)
    xmax = tick_values[-1]
    parts = [legend(left, 14, [(KEPT, "kept"), (REJECTED, "rejected")])]
    for i, s in enumerate(stages):
        y = top + i * row_h
        kept_w = plot_w * s["kept"] / xmax
        rejected = s["rejected_total"]
        reasons = ", ".join(f"{k}: {v:,}" for k, v in s["rejected"].items()) or "none"
        parts.append(rect(left, y + 5, kept_w, row_h - 10, KEPT, f"{s['stage']}: kept {s['kept']:,}"))
        parts.append(rect(left + kept_w, y + 5, plot_w * rejected / xmax, row_h - 10, REJECTED, f"rejected: {reasons}"))
        parts.append(text(left - 8, y + 18, truncate(s["stage"], LABEL_CHARS), anchor="end", tooltip=s["stage"]))
        share = f" ({rejected / s['rows_in']:.1%})" if s["rows_in"] else ""
        summary = f"{s['rows_in']:,} in → {s['kept']:,} kept, {rejected:,} rejected{share}"
        parts.append(text(left + plot_w + 10, y + 18, summary, cls="value"))
    bottom = top + row_h * len(stages)
    parts += _x_axis(left, plot_w, bottom, xmax, tick_values, "rows")
    return frame(width, bottom + 44, "".join(parts), "funnel: rows in, kept and rejected per stage")


def query_chart(rows: Sequence[tuple[str, int, int]], cap: int | None, width: int = 760) -> str:
    """Per query, rows matched before balancing (grey) and kept rows matching it after (blue), with the cap."""
    left = _label_column([q for q, _, _ in rows])
    right, top, row_h = 80, 44, 26
    plot_w = width - left - right
    tick_values = ticks(0, max((m for _, m, _ in rows), default=1) or 1)
    xmax = tick_values[-1]
    bottom = top + row_h * len(rows)
    parts = [legend(left, 14, [(MUTED, "matched (before balancing)"), (KEPT, "kept (after)")])]
    parts += [line(left + plot_w * v / xmax, top, left + plot_w * v / xmax, bottom, "grid") for v in tick_values[1:]]
    for i, (query, matched, kept) in enumerate(rows):
        y = top + i * row_h
        parts.append(rect(left, y + 4, plot_w * matched / xmax, 8, MUTED, f"{query}: matched {matched:,}"))
        parts.append(rect(left, y + 13, plot_w * kept / xmax, 8, KEPT, f"{query}: kept {kept:,}"))
        parts.append(text(left - 8, y + 17, truncate(query, LABEL_CHARS), anchor="end", tooltip=query))
        end = left + plot_w * max(matched, kept) / xmax
        parts.append(text(end + 5, y + 17, f"{matched:,} → {kept:,}", cls="value"))
    if cap is not None and 0 < cap <= xmax:
        x = left + plot_w * cap / xmax
        parts.append(line(x, top - 14, x, bottom, "cap"))
        parts.append(text(x + 4, top - 6, f"cap t = {cap:,}", cls="cap-label"))
    parts += _x_axis(left, plot_w, bottom, xmax, tick_values, "caption-image pairs")
    return frame(width, bottom + 44, "".join(parts), "per-query counts before and after balancing")


def histogram(
    labels: Sequence[str], counts: Sequence[int], title: str, x_label: str, width: int = 470, height: int = 270
) -> str:
    """Vertical bars, one per bin, with a count axis; bin labels thinned out so they never overlap."""
    left, right, top, bottom_pad = 52, 12, 12, 48
    plot_w, plot_h = width - left - right, height - top - bottom_pad
    tick_values = ticks(0, max(counts, default=1) or 1)
    ymax = tick_values[-1]
    base = top + plot_h
    slot = plot_w / max(len(counts), 1)
    every = max(1, int(max((text_width(label) for label in labels), default=10) + 6) // max(int(slot), 1) + 1)
    parts = []
    for value, label_text in zip(tick_values, tick_labels(tick_values)):
        y = base - plot_h * value / ymax
        parts.append(line(left, y, left + plot_w, y, "grid" if value else "axis"))
        parts.append(text(left - 6, y + 4, label_text, anchor="end", cls="tick"))
    for i, (label, count) in enumerate(zip(labels, counts)):
        x = left + i * slot
        bar_h = plot_h * count / ymax
        parts.append(rect(x + 1, base - bar_h, slot - 2, bar_h, KEPT, f"{label}: {count:,}"))
        if i % every == 0:
            parts.append(text(x + slot / 2, base + 15, label, anchor="middle", cls="tick"))
    parts.append(line(left, top, left, base))
    parts.append(text(left + plot_w / 2, height - 10, x_label, anchor="middle", cls="axis-label"))
    parts.append(text(14, top + plot_h / 2, "captions", anchor="middle", cls="axis-label", rotate=-90))
    return frame(width, height, "".join(parts), title)


def line_chart(
    xs: Sequence[float],
    ys: Sequence[float],
    title: str,
    y_label: str,
    x_label: str = "step",
    color: str = KEPT,
    width: int = 340,
    height: int = 250,
) -> str:
    """One series against the step, with round ticks on both axes and a dot per point when there are few."""
    left, right, top, bottom_pad = 70, 14, 26, 46
    plot_w, plot_h = width - left - right, height - top - bottom_pad
    lo, hi = min(ys), max(ys)
    if hi - lo < 1e-12 * max(abs(hi), 1.0):
        lo, hi = lo - max(abs(lo) * 0.1, 1e-3), hi + max(abs(hi) * 0.1, 1e-3)
    y_ticks = ticks(lo, hi, 4)
    x_ticks = ticks(min(0.0, min(xs)), max(xs), 5)
    y0, y1, x0, x1 = y_ticks[0], y_ticks[-1], x_ticks[0], x_ticks[-1]

    def px(x: float, y: float) -> tuple[float, float]:
        return left + plot_w * (x - x0) / (x1 - x0), top + plot_h * (1 - (y - y0) / (y1 - y0))

    parts = [text(left, 16, title, cls="chart-title")]
    for value, label_text in zip(y_ticks, tick_labels(y_ticks)):
        _, y = px(x0, value)
        parts.append(line(left, y, left + plot_w, y, "grid"))
        parts.append(text(left - 6, y + 4, label_text, anchor="end", cls="tick"))
    for value, label_text in zip(x_ticks, tick_labels(x_ticks)):
        x, _ = px(value, y0)
        parts.append(line(x, top + plot_h, x, top + plot_h + 4))
        parts.append(text(x, top + plot_h + 17, label_text, anchor="middle", cls="tick"))
    parts.append(line(left, top, left, top + plot_h))
    parts.append(line(left, top + plot_h, left + plot_w, top + plot_h))
    points = [px(x, y) for x, y in zip(xs, ys)]
    parts.append(polyline(points, color))
    if len(points) <= 40:
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{color}"/>' for x, y in points]
    parts.append(text(left + plot_w / 2, height - 8, x_label, anchor="middle", cls="axis-label"))
    parts.append(text(14, top + plot_h / 2, y_label, anchor="middle", cls="axis-label", rotate=-90))
    return frame(width, height, "".join(parts), title)
