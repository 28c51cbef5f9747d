"""Shared fixtures: a two-process dask LocalCluster, a clean memory:// store, the fixtures folder if present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_FIXTURES = REPO_ROOT.parent / "shared" / "fixtures"
STRESS_ENV = "WIT_STRESS"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "stress: long variants of the reliability scenarios (RELIABILITY.md); only under `make stress`"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave stress cases out unless asked for: ``-m stress`` (``make stress``) or WIT_STRESS=1."""
    if os.environ.get(STRESS_ENV) == "1" or "stress" in (config.getoption("markexpr") or ""):
        return
    stress = [item for item in items if item.get_closest_marker("stress")]
    if stress:
        config.hook.pytest_deselected(items=stress)
        items[:] = [item for item in items if not item.get_closest_marker("stress")]


@pytest.fixture(scope="session")
def dask_client():
    """A LocalCluster of 2 worker processes (1 thread each), shared by the session's tests."""
    from wit_pipeline.runtime import open_client

    with open_client(workers=2, quiet=True) as client:
        yield client


@pytest.fixture
def memory():
    """A clean in-memory filesystem (fsspec's memory:// is one global store per process)."""
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.store.clear()
    fs.pseudo_dirs.clear()
    fs.pseudo_dirs.append("")
    yield fs
    fs.store.clear()
