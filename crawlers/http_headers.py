"""Looking up HTTP headers kept as ``(name, value)`` pairs: names match case-insensitively, repeats are kept."""

from __future__ import annotations

from collections.abc import Iterable


def header_values(headers: Iterable[tuple[str, str]], name: str) -> list[str]:
    """Every value of header ``name`` (case-insensitive), in the order received."""
    lowered = name.lower()
    return [value for key, value in headers if key.lower() == lowered]


def first_header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    """The first value of header ``name`` (case-insensitive), or None."""
    values = header_values(headers, name)
    return values[0] if values else None
