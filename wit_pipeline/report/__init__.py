"""``wit report``: one self-contained HTML page about a demo, build, shard, manifest or run directory.

Funnel, caption languages and lengths, per-query counts before and after balancing, a grid of
sample thumbnails with captions, example rejects per reason, training curves and the evaluation
table; inline SVG charts and ``data:`` images, nothing fetched, every text escaped.
"""

from __future__ import annotations

from pathlib import Path

from wit_pipeline.atomic_files import write_text
from wit_pipeline.report.data import SECTIONS, ReportData, ReportOptions, gather
from wit_pipeline.report.page import render_report

REPORT_FILE = "report.html"


def make_report(
    path: str | Path, out: str | Path | None = None, options: ReportOptions | None = None
) -> tuple[Path, ReportData]:
    """Gather what ``path`` holds and write the page (default ``path/report.html``); the file and the data."""
    data = gather(path, options)
    target = Path(out) if out is not None else Path(path) / REPORT_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text(target, render_report(data))
    return target, data


def write_report(path: str | Path, out: str | Path | None = None, options: ReportOptions | None = None) -> Path:
    """Write the report of ``path`` (default ``path/report.html``) and return where it is."""
    return make_report(path, out, options)[0]


__all__ = [
    "REPORT_FILE",
    "SECTIONS",
    "ReportData",
    "ReportOptions",
    "gather",
    "make_report",
    "render_report",
    "write_report",
]
