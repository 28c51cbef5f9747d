"""Politeness towards one host, shared by the crawler and the image downloader.

``HostSchedule`` keeps, per host, the requests in flight, the earliest time the next one may
start, and the spacing between starts (a configured delay, raised by robots.txt
``Crawl-delay`` up to a cap, pushed back by a 429/503 ``Retry-After``). The crawler's event loop
asks it without blocking; the downloader's fetch threads go through ``HostGate``, which waits
on the same schedule. ``retry_after`` reads the header (seconds or an HTTP date).
"""

from __future__ import annotations

import email.utils
import math
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

# Statuses that ask a client to slow down; without a usable Retry-After we wait this long.
BACKOFF_STATUSES = (429, 503)
DEFAULT_BACKOFF = 1.0


class HostSchedule:
    """Per-host slots and start times (``time.monotonic`` seconds). Not thread-safe: callers serialise."""

    def __init__(self, per_host: int, delay: float = 0.0) -> None:
        self.per_host = per_host
        self.delay = delay
        self.in_flight: Counter = Counter()
        self.next_time: dict[str, float] = {}
        self.host_delay: dict[str, float] = {}

    def wait_for(self, host: str, now: float) -> float | None:
        """Seconds until ``host`` may take a new request (0: now); None while all its slots are busy."""
        if self.in_flight[host] >= self.per_host:
            return None
        return max(0.0, self.next_time.get(host, 0.0) - now)

    def start(self, host: str, now: float) -> None:
        """A request to ``host`` starts: it takes a slot, and the next may start one delay later."""
        self.in_flight[host] += 1
        self.next_time[host] = now + self.host_delay.get(host, self.delay)

    def finish(self, host: str, now: float, delay: float | None = None) -> None:
        """A request ended; ``delay`` (if given) becomes the host's spacing, counted from now."""
        self.in_flight[host] -= 1
        if delay is not None:
            self.host_delay[host] = delay
        spacing = self.host_delay.get(host, self.delay)
        self.next_time[host] = max(self.next_time.get(host, 0.0), now + spacing)

    def back_off(self, host: str, now: float, seconds: float) -> None:
        """No new request to ``host`` for ``seconds`` (a 429/503 answer)."""
        self.next_time[host] = max(self.next_time.get(host, 0.0), now + seconds)


class HostGate:
    """``HostSchedule`` for threads: ``slot(host, deadline)`` waits its turn, or gives up at the deadline."""

    def __init__(self, per_host: int, delay: float = 0.0) -> None:
        self.schedule = HostSchedule(per_host, delay)
        self._cond = threading.Condition()

    @contextmanager
    def slot(self, host: str, deadline: float) -> Iterator[bool]:
        """Yield True holding a slot of ``host``, or False if none can be had before ``deadline``."""
        got = self._acquire(host, deadline)
        try:
            yield got
        finally:
            if got:
                with self._cond:
                    self.schedule.finish(host, time.monotonic())
                    self._cond.notify_all()

    def _acquire(self, host: str, deadline: float) -> bool:
        with self._cond:
            while True:
                now = time.monotonic()
                wait = self.schedule.wait_for(host, now)
                if wait == 0.0:
                    self.schedule.start(host, now)
                    return True
                if now >= deadline or (wait is not None and now + wait >= deadline):
                    return False
                self._cond.wait(deadline - now if wait is None else wait)

    def back_off(self, host: str, seconds: float) -> None:
        """No new request to ``host`` for ``seconds``; threads already waiting wait longer."""
        with self._cond:
            self.schedule.back_off(host, time.monotonic(), seconds)


def retry_after(value: str | None, cap: float, now: float | None = None) -> float:
    """Seconds a ``Retry-After`` value asks for, within ``[0, cap]``; ``DEFAULT_BACKOFF`` if absent or unreadable."""
    if value is None or not value.strip():
        return min(DEFAULT_BACKOFF, cap)
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return min(DEFAULT_BACKOFF, cap)
        seconds = when.timestamp() - (time.time() if now is None else now)
    if math.isnan(seconds):
        return min(DEFAULT_BACKOFF, cap)
    return min(max(0.0, seconds), cap)
