"""Shared fixtures: a real two-process dask LocalCluster, and the fixtures folder if present."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_FIXTURES = REPO_ROOT.parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def dask_client():
    """A LocalCluster of 2 worker processes (1 thread each), shared by the session's tests."""
    from wit_pipeline.runtime import open_client

    with open_client(workers=2, quiet=True) as client:
        yield client
