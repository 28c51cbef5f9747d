"""A progress bar for training (rich, on stderr), shown by the main process only."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class TrainProgress:
    """Steps done out of the total, elapsed/remaining time, and the last logged loss and speed."""

    def __init__(self, total: int, start: int, enabled: bool) -> None:
        self.progress: Progress | None = None
        if not enabled:
            return
        self.progress = Progress(
            TextColumn("train"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[info]}"),
            console=Console(stderr=True),
            transient=False,
        )
        self.task = self.progress.add_task("train", total=total, completed=start, info="")
        self.progress.start()

    def update(self, step: int, info: str | None = None) -> None:
        """Show ``step`` steps done; ``info`` replaces the trailing text when given."""
        if self.progress is None:
            return
        fields = {} if info is None else {"info": info}
        self.progress.update(self.task, completed=step, **fields)

    def close(self) -> None:
        """Stop redrawing (the final state stays on screen)."""
        if self.progress is not None:
            self.progress.stop()
