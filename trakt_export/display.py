"""Rich progress display for terminals: one bar per endpoint (pages done/total) on stderr."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn


class RichObserver:
    """Implements progress.Observer with a live rich display; call close() when done."""

    def __init__(self) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("pages"),
            console=Console(stderr=True),
            transient=True,
        )
        self._tasks: dict[str, TaskID] = {}
        self._progress.start()

    def start(self, endpoint: str, total_pages: int) -> None:
        self._tasks[endpoint] = self._progress.add_task(endpoint, total=total_pages)

    def advance(self, endpoint: str, pages: int = 1) -> None:
        task = self._tasks.get(endpoint)
        if task is not None:
            self._progress.advance(task, pages)

    def retrying(self, attempt: int, wait: float, reason: str) -> None:
        self._progress.console.print(
            f"retrying ({reason}); attempt {attempt}, waiting {wait:.1f} s"
        )

    def paused(self, until: float, reason: str) -> None:
        return None  # the wait line of SPEC §1 is issue 16's

    def close(self) -> None:
        self._progress.stop()
