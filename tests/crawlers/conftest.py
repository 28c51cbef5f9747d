"""Crawler test fixtures: a guard that makes any non-loopback connection impossible, a mini-site,
and the helpers the crawl tests share (options for a loopback site, its page log, a resolver).
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crawlers.crawl_state import CRAWL_DIR, PAGES
from crawlers.html_crawl_options import CrawlOptions
from tests.crawlers.mini_site import MiniSite


class ConnectGuard:
    """Records every connect() of this process; refuses (never attempts) non-loopback ones."""

    def __init__(self) -> None:
        self.attempts: list[tuple[str, int]] = []
        self.refused: list[tuple[str, int]] = []


@pytest.fixture(autouse=True)
def connect_guard(monkeypatch: pytest.MonkeyPatch) -> ConnectGuard:
    """Tests may only ever reach 127.0.0.0/8 or ::1; anything else fails before a packet leaves."""
    guard = ConnectGuard()
    real_connect = socket.socket.connect

    def checked_connect(sock: socket.socket, address):  # noqa: ANN001 - mirrors socket.connect
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host, port = address[0], address[1]
            guard.attempts.append((host, port))
            if not ipaddress.ip_address(host.split("%")[0]).is_loopback:
                guard.refused.append((host, port))
                raise ConnectionRefusedError(f"test guard: refusing to connect to {host}:{port}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", checked_connect)
    return guard


@pytest.fixture
def mini_site() -> Iterator[MiniSite]:
    """The test web site on an ephemeral 127.0.0.1 port (see mini_site.py for its pages)."""
    site = MiniSite()
    try:
        yield site
    finally:
        site.close()


def literal_resolver(calls: list[str] | None = None):
    """A resolver for tests: IP literals resolve to themselves, names never resolve (no DNS)."""

    def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            raise OSError(f"test resolver: no DNS for {host}") from None

    return resolve


def read_parts(directory: Path) -> pa.Table:
    """All ``part-*.parquet`` files of a manifest (or its rejects) directory as one table."""
    parts = sorted(directory.glob("part-*.parquet"))
    return pa.concat_tables([pq.read_table(p) for p in parts], promote_options="permissive")


def site_crawl_options(url: str, **settings) -> CrawlOptions:
    """Crawl options for a site on loopback: seeded at ``url``, a contact, no delay, 8 fetches at a time."""
    defaults = dict(seeds=(url,), contact="tests@example.org", delay=0.0, concurrency=8, per_host_concurrency=8)
    return CrawlOptions(**(defaults | settings))


def page_log(out: Path) -> dict[str, dict]:
    """A finished crawl's page log (``pages.jsonl``), by URL."""
    lines = (out / CRAWL_DIR / PAGES).read_text(encoding="utf-8").splitlines()
    return {json.loads(line)["url"]: json.loads(line) for line in lines}
