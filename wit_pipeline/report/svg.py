"""SVG building blocks for the report's charts: escaping, axis ticks, number formats, text and the frame.

Every chart is a string of inline SVG; every piece of text that reaches it goes through ``esc``
(captions, queries and reasons come from the web or from user files).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

FONT_SIZE = 12
CHAR_WIDTH = 6.8  # average glyph width of the 12 px sans-serif the page uses, for layout estimates


def esc(value: object) -> str:
    """HTML/SVG-escape any value (quotes included), so text can never become markup."""
    return html.escape(str(value), quote=True)


def nice_step(span: float, target: int) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) that cuts ``span`` into about ``target`` parts."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / max(target, 1)
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def ticks(lo: float, hi: float, target: int = 5) -> list[float]:
    """Round tick values covering ``[lo, hi]`` (the first at or below lo, the last at or above hi)."""
    if hi <= lo:
        hi = lo + 1.0
    step = nice_step(hi - lo, target)
    start = math.floor(lo / step + 1e-9) * step
    values = []
    value = start
    while value < hi + step * 0.999:
        values.append(round(value, 12))
        value += step
    return values


def fmt_number(value: float) -> str:
    """Short human form: integers with thousands separators, other numbers with 3 significant digits."""
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15):
        return f"{int(value):,}"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e6):
        mantissa, exponent = f"{value:.2e}".split("e")
        return f"{float(mantissa):g}e{int(exponent)}"
    return f"{value:.3g}"


def tick_labels(values: Sequence[float]) -> list[str]:
    """Labels for a row of round ticks with just the decimals they need (14.25 stays 14.25, not 14.2)."""
    if all(float(v).is_integer() for v in values) or any(0 < abs(v) < 1e-3 for v in values):
        return [fmt_number(v) for v in values]
    decimals = next(d for d in range(1, 10) if all(abs(round(v, d) - v) < 1e-9 for v in values))
    return [f"{v:,.{decimals}f}" for v in values]


def truncate(label: str, max_chars: int) -> str:
    """``label`` cut to ``max_chars`` with an ellipsis (the full text goes in a <title> tooltip)."""
    return label if len(label) <= max_chars else label[: max(max_chars - 1, 1)] + "…"


def text_width(label: str, size: int = FONT_SIZE) -> float:
    """Estimated rendered width of ``label`` in pixels."""
    return len(label) * CHAR_WIDTH * size / FONT_SIZE


def text(
    x: float,
    y: float,
    content: str,
    anchor: str = "start",
    size: int = FONT_SIZE,
    cls: str = "",
    rotate: float | None = None,
    tooltip: str | None = None,
) -> str:
    """One <text> element; ``content`` and ``tooltip`` are escaped here."""
    transform = f' transform="rotate({rotate:g} {x:.1f} {y:.1f})"' if rotate is not None else ""
    klass = f' class="{esc(cls)}"' if cls else ""
    title = f"<title>{esc(tooltip)}</title>" if tooltip else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}"{klass}{transform}>'
        f"{title}{esc(content)}</text>"
    )


def rect(x: float, y: float, width: float, height: float, fill: str, tooltip: str | None = None) -> str:
    """A filled rectangle with an optional hover tooltip."""
    title = f"<title>{esc(tooltip)}</title>" if tooltip else ""
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0):.1f}" height="{max(height, 0):.1f}" '
        f'fill="{esc(fill)}">{title}</rect>'
    )


def line(x1: float, y1: float, x2: float, y2: float, cls: str = "axis") -> str:
    """A straight line styled by the page's CSS class ``cls`` (axis, grid, cap)."""
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" class="{esc(cls)}"/>'


def polyline(points: Sequence[tuple[float, float]], color: str) -> str:
    """A data line through ``points`` (pixel coordinates)."""
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return f'<polyline points="{coords}" fill="none" stroke="{esc(color)}" stroke-width="2"/>'


def legend(x: float, y: float, entries: Sequence[tuple[str, str]]) -> str:
    """A one-row legend of (colour, label) swatches starting at (x, y)."""
    parts = []
    for color, label in entries:
        parts.append(rect(x, y - 9, 12, 12, color))
        parts.append(text(x + 17, y + 1, label))
        x += 17 + text_width(label) + 18
    return "".join(parts)


def frame(width: float, height: float, body: str, title: str) -> str:
    """The outer <svg> element: fixed viewBox, scales down to its container, titled for screen readers."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="{esc(title)}">'
        f"<title>{esc(title)}</title>{body}</svg>"
    )
