"""The crawl's persisted state: seen set, frontier, page log, torn lines, settings check."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.crawl_state import CRAWL_DIR, FRONTIER, CrawlState, FrontierItem, page_index, read_pages
from wit_pipeline.errors import WitError


def test_state_survives_reopening(tmp_path: Path) -> None:
    state = CrawlState(tmp_path, {"v": 1}, ["http://s/"])
    assert [i.url for i in state.pending()] == ["http://s/"]
    new = state.discover([FrontierItem("http://s/a", 1), FrontierItem("http://s/", 1), FrontierItem("http://s/b", 1)])
    assert [i.url for i in new] == ["http://s/a", "http://s/b"]
    state.record({"url": "http://s/", "fetched": True, "rows": []})
    state.record({"url": "http://s/a", "fetched": False, "rows": []})
    state.close()
    with (tmp_path / CRAWL_DIR / FRONTIER).open("a") as fh:
        fh.write('{"url": "http://s/tor')
    again = CrawlState(tmp_path, {"v": 1}, ["http://s/"])
    assert [i.url for i in again.pending()] == ["http://s/b"]
    assert again.pages_fetched == 1 and not again.finished
    again.discover([FrontierItem("http://s/c", 2, ("http://s/b",))])
    again.finish()
    assert CrawlState(tmp_path, {"v": 1}, []).finished
    assert [i.chain for i in CrawlState(tmp_path, {"v": 1}, []).seen.values()][-1] == ("http://s/b",)
    index = page_index(again.pages_path)
    assert [url for _, url, *_ in index] == ["http://s/", "http://s/a"]
    spans = [(offset, length) for *_, offset, length, _ in index]
    assert [p["url"] for p in read_pages(again.pages_path, reversed(spans))] == ["http://s/a", "http://s/"]


def test_other_settings_are_refused(tmp_path: Path) -> None:
    CrawlState(tmp_path, {"v": 1}, []).close()
    with pytest.raises(WitError, match="different settings"):
        CrawlState(tmp_path, {"v": 2}, [])
