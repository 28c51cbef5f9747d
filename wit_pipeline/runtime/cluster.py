"""Connect to dask: an existing cluster by address, or a LocalCluster of worker processes."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from distributed import Client, LocalCluster

from wit_pipeline.errors import WitError

SCHEDULER_ENV = "WIT_SCHEDULER"


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


@contextmanager
def open_client(scheduler: str | None = None, workers: int | None = None, quiet: bool = False) -> Iterator[Client]:
    """Yield a dask client: ``scheduler`` (or $WIT_SCHEDULER) if given, else a LocalCluster.

    The local cluster runs ``workers`` processes (default: one per core) with one thread each,
    because stages are CPU-bound Python that the GIL would serialise within one process.
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
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.CRITICAL,
    )
    client = Client(cluster)
    _announce(client, f"local dask cluster, {n} worker process(es)", quiet)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _announce(client: Client, what: str, quiet: bool) -> None:
    if quiet:
        return
    link = client.dashboard_link if _has_dashboard(client) else "unavailable"
    print(f"wit: {what}; dashboard: {link}", file=sys.stderr)


def _has_dashboard(client: Client) -> bool:
    try:
        return bool(client.scheduler_info().get("services", {}).get("dashboard"))
    except Exception:  # noqa: BLE001 - diagnostics only
        return False
