"""robots.txt (RFC 9309): parse, match, and a per-origin cache that fetches each file once.

Rules come from the groups naming our product token (case-insensitive), else from ``*``.
The longest matching pattern wins (``*`` and ``$`` supported), ``Allow`` winning a tie.
Patterns are matched without backtracking: the pieces between ``*`` are found left to right,
each at its first place after the previous one, which is linear in the path and the pattern
(a regex of a dozen ``.*`` took minutes on a 40-character path). A file is read up to
``MAX_ROBOTS_BYTES`` (the RFC's minimum is 500 KiB; the rest is ignored, as the RFC allows)
and at most ``MAX_ROBOTS_RULES`` rules are kept. Fetch outcomes follow the RFC: 2xx is
parsed, 4xx means no restrictions, 5xx or an unreachable server means everything is
disallowed. ``Crawl-delay`` of the chosen group is kept (non-standard, widely used; ``nan``
ignored, anything above a day read as a day) for the crawler to honour up to its own cap.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from crawlers.http_fetch import Fetcher

MAX_ROBOTS_BYTES = 512 * 1024
MAX_ROBOTS_RULES = 10_000
MAX_ROBOTS_REDIRECTS = 5
MAX_PARSED_CRAWL_DELAY = 86_400.0


@dataclass(frozen=True)
class Pattern:
    """A robots.txt path pattern: literal pieces around each ``*``, and whether ``$`` ends it."""

    pieces: tuple[str, ...]
    anchored: bool

    @classmethod
    def parse(cls, pattern: str) -> Pattern:
        anchored = pattern.endswith("$")
        return cls(tuple((pattern[:-1] if anchored else pattern).split("*")), anchored)

    def matches(self, path: str) -> bool:
        """Whether the pattern matches a prefix of ``path`` (all of it when anchored), in linear time.

        Taking each piece at its first occurrence is enough: ``*`` matches anything, so the
        earliest place for one piece leaves the most room for the rest.
        """
        first, *rest = self.pieces
        if not path.startswith(first):
            return False
        if not rest:
            return not self.anchored or len(path) == len(first)
        pos = len(first)
        *middle, last = rest
        for piece in middle:
            found = path.find(piece, pos)
            if found < 0:
                return False
            pos = found + len(piece)
        if self.anchored:
            return len(path) - len(last) >= pos and path.endswith(last)
        return path.find(last, pos) >= 0


@dataclass(frozen=True)
class RobotsRules:
    """Allow/disallow patterns of the group that applies to us, and its crawl delay."""

    rules: tuple[tuple[bool, int, Pattern], ...] = ()  # (allow, pattern length, matcher)
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
            if pattern.matches(path) and (best is None or (length, allow) > best):
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
            if len(groups[-1][1]) < MAX_ROBOTS_RULES:
                groups[-1][1].append((key == "allow", _normalize(value)))
        elif key == "crawl-delay":
            delay = _crawl_delay(value)
            if delay is not None:
                groups[-1][2].append(delay)
    token = agent.lower()
    mine = [g for g in groups if any(_agent_matches(a, token) for a in g[0])]
    chosen = mine or [g for g in groups if "*" in g[0]]
    rules = tuple((allow, len(p), Pattern.parse(p)) for g in chosen for allow, p in g[1])[:MAX_ROBOTS_RULES]
    delays = [d for g in chosen for d in g[2]]
    return RobotsRules(rules=rules, crawl_delay=max(delays) if delays else None)


def _agent_matches(declared: str, token: str) -> bool:
    return declared != "*" and declared.split("/")[0].strip() == token


def _normalize(path: str) -> str:
    """Percent-encode what needs it and decode what need not be, so both sides compare alike."""
    return quote(unquote(path), safe="/?=&;:@!$'()*+,%-._~[]")


def _crawl_delay(value: str) -> float | None:
    """A Crawl-delay value in seconds, in [0, a day]; None if it is not a number."""
    try:
        delay = float(value)
    except ValueError:
        return None
    if math.isnan(delay):
        return None
    return min(max(0.0, delay), MAX_PARSED_CRAWL_DELAY)


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
            result = self.fetcher.fetch(url, max_bytes=MAX_ROBOTS_BYTES, truncate=True)
            if result.location:
                url = result.location
                continue
            if result.error or result.status is None or result.status >= 500:
                return RobotsRules(disallow_all=True, unreachable=result.error or f"http_{result.status}")
            if result.status >= 400:
                return ALLOW_ALL
            return parse_robots((result.body or b"").decode("utf-8", "replace"), self.agent)
        return ALLOW_ALL
