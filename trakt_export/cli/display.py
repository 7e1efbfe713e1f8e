"""Rich progress display for terminals (stderr): one bar per kind of data, with a plain name
(`history`, `ratings`, `lists`: all the endpoints of a kind add up on one bar, so a backup
shows a dozen bars, not 21 raw API paths at 1/1), pages done/total with page 1 counted; one bar
for the per-film requests (`directors`, in films); and a visible "waiting for Trakt's rate
limit until HH:MM:SS" line while the limiter or a 429 pauses the run (SPEC §1)."""

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

PEOPLE = "people"  # the core's name for the per-film requests (directors)
UNITS = {"directors": "films"}  # per-film requests count films, listings count pages


def plain_name(endpoint: str) -> str:
    """The kind of data an endpoint holds, as a user calls it: `/sync/history/movies` and
    `history/episodes` are `history`, `/users/me/lists/7/items` is `lists`, `people` is
    `directors`, `/users/me` alone is `profile`."""
    if endpoint == PEOPLE:
        return "directors"
    parts = [part for part in endpoint.split("?", 1)[0].split("/") if part]
    if parts[:2] == ["users", "hidden"]:  # /users/hidden/<section>: hidden items
        return "hidden"
    if parts[:1] == ["users"]:
        parts = parts[2:]  # /users/<me or name>/...
    elif parts[:1] == ["sync"]:
        parts = parts[1:]
    return parts[0].replace("_", " ") if parts else "profile"


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
        self._tasks: dict[str, TaskID] = {}  # per kind (plain name)
        self._pages: dict[str, list[int]] = {}  # per endpoint: [total, done]
        self._early: Counter[str] = Counter()  # pages done before their endpoint's start()
        self._wait: TaskID | None = None
        self._wait_until = 0.0
        self._wall = wall
        self._progress.start()

    def start(self, endpoint: str, total_pages: int) -> None:
        self._end_wait_if_over()
        # Page 1 (advanced before its total was known) counts on the bar; an endpoint read
        # again (a changed snapshot) starts over on the same bar.
        self._pages[endpoint] = [total_pages, self._early.pop(endpoint, 0)]
        self._show(plain_name(endpoint))

    def advance(self, endpoint: str, pages: int = 1) -> None:
        self._end_wait_if_over()
        counts = self._pages.get(endpoint)
        if counts is None:
            self._early[endpoint] += pages
        else:
            counts[1] += pages
            self._show(plain_name(endpoint))

    def _show(self, kind: str) -> None:
        mine = [counts for ep, counts in self._pages.items() if plain_name(ep) == kind]
        total, done = sum(c[0] for c in mine), sum(c[1] for c in mine)
        task = self._tasks.get(kind)
        if task is None:
            unit = UNITS.get(kind, "pages")
            self._tasks[kind] = self._progress.add_task(
                kind, total=total, completed=done, unit=unit, wait=False
            )
        else:
            self._progress.update(task, total=total, completed=done)

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
