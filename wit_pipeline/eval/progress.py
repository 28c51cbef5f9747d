"""Progress bars for evaluation (rich, on stderr); a disabled one costs nothing."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

Advance = Callable[[int], None]


class EvalProgress:
    """One bar per stage (``images``, ``captions``, ...); ``stage`` returns the function that advances it."""

    def __init__(self, enabled: bool) -> None:
        self.progress: Progress | None = None
        if enabled:
            self.progress = Progress(
                TextColumn("{task.description:<10}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
            )
            self.progress.start()

    def stage(self, name: str, total: int | None) -> Advance:
        """Start a bar of ``total`` units (None: unknown) and return ``advance(n)``."""
        if self.progress is None:
            return _ignore
        progress = self.progress
        task = progress.add_task(name, total=total)
        return lambda n: progress.advance(task, n)

    def close(self) -> None:
        """Stop redrawing (the final bars stay on screen)."""
        if self.progress is not None:
            self.progress.stop()


def _ignore(_: int) -> None:
    return None
