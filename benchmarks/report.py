"""Write one benchmark's section of benchmarks/BENCHMARKS.md, leaving the others alone."""

from __future__ import annotations

import platform
import re
from pathlib import Path

BENCHMARKS_MD = Path(__file__).with_name("BENCHMARKS.md")
HEADER = "# Benchmarks\n\nRatios measured side by side in the same script (`make bench` runs them all).\n"


def update_section(title: str, body: str, path: Path = BENCHMARKS_MD) -> None:
    """Replace (or append) the ``## title`` section of BENCHMARKS.md with ``body``."""
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    machine = f"_Machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}._"
    section = f"## {title}\n\n{body.strip()}\n\n{machine}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def print_section(title: str, body: str, *, write: bool = True, path: Path = BENCHMARKS_MD) -> None:
    """Print a benchmark's section and, when ``write``, put it into BENCHMARKS.md: how each benchmark ends."""
    print(body)
    if write:
        update_section(title, body, path)
