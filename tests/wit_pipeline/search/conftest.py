"""One torch thread per test and the session's trained CLIP run (shared with the embed tests)."""

from tests.wit_pipeline.embed.conftest import clip_run, single_thread

__all__ = ["clip_run", "single_thread"]
