"""robots.txt (RFC 9309): parse, match, and a per-origin cache that fetches each file once.

Rules come from the groups naming our product token (case-insensitive), else from ``*``.
The longest matching pattern wins (``*`` and ``$`` supported), ``Allow`` winning a tie.
Fetch outcomes follow the RFC: 2xx is parsed, 4xx means no restrictions, 5xx or an
unreachable server means everything is disallowed. ``Crawl-delay`` of the chosen group is
kept (non-standard, widely used) and honoured by the crawler.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from crawlers.http_fetch import Fetcher

MAX_ROBOTS_BYTES = 512 * 1024
MAX_ROBOTS_REDIRECTS = 5


@dataclass(frozen=True)
class RobotsRules:
    """Allow/disallow patterns of the group that applies to us, and its crawl delay."""

    rules: tuple[tuple[bool, int, re.Pattern], ...] = ()  # (allow, pattern length, matcher)
    crawl_delay: float | None = None
    disallow_all: bool = False
    unreachable: str | None = None  # why robots.txt could not be had, when that disallows all

    def allowed(self, url: str) -> bool:
        """Whether ``url`` (absolute, or a path with query) may be fetched."""
        if self.disallow_all:
            return False
        parts = urlsplit(url)
        path = _normalize(parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if path == "/robots.txt":
            return True
        best: tuple[int, bool] | None = None
        for allow, length, pattern in self.rules:
            if pattern.match(path) and (best is None or (length, allow) > best):
                best = (length, allow)
        return True if best is None else best[1]


ALLOW_ALL = RobotsRules()


def parse_robots(text: str, agent: str) -> RobotsRules:
    """The rules of ``text`` that apply to product token ``agent``."""
    groups: list[tuple[list[str], list[tuple[bool, str]], list[float]]] = []
    in_agents = False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if key == "user-agent":
            if not in_agents:
                groups.append(([], [], []))
                in_agents = True
            groups[-1][0].append(value.lower())
            continue
        in_agents = False
        if not groups:
            continue
        if key in ("allow", "disallow") and value:
            groups[-1][1].append((key == "allow", _normalize(value)))
        elif key == "crawl-delay":
            try:
                groups[-1][2].append(max(0.0, float(value)))
            except ValueError:
                pass
    token = agent.lower()
    mine = [g for g in groups if any(_agent_matches(a, token) for a in g[0])]
    chosen = mine or [g for g in groups if "*" in g[0]]
    rules = tuple((allow, len(p), _compile(p)) for g in chosen for allow, p in g[1])
    delays = [d for g in chosen for d in g[2]]
    return RobotsRules(rules=rules, crawl_delay=max(delays) if delays else None)


def _agent_matches(declared: str, token: str) -> bool:
    return declared != "*" and declared.split("/")[0].strip() == token


def _normalize(path: str) -> str:
    """Percent-encode what needs it and decode what need not be, so both sides compare alike."""
    return quote(unquote(path), safe="/?=&;:@!$'()*+,%-._~[]")


def _compile(pattern: str) -> re.Pattern:
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    regex = ".*".join(re.escape(piece) for piece in body.split("*"))
    return re.compile(regex + ("$" if anchored else ""), re.DOTALL)


class RobotsCache:
    """robots.txt rules per origin (scheme://host:port), each fetched once through ``fetcher``."""

    def __init__(self, fetcher: Fetcher, agent: str) -> None:
        self.fetcher = fetcher
        self.agent = agent
        self._rules: dict[str, RobotsRules] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def rules_for(self, origin: str) -> tuple[RobotsRules, bool]:
        """The rules of ``origin`` and whether this call fetched them (a request was made)."""
        with self._guard:
            lock = self._locks.setdefault(origin, threading.Lock())
        with lock:
            if origin in self._rules:
                return self._rules[origin], False
            self._rules[origin] = self._fetch(origin)
            return self._rules[origin], True

    def _fetch(self, origin: str) -> RobotsRules:
        url = f"{origin}/robots.txt"
        for _ in range(MAX_ROBOTS_REDIRECTS + 1):
            result = self.fetcher.fetch(url)
            if result.location:
                url = result.location
                continue
            if result.error or result.status is None or result.status >= 500:
                return RobotsRules(disallow_all=True, unreachable=result.error or f"http_{result.status}")
            if result.status >= 400:
                return ALLOW_ALL
            return parse_robots((result.body or b"")[:MAX_ROBOTS_BYTES].decode("utf-8", "replace"), self.agent)
        return ALLOW_ALL
