"""Connect to dask: an existing cluster by address, or a LocalCluster of worker processes."""

from __future__ import annotations

import copy
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import dask
from distributed import Client, LocalCluster

from wit_pipeline.config import RuntimeConfig
from wit_pipeline.errors import WitError

SCHEDULER_ENV = "WIT_SCHEDULER"
# The dashboard shows the running job to whoever reaches it: loopback unless the user asks otherwise.
DEFAULT_DASHBOARD = RuntimeConfig.dashboard
# Settings of the local cluster, measured on `wit download` (benchmarks/BENCHMARKS.md):
# - dask's nannies set MALLOC_TRIM_THRESHOLD_ in each worker's environment. That switches off
#   glibc's adaptive mmap threshold, so every image-sized buffer (a decoded photo, ~0.6 MB) is
#   mmapped and unmapped again: 400 page faults and ~1.5 ms of system time per downloaded image,
#   a third of its whole cost. None leaves the variable out; workers run on glibc's defaults.
# - the statistical profiler samples the task thread every 10 ms from the worker's event loop:
#   ~6% of a download worker's CPU. The dashboard's other pages are unaffected.
# - every server (scheduler, nannies, workers) ticks its event loop every 20 ms to notice when
#   it was blocked, and samples system counters every 500 ms: an idle 2-worker cluster burnt 7%
#   of a core on it, 3% at 1 s and 2 s. Blocked-loop warnings and the dashboard's system page
#   just get coarser. The memory monitors that pause or restart a worker keep dask's interval.
CLUSTER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
}


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


@contextmanager
def open_client(
    scheduler: str | None = None,
    workers: int | None = None,
    quiet: bool = False,
    dashboard: str = DEFAULT_DASHBOARD,
) -> Iterator[Client]:
    """Yield a dask client: ``scheduler`` (or $WIT_SCHEDULER) if given, else a LocalCluster.

    The local cluster runs ``workers`` processes (default: one per core) with one thread each,
    because stages are CPU-bound Python that the GIL would serialise within one process. Its
    dashboard listens on ``dashboard`` (``HOST:PORT``; loopback by default). The scheduler's HTTP
    server always runs (without an address dask would open port 8787 on every interface).
    """
    address = scheduler or os.environ.get(SCHEDULER_ENV)
    if address:
        try:
            client = Client(address, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise WitError(f"cannot reach dask scheduler at {address} ({exc})") from None
        _announce(client, f"dask cluster {address}", quiet)
        try:
            yield client
        finally:
            client.close()
        return
    n = workers or default_workers()
    if n < 1:
        raise WitError(f"--workers must be at least 1, got {n}")
    dashboard_at = _dashboard_address(dashboard)
    with dask.config.set(CLUSTER_CONFIG):
        # The nannies get their own copy: they would otherwise share dask's nested config
        # dicts, and a worker restarted after this block would start with the defaults.
        cluster = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=dashboard_at,
            silence_logs=logging.CRITICAL,
            config=copy.deepcopy(dask.config.config),
        )
    client = Client(cluster)
    host = dashboard_at.rsplit(":", 1)[0]
    scope = "all interfaces" if host in ("", "0.0.0.0", "[::]", "::") else f"{host} only"
    _announce(client, f"local dask cluster, {n} worker process(es)", quiet, f"{scope}; --dashboard to change")
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _dashboard_address(value: str) -> str:
    """``HOST:PORT`` checked (a ``WitError`` if malformed)."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise WitError(f"--dashboard: '{value}' is not HOST:PORT (e.g. 127.0.0.1:8787 or 0.0.0.0:8787)")
    return value.strip()


def _announce(client: Client, what: str, quiet: bool, scope: str = "") -> None:
    if quiet:
        return
    link = client.dashboard_link if _has_dashboard(client) else "unavailable"
    print(f"wit: {what}; dashboard{f' ({scope})' if scope else ''}: {link}", file=sys.stderr)


def _has_dashboard(client: Client) -> bool:
    try:
        return bool(client.scheduler_info().get("services", {}).get("dashboard"))
    except Exception:  # noqa: BLE001 - diagnostics only
        return False
