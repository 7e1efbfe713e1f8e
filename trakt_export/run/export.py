"""Orchestration of `movies` and `watchlist`, one straight path:

    need     the command's listings | each enricher's need          (letterboxd/enrichers.py)
    read     one complete, frozen FilmData from the run's source    (API or ZIP: open_source)
    map      rows (history, or aggregated: its last row per film)   (letterboxd/rows.py)
    steps    each enricher's step over the rows, once
    render   CSV lines with the enrichers' columns
    deliver  write (atomically, split) or stdout
    commit   each enricher's commit (the `--since last` mark), once the output is complete

`watchlist` is the same path with no enrichers. The run (lock, timer, metrics, loop) is
lifecycle.py's; nothing is written unless every page arrived.

A no-change token-mode run takes the shortcut of results.py: after the first round (activity
stamps, settings) the stored text of the last full run answers, and only `deliver` runs again
(so a deleted or edited file is written anew); the full run stores its text after delivering.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from trakt_export.config import Settings
from trakt_export.letterboxd import rows as letterboxd
from trakt_export.letterboxd.enrichers import (
    DIRECTORS,
    REVIEW,
    TAGS,
    Enricher,
    enrichers_for,
    run_steps,
)
from trakt_export.models import FilmData, Need, account_timezone
from trakt_export.output import is_special, write_direct, write_parts, write_stdout
from trakt_export.run.lifecycle import Run, lifecycle
from trakt_export.run.results import Answered, Recorded, Result, replay, shortcut_for
from trakt_export.run.session import Options
from trakt_export.signals import checkpoint
from trakt_export.transport.metrics import Metrics
from trakt_export.zones import choose_zone

if TYPE_CHECKING:
    from trakt_export.sources.api import Listing, TraktAPI
    from trakt_export.sources.base import Source

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ExportResult:
    rows: int
    files: list[Path]
    stats: Metrics  # the run's one collector: requests, cache hits, retries
    elapsed: float
    to_stdout: bool = False
    nothing_new: bool = False  # --since found no new rows: no file was written
    note: str = ""  # appended to the summary (which Letterboxd import the file is for)

    def summary(self, warnings: int = 0) -> str:
        from trakt_export.transport.metrics import plural, summary_tail

        tail = summary_tail(self.stats, warnings, self.elapsed)
        if self.nothing_new:
            return f"Nothing new to export: no file written; {tail}"
        where = "stdout" if self.to_stdout else shown_paths(self.files)
        files = 1 if self.to_stdout else len(self.files)
        return (
            f"Exported {plural(self.rows, 'row')} to {where} ({plural(files, 'file')}); "
            f"{tail}{self.note}"
        )


def shown_paths(paths: Sequence[Path]) -> str:
    """A summary's files: all of one or two, else the first and the last (a split set of 11
    parts is `d-01.csv … d-11.csv`; the count follows in the summary)."""
    if len(paths) <= 2:
        return ", ".join(str(p) for p in paths) or "nothing"
    return f"{paths[0]} … {paths[-1]}"


WATCHLIST_NOTE = (
    " Import it at letterboxd.com/watchlist/ (the watchlist import), not the diary import,"
    " which would mark every film watched."
)

# Both modes read the history (aggregated mode is a view of it, SPEC §5 v2.2).
NEEDS: dict[str, Need] = {
    "history": Need(listings=("history/movies", "ratings/movies")),
    "aggregated": Need(listings=("history/movies", "ratings/movies")),
    "watchlist": Need(listings=("watchlist/movies",)),
}


def movie_rows(settings: Settings, data: FilmData, zone: ZoneInfo) -> list[letterboxd.Row]:
    rows = letterboxd.history_rows(
        data.history,
        data.ratings,
        zone,
        include_rated_unwatched=settings.export.include_rated_unwatched,
        date_only_midnight=settings.export.date_only_midnight,
    )
    return rows if settings.export.mode == "history" else letterboxd.last_per_film(rows)


def target_path(settings: Settings, output: str | None, default_name: str) -> Path:
    if output is None:
        return Path(settings.export.output_dir).expanduser() / default_name
    path = Path(output).expanduser()
    # An existing directory, or a name ending in "/", receives the default file name (SPEC §5).
    into = path.is_dir() or output.endswith(("/", os.sep))
    return path / default_name if into else path


def _deliver(
    settings: Settings, options: Options, default_name: str, header: str, lines: list[str]
) -> tuple[list[Path], bool]:
    if options.output == "-":
        write_stdout(header + "".join(lines))
        return [], True
    target = target_path(settings, options.output, default_name)
    checkpoint("deliver")  # test-only pause point (signals.checkpoint): rows mapped, not written
    if is_special(target):  # /dev/null, /dev/stdout, a FIFO: written as it is, never split
        text = header + "".join(lines)
        lines.clear()
        return write_direct(target, text), False
    parts = letterboxd.split_parts(
        header, lines, settings.export.max_rows, settings.export.max_bytes
    )
    lines.clear()  # the parts hold the same text now; don't keep it twice while writing
    return write_parts(target, parts, state_dir=settings.paths.data_dir / "outputs"), False


def _answered(
    settings: Settings, run: Run, answer: Answered, name: str, note: str = ""
) -> ExportResult:
    """The stored result answers the run: its warnings said again, its text delivered anew."""
    result = answer.result
    replay(result.warnings)
    run.metrics.date_only_plays = result.date_only_plays
    run.metrics.of(f"results/{name}").cache_hits += 1  # the summary's cache hits stay truthful
    files, to_stdout = _deliver(settings, run.options, name, result.header, list(result.lines))
    return ExportResult(result.rows, files, run.metrics, run.elapsed, to_stdout, note=note)


@dataclass(slots=True)
class Rendered:
    """The CSV of `movies` before delivery: header, lines, rows, and the date-only plays."""

    header: str
    lines: list[str]
    count: int
    plays: int
    nothing_new: bool = False  # a filtering step (--since) left no row


def render(
    settings: Settings, enrichers: list[Enricher], data: FilmData, zone: ZoneInfo
) -> Rendered:
    """map, steps, render: the history's rows through each enricher, then the CSV lines."""
    plays = letterboxd.date_only_plays(data.history)
    rows = run_steps(enrichers, movie_rows(settings, data, zone), data, zone)
    columns = {enricher.column(data) for enricher in enrichers}
    if not rows and any(enricher.filters for enricher in enrichers):
        return Rendered("", [], 0, plays, nothing_new=True)
    header, lines = letterboxd.movie_lines(
        rows, directors=DIRECTORS in columns, tags=TAGS in columns, review=REVIEW in columns
    )
    return Rendered(header, lines, len(rows), plays)


