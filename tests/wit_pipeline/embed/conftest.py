"""One torch thread per test (the suite shares two cores) and the session's trained CLIP run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.torch_threads import single_thread  # noqa: F401 - an autouse fixture, registered by the import
from tests.wit_pipeline.embed.helpers import shared_clip_run


@pytest.fixture(scope="session")
def clip_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_clip_run(tmp_path_factory)
