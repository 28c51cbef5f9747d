"""The local cluster's worker settings and the worker heap freeze (both measured on `wit download`)."""

from __future__ import annotations

import gc
import os
import signal
import time

import dask

from wit_pipeline.runtime.worker_heap import freeze_worker_heap


def _worker_settings() -> tuple[str | None, bool, str]:
    return (
        os.environ.get("MALLOC_TRIM_THRESHOLD_"),
        dask.config.get("distributed.worker.profile.enabled"),
        dask.config.get("distributed.admin.tick.interval"),
    )


def test_local_workers_keep_glibc_malloc_defaults_no_profiler_slow_ticks(dask_client) -> None:
    assert set(dask_client.run(_worker_settings).values()) == {(None, False, "1s")}


def test_a_restarted_worker_gets_the_same_settings() -> None:
    from wit_pipeline.runtime import open_client

    with open_client(workers=1, quiet=True) as client:
        (pid,) = client.run(os.getpid).values()
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 60
        pids: set = {pid}
        while time.monotonic() < deadline and pids in (set(), {pid}):
            time.sleep(0.2)
            pids = set(client.run(os.getpid, on_error="ignore").values())
        assert pids not in (set(), {pid})
        assert set(client.run(_worker_settings).values()) == {(None, False, "1s")}


def _freeze_twice_around_a_dead_cycle() -> tuple[int, bool]:
    import weakref

    freeze_worker_heap()
    frozen = gc.get_freeze_count()

    class Node:
        pass

    node = Node()
    node.self = node
    ref = weakref.ref(node)
    del node
    freeze_worker_heap()
    return frozen, ref() is None


def test_worker_heap_is_frozen_but_dead_cycles_are_not(dask_client) -> None:
    frozen, cycle_collected = dask_client.submit(_freeze_twice_around_a_dead_cycle, pure=False).result()
    assert frozen > 1000  # the modules a task imported
    assert cycle_collected


def test_freeze_does_nothing_outside_a_worker() -> None:
    before = gc.get_freeze_count()
    freeze_worker_heap()
    assert gc.get_freeze_count() == before


def _dashboard_hosts(client) -> set[str]:
    server = client.cluster.scheduler.http_server
    return {sock.getsockname()[0] for sock in server._sockets.values()}


def test_the_dashboard_listens_on_loopback_unless_asked(capsys) -> None:
    """Issue 19 item 17: the dashboard is not exposed on every interface by default, and the banner says so."""
    import pytest

    from wit_pipeline.errors import WitError
    from wit_pipeline.runtime import open_client

    with open_client(workers=1) as client:
        assert _dashboard_hosts(client) == {"127.0.0.1"}
    banner = capsys.readouterr().err
    assert "dashboard (127.0.0.1 only; --dashboard to change): http://127.0.0.1:" in banner
    with open_client(workers=1, dashboard="0.0.0.0:0") as client:
        assert _dashboard_hosts(client) == {"0.0.0.0"}
    assert "dashboard (all interfaces; --dashboard to change)" in capsys.readouterr().err
    with pytest.raises(WitError, match="--dashboard: 'localhost' is not HOST:PORT"):
        with open_client(workers=1, dashboard="localhost"):
            pass
