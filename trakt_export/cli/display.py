"""Rich progress display for terminals (stderr): one bar per endpoint (pages done/total, page 1
counted on its bar), one for per-film requests (`people`), and a visible "waiting for Trakt's
rate limit until HH:MM:SS" line while the limiter or a 429 pauses the run (SPEC §1)."""

from __future__ import annotations

import io
import time
from collections import Counter
from collections.abc import Callable

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
)
from rich.text import Text

UNITS = {"people": "films"}  # per-film requests count films, listings count pages


class _Bar(ProgressColumn):
    """A bar, except on the wait line (text only)."""

    def __init__(self) -> None:
        super().__init__()
        self._bar = BarColumn()

    def render(self, task: Task) -> RenderableType:
        return Text("") if task.fields.get("wait") else self._bar.render(task)


class _Count(MofNCompleteColumn):
    def render(self, task: Task) -> Text:
        return Text("") if task.fields.get("wait") else super().render(task)


class RichObserver:
    """Implements progress.Observer with a live rich display; call close() when done."""

    def __init__(
        self,
        console: Console | None = None,
        *,
        auto_refresh: bool = True,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            _Bar(),
            _Count(),
            TextColumn("{task.fields[unit]}"),
            console=console or Console(stderr=True),
            transient=True,
            auto_refresh=auto_refresh,
        )
        self._tasks: dict[str, TaskID] = {}
        self._early: Counter[str] = Counter()  # pages done before their endpoint's start()
        self._wait: TaskID | None = None
        self._wait_until = 0.0
        self._wall = wall
        self._progress.start()

    def start(self, endpoint: str, total_pages: int) -> None:
        self._end_wait_if_over()
        done = self._early.pop(endpoint, 0)
        task = self._tasks.get(endpoint)
        if task is None:  # page 1 (advanced before its total was known) counts on the bar
            unit = UNITS.get(endpoint, "pages")
            self._tasks[endpoint] = self._progress.add_task(
                endpoint, total=total_pages, completed=done, unit=unit, wait=False
            )
        else:  # read again (a changed snapshot): the same bar starts over
            self._progress.reset(task, total=total_pages, completed=done)

    def advance(self, endpoint: str, pages: int = 1) -> None:
        self._end_wait_if_over()
        task = self._tasks.get(endpoint)
        if task is None:
            self._early[endpoint] += pages
        else:
            self._progress.advance(task, pages)

    def retrying(self, attempt: int, wait: float, reason: str) -> None:
        # SPEC §1: without -v retries are silent (the summary counts them); with -v the
        # transport logs each one, so the display adds nothing either.
        return None

    def paused(self, until: float, reason: str) -> None:
        if until <= self._wait_until:
            return
        self._wait_until = until
        moment = time.strftime("%H:%M:%S", time.localtime(until))
        text = f"waiting for Trakt's rate limit until {moment}"
        if self._wait is None:
            self._wait = self._progress.add_task(text, total=None, unit="", wait=True)
        else:
            self._progress.update(self._wait, description=text)
        self._progress.refresh()

    def _end_wait_if_over(self) -> None:
        if self._wait is not None and self._wall() >= self._wait_until:
            self._progress.remove_task(self._wait)
            self._wait = None

    def snapshot(self, width: int = 100) -> str:
        """The display as it is now, as plain text (for tests and screen captures)."""
        console = Console(record=True, width=width, file=io.StringIO(), color_system=None)
        console.print(self._progress.get_renderable())
        return console.export_text()

    def close(self) -> None:
        self._progress.stop()
