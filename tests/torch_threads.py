"""One torch thread per test: the suite shares two cores, and tiny models gain nothing from more.

Imported by the conftest of each folder whose tests run models (an imported fixture is registered).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def single_thread() -> Iterator[None]:
    """Run the test with one torch thread, then restore the count."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
