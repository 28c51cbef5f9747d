"""Fetch threads for one shard: rows go in by index, completed fetches come out as they finish.

img2dataset hands its shard loop each download as it completes (``imap_unordered``); waiting
for row order instead left the resizing thread idle behind any slow row. Here the shard loop
takes whatever finished first, resizes it at once and only holds it until its turn to be
written (see ``shard_task``), so a slow image no longer stalls the rest.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any


class FetchPool:
    """``threads`` daemon threads running ``work(index)`` for each submitted row index.

    Daemon threads: a fetch still blocked at the shard deadline is abandoned rather than joined
    (its own timeouts end it soon after). ``work`` should not raise; if it does, the exception
    is raised again in the thread that collects it, as a failed future would.
    """

    def __init__(self, work: Callable[[int], Any], threads: int, name: str) -> None:
        self._work = work
        self._todo: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self._done: queue.SimpleQueue[tuple[int, bool, Any]] = queue.SimpleQueue()
        self._stopped = False
        self.in_flight = 0
        self._threads = [
            threading.Thread(target=self._run, name=f"{name}-{i}", daemon=True) for i in range(max(1, threads))
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, index: int) -> None:
        """Queue row ``index`` for fetching."""
        self._todo.put(index)
        self.in_flight += 1

    def next_done(self, timeout: float) -> tuple[int, Any] | None:
        """The next completed ``(index, result)`` in completion order, or None after ``timeout`` s."""
        try:
            index, ok, value = self._done.get(timeout=timeout) if timeout > 0 else self._done.get_nowait()
        except queue.Empty:
            return None
        self.in_flight -= 1
        if not ok:
            raise value
        return index, value

    def close(self) -> None:
        """Stop taking work: queued rows are dropped, running fetches end on their own."""
        self._stopped = True
        for _ in self._threads:
            self._todo.put(None)

    def __enter__(self) -> FetchPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        while True:
            index = self._todo.get()
            if index is None or self._stopped:
                return
            try:
                self._done.put((index, True, self._work(index)))
            except BaseException as exc:  # noqa: BLE001 - handed to the collecting thread
                self._done.put((index, False, exc))
