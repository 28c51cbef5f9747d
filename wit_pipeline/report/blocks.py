"""Small HTML pieces the report's sections share: tables, notes, sections; every text escaped here."""

from __future__ import annotations

from collections.abc import Sequence

from wit_pipeline.report.svg import esc


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], numeric: Sequence[int] = (), cls: str = "") -> str:
    """An HTML table; columns whose index is in ``numeric`` are right-aligned. Cells are escaped."""
    klass = f' class="{esc(cls)}"' if cls else ""
    head = "".join(
        f'<th class="num">{esc(h)}</th>' if i in numeric else f"<th>{esc(h)}</th>" for i, h in enumerate(headers)
    )
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{esc(cell)}</td>' if i in numeric else f"<td>{esc(cell)}</td>"
            for i, cell in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table{klass}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def note(content: str, cls: str = "note") -> str:
    """A paragraph of escaped text."""
    return f'<p class="{esc(cls)}">{esc(content)}</p>'


def absent(reason: str) -> str:
    """The box a section shows when its data is missing, saying why."""
    return f'<p class="absent"><strong>Not available:</strong> {esc(reason)}</p>'


def section(section_id: str, title: str, body: str, present: bool = True) -> str:
    """One ``<section>`` with its id (the page's table of contents links to it) and heading."""
    state = "present" if present else "absent"
    return (
        f'<section id="{esc(section_id)}" data-state="{state}"><h2>{esc(title)}</h2>'
        f'<div class="section-body">{body}</div></section>'
    )


def fmt_count(value: object) -> str:
    """Integers with thousands separators; anything else as text."""
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
