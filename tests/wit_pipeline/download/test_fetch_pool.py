"""FetchPool hands back completions as they finish; the shard loop still writes in row order."""

from __future__ import annotations

import threading
import time

import pytest

from wit_pipeline.download.fetch_pool import FetchPool


def test_completions_come_back_in_finishing_order_not_submission_order() -> None:
    release = threading.Event()

    def work(index: int) -> str:
        if index == 0:
            release.wait(5)
        return f"row {index}"

    with FetchPool(work, threads=4, name="t") as pool:
        for index in range(4):
            pool.submit(index)
        first = [pool.next_done(timeout=5) for _ in range(3)]
        assert sorted(first) == [(1, "row 1"), (2, "row 2"), (3, "row 3")]  # row 0 is still held up
        assert pool.next_done(timeout=0.05) is None and pool.in_flight == 1
        release.set()
        assert pool.next_done(timeout=5) == (0, "row 0")
        assert pool.in_flight == 0


def test_an_exception_in_work_is_raised_where_it_is_collected() -> None:
    def work(index: int) -> int:
        raise ValueError(f"bad row {index}")

    with FetchPool(work, threads=1, name="t") as pool:
        pool.submit(7)
        with pytest.raises(ValueError, match="bad row 7"):
            pool.next_done(timeout=5)


def test_close_drops_queued_rows_and_lets_threads_end() -> None:
    started: list[int] = []

    def work(index: int) -> int:
        started.append(index)
        time.sleep(0.2)
        return index

    pool = FetchPool(work, threads=1, name="t")
    for index in range(5):
        pool.submit(index)
    time.sleep(0.05)
    pool.close()
    time.sleep(0.5)
    assert started == [0]
    assert not any(t.is_alive() for t in pool._threads)