class Ahead:
    """The CSV rendered while the consistency re-check is in flight (TraktAPI.while_checking),
    so a cold run's mapping, sort and render overlap that round trip instead of following it.
    Only for outputs made of the snapshot's listings alone (no enricher with a need or a state
    of its own: Tags at most). Used only if the run's FilmData holds the very listings it was
    rendered from (a re-read after a change brings new ones: then the run renders again)."""

    def __init__(self, settings: Settings, enrichers: list[Enricher]) -> None:
        self.settings = settings
        self.enrichers = enrichers
        self.api: TraktAPI | None = None
        self.zone: ZoneInfo | None = None  # chosen once (its warning said once), here or later
        self.rendered: Rendered | None = None
        self.basis: tuple[object, ...] = ()

    def attach(self, source: Source) -> None:
        api = getattr(source, "api", None)
        if api is not None and not api.public:
            self.api = api
            api.while_checking = self

    def __call__(self, listings: Mapping[str, Listing]) -> None:
        assert self.api is not None
        try:
            history, ratings = listings["history/movies"].items, listings["ratings/movies"].items
            timezone = account_timezone(self.api.settings)
            self.zone, _ = choose_zone(self.settings.export.timezone, timezone)
            data = FilmData(
                history=history,
                ratings=ratings,
                account_timezone=timezone,
                account=self.api.account,
            )
            self.rendered = render(self.settings, self.enrichers, data, self.zone)
            self.basis = (history, ratings)
        except Exception as exc:  # whatever failed here fails again on the run's own path
            log.debug("rendering during the re-check failed: %s", exc)
            self.rendered = None

    def take(self, data: FilmData) -> Rendered | None:
        """The rendered CSV when `data` is what it was rendered from, else None."""
        rendered, self.rendered = self.rendered, None
        if rendered is None or len(self.basis) != 2:
            return None
        history, ratings = self.basis
        return rendered if data.history is history and data.ratings is ratings else None


