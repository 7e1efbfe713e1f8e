"""A command's run, written once: the timer, the one metrics collector, the data-dir lock and
the event loop; the command's result carries `run.metrics` and `run.elapsed` to its summary.

    with lifecycle(settings, options) as run:    timer started, lock held, Metrics chosen
        data = run.read(lambda source: source.film_data(need))   API or ZIP (open_source)
        ...                                      map, write
    ExportResult(..., run.metrics, run.elapsed)  "5 HTTP requests, ..., 0.3 s."

`backup` reads the API itself (it has no offline path) through `run.loop`. `movies`,
`watchlist`, `lists` and `backup` use it; none of them sets these up itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from trakt_export.config import Settings
from trakt_export.run.session import Options, locked, open_source
from trakt_export.transport.metrics import Metrics

if TYPE_CHECKING:
    from trakt_export.sources.base import Source

T = TypeVar("T")


class Run:
    """One command's run: its options (with the run's `Metrics`), its timer."""

    def __init__(self, settings: Settings, options: Options) -> None:
        self.settings = settings
        # One collector per run: the caller's (the CLI's, for --report and -v) or a fresh one.
        self.metrics = options.metrics if options.metrics is not None else Metrics()
        self.options = dataclasses.replace(options, metrics=self.metrics)
        self.started = time.perf_counter()

    def read(self, use: Callable[[Source], Awaitable[T]]) -> T:
        """`use` over the run's source (API or ZIP, chosen by `open_source`), on one loop."""

        async def go() -> T:
            async with open_source(self.settings, self.options) as source:
                return await use(source)

        return self.loop(go())

    def loop(self, work: Coroutine[Any, Any, T]) -> T:
        """The run's one event loop (`backup` reads the API itself: it has no offline path)."""
        return asyncio.run(work)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started


@contextlib.contextmanager
def lifecycle(settings: Settings, options: Options) -> Iterator[Run]:
    """A run holding the data-dir lock throughout (SPEC §4: one writer per data dir)."""
    run = Run(settings, options)
    with locked(settings):
        yield run
