"""One torch thread per test (the suite shares two cores) and the session's trained CLIP run."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.wit_pipeline.embed.helpers import shared_clip_run


@pytest.fixture(autouse=True)
def single_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def clip_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_clip_run(tmp_path_factory)