def run_movies(settings: Settings, options: Options, since: str | None = None) -> ExportResult:
    """The `movies` command. `since` is `--since DATE|last` (history mode only; since.py)."""
    enrichers = enrichers_for(settings, since)  # choices checked before any request
    need = NEEDS[settings.export.mode]
    for enricher in enrichers:
        need |= enricher.need()
    name = f"letterboxd-{settings.export.mode}.csv"
    stamped = need.listings + (
        ("comments/all/movies?include_replies=false",) if need.comments else ()
    )
    # `--since last` depends on its mark, which every run moves: no shortcut.
    last = since is not None and since.strip().lower() == "last"
    shortcut = (
        None
        if last
        else shortcut_for(
            settings, options, name, stamped, {"since": since}, people=need.people is not None
        )
    )
    plain = need.listings == NEEDS["history"].listings and not need.comments and need.people is None
    ahead = (
        Ahead(settings, enrichers)
        if plain and all(e.name == TAGS.lower() for e in enrichers)
        else None
    )

    async def read(source: Source) -> FilmData:
        if ahead is not None:
            ahead.attach(source)
        return await source.film_data(need)

    with lifecycle(settings, options) as run:
        try:
            with Recorded() as said:
                data = run.read(shortcut.reading(read) if shortcut else read)
                rendered = ahead.take(data) if ahead is not None else None
                if rendered is None:
                    zone = ahead.zone if ahead is not None and ahead.zone is not None else None
                    if zone is None:
                        zone, _ = choose_zone(settings.export.timezone, data.account_timezone)
                    rendered = render(settings, enrichers, data, zone)
        except Answered as answer:
            return _answered(settings, run, answer, name)
        del data  # the parsed events are not needed past this point: free them (peak memory)
        run.metrics.date_only_plays = rendered.plays  # --report
        if rendered.nothing_new:
            return ExportResult(0, [], run.metrics, run.elapsed, nothing_new=True)
        header, lines, count = rendered.header, rendered.lines, rendered.count
        del rendered
        kept = list(lines) if shortcut else []  # _deliver empties `lines`
        files, to_stdout = _deliver(settings, run.options, name, header, lines)
        for enricher in enrichers:
            enricher.commit()  # the output is complete: e.g. advance the --since last mark
        if shortcut:
            plays = run.metrics.date_only_plays
            shortcut.put(Result(header, kept, count, plays, tuple(said.lines)))
    return ExportResult(count, files, run.metrics, run.elapsed, to_stdout)


def run_watchlist(settings: Settings, options: Options) -> ExportResult:
    """The `watchlist` command: the same path, no enrichers; films in rank order."""
    name = "letterboxd-watchlist.csv"
    need = NEEDS["watchlist"]
    shortcut = shortcut_for(settings, options, name, need.listings, {})
    with lifecycle(settings, options) as run:
        try:
            with Recorded() as said:
                use = lambda source: source.film_data(need)  # noqa: E731
                data = run.read(shortcut.reading(use) if shortcut else use)
        except Answered as answer:
            return _answered(settings, run, answer, name, WATCHLIST_NOTE)
        header, lines = letterboxd.watchlist_lines(data.watchlist)
        count = len(lines)  # before _deliver, which empties `lines` once the parts hold them
        kept = list(lines) if shortcut else []
        files, to_stdout = _deliver(settings, run.options, name, header, lines)
        if shortcut:
            shortcut.put(Result(header, kept, count, 0, tuple(said.lines)))
    return ExportResult(count, files, run.metrics, run.elapsed, to_stdout, note=WATCHLIST_NOTE)
