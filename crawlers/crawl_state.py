"""Resumable state of an HTML crawl, persisted under ``OUT/_crawl/`` as append-only logs.

::

    _crawl/settings.json    the crawl's settings; resuming with different ones is refused
    _crawl/frontier.jsonl   every URL ever queued, in discovery order (the seen set)
    _crawl/pages.jsonl      one line per URL handled: outcome, image rows, counters
    _crawl/_DONE            the crawl is over (frontier empty or page budget spent)

The frontier is ``frontier.jsonl`` minus the URLs in ``pages.jsonl``. A page's newly found
links are appended before its own line, so a crawl killed at any point resumes without
refetching a handled page and without losing a queued one (a page killed mid-way is
fetched again, and its links are already seen). A torn last line is cut off on reopen.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from wit_pipeline.atomic_files import write_json, write_text
from wit_pipeline.errors import WitError

CRAWL_DIR = "_crawl"
SETTINGS = "settings.json"
FRONTIER = "frontier.jsonl"
PAGES = "pages.jsonl"
DONE = "_DONE"


@dataclass(frozen=True)
class FrontierItem:
    """A URL to visit, its link depth from the seeds, and the redirect hops that led to it."""

    url: str
    depth: int
    chain: tuple[str, ...] = field(default=())


class CrawlState:
    """The seen set, the frontier and the page log of one crawl directory."""

    def __init__(self, out_dir: str | Path, settings: dict, seeds: list[str]) -> None:
        self.dir = Path(out_dir) / CRAWL_DIR
        self.dir.mkdir(parents=True, exist_ok=True)
        settings = json.loads(json.dumps(settings))
        path = self.dir / SETTINGS
        if path.exists():
            if json.loads(path.read_text(encoding="utf-8")) != settings:
                raise WitError(
                    f"{self.dir.parent}: holds a crawl with different settings; use the same ones to resume, "
                    "or choose another --out"
                )
        else:
            write_json(path, settings)
        self.seen: dict[str, FrontierItem] = {}
        for line in _read_lines(self.dir / FRONTIER):
            item = FrontierItem(line["url"], line["depth"], tuple(line.get("chain", ())))
            self.seen.setdefault(item.url, item)
        self.handled: set[str] = set()
        self.pages_fetched = 0
        for line in _read_lines(self.dir / PAGES):
            self.handled.add(line["url"])
            self.pages_fetched += bool(line.get("fetched"))
        self._frontier_fh: IO[str] = (self.dir / FRONTIER).open("a", encoding="utf-8")
        self._pages_fh: IO[str] = (self.dir / PAGES).open("a", encoding="utf-8")
        self.discover([FrontierItem(url, 0) for url in seeds])

    @property
    def finished(self) -> bool:
        """Whether an earlier run completed this crawl."""
        return (self.dir / DONE).exists()

    @property
    def pages_path(self) -> Path:
        """The page log (one JSON line per handled URL), which the manifest is written from."""
        return self.dir / PAGES

    def pending(self) -> list[FrontierItem]:
        """Queued URLs not handled yet, in discovery order."""
        return [item for url, item in self.seen.items() if url not in self.handled]

    def discover(self, items: list[FrontierItem]) -> list[FrontierItem]:
        """Queue the items whose URL was never seen; returns those, already persisted."""
        new = []
        for item in items:
            if item.url not in self.seen:
                self.seen[item.url] = item
                new.append(item)
        if new:
            self._frontier_fh.writelines(
                json.dumps({"url": i.url, "depth": i.depth, "chain": list(i.chain)}) + "\n" for i in new
            )
            self._frontier_fh.flush()
        return new

    def record(self, page: dict) -> None:
        """Persist one handled URL's outcome (a dict with at least ``url`` and ``fetched``)."""
        self._pages_fh.write(json.dumps(page, ensure_ascii=False) + "\n")
        self._pages_fh.flush()
        self.handled.add(page["url"])
        self.pages_fetched += bool(page.get("fetched"))

    def finish(self) -> None:
        """Mark the crawl complete so a rerun goes straight to writing the manifest."""
        self.close()
        write_text(self.dir / DONE, "")

    def close(self) -> None:
        """Close the log files (the state stays on disk)."""
        self._frontier_fh.close()
        self._pages_fh.close()


def page_index(path: Path) -> list[tuple[int, str, int, int, int]]:
    """``(depth, url, offset, length, rows)`` of every complete page record, in log order."""
    index, offset = [], 0
    with path.open("rb") as fh:
        for line in fh:
            if not line.endswith(b"\n"):
                break
            page = json.loads(line)
            index.append((page.get("depth", 0), page["url"], offset, len(line), len(page.get("rows", ()))))
            offset += len(line)
    return index


def read_pages(path: Path, spans: Iterable[tuple[int, int]]) -> Iterator[dict]:
    """The page records at ``(offset, length)`` spans of a page log, in the order given."""
    with path.open("rb") as fh:
        for offset, length in spans:
            fh.seek(offset)
            yield json.loads(fh.read(length))


def _read_lines(path: Path) -> list[dict]:
    """Complete JSON lines of a log; a torn last line (a killed write) is cut off the file."""
    if not path.exists():
        return []
    data = path.read_bytes()
    good = data.rfind(b"\n") + 1
    if good < len(data):
        with path.open("r+b") as fh:
            fh.truncate(good)
    return [json.loads(line) for line in data[:good].splitlines() if line.strip()]
