"""Orchestration of `movies` and `watchlist`: pick the source, fetch, map, write, summarise.

Sources: token mode (`/sync`, with last_activities-validated cache), public-profile mode
(`/users/NAME`), or offline (`--from-zip`, no network at all). The run holds the data-dir lock;
nothing is written unless every page arrived.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from trakt_export.config import Settings
from trakt_export.letterboxd import rows as letterboxd
from trakt_export.models import FilmData
from trakt_export.output import is_special, write_direct, write_parts, write_stdout
from trakt_export.progress import RunStats
from trakt_export.run.session import Options, locked, open_source
from trakt_export.signals import checkpoint
from trakt_export.sources.base import Endpoint
from trakt_export.zones import choose_zone

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ExportResult:
    rows: int
    files: list[Path]
    stats: RunStats
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

ENDPOINTS: dict[str, tuple[Endpoint, ...]] = {
    "history": ("history/movies", "ratings/movies"),
    "aggregated": ("watched/movies", "ratings/movies"),
    "watchlist": ("watchlist/movies",),
}


async def fetch(
    settings: Settings, needs: tuple[Endpoint, ...], options: Options, stats: RunStats
) -> FilmData:
    """Read the needed listings from the run's source, plus directors when asked for."""
    async with open_source(settings, options, stats) as source:
        data = await source.films(needs)
        if settings.export.reviews and "watchlist/movies" not in needs:
            data.comments = await source.comments()
        mode = settings.export.directors
        if mode == "off" or "watchlist/movies" in needs:
            return data
        if source.offline:  # an offline rule, kept in the core: the ZIP has no people data
            log.warning(
                "Note: --directors needs the Trakt API; the offline (--from-zip) export has none."
            )
            return data
        films = {e.movie.trakt_id: e.movie for e in data.history}
        films |= {w.movie.trakt_id: w.movie for w in data.watched}
        if settings.export.include_rated_unwatched:
            films |= {r.movie.trakt_id: r.movie for r in data.ratings}
        # Letterboxd matches by director only rows without ids: "missing" asks only for those.
        wanted = [
            trakt_id
            for trakt_id, movie in films.items()
            if mode == "all" or (movie.imdb is None and movie.tmdb is None)
        ]
        data.directors = await source.directors(sorted(wanted))
    return data


def load_data(
    settings: Settings, needs: tuple[Endpoint, ...], options: Options, stats: RunStats
) -> FilmData:
    return asyncio.run(fetch(settings, needs, options, stats))


def movie_rows(settings: Settings, data: FilmData, zone: ZoneInfo) -> list[letterboxd.Row]:
    keep_rated = settings.export.include_rated_unwatched
    if settings.export.mode == "history":
        return letterboxd.history_rows(
            data.history, data.ratings, zone, include_rated_unwatched=keep_rated
        )
    return letterboxd.aggregated_rows(
        data.watched, data.ratings, zone, include_rated_unwatched=keep_rated
    )


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


def run_movies(settings: Settings, options: Options, since: str | None = None) -> ExportResult:
    """The `movies` command: fetch, map to Letterboxd rows, write (atomically), summarise.
    `since` is `--since DATE|last` (history mode only; see since.py)."""
    from trakt_export.letterboxd.extras import Extras

    started = time.perf_counter()
    stats = RunStats()
    extras = Extras.parse(settings, since)
    with locked(settings):
        data = load_data(settings, ENDPOINTS[settings.export.mode], options, stats)
        zone, _ = choose_zone(settings.export.timezone, data.account_timezone)  # warns once
        rows = movie_rows(settings, data, zone)
        directors = data.directors
        rows = extras.apply(rows, data, zone)  # reviews, tags, --since
        del data  # the parsed events are not needed past this point: free them (peak memory)
        if extras.nothing_new(rows):
            return ExportResult(0, [], stats, time.perf_counter() - started, nothing_new=True)
        if directors is not None:
            rows = letterboxd.with_directors(rows, directors)
        count = len(rows)
        header, lines = letterboxd.movie_lines(
            rows, directors=directors is not None, tags=extras.tags, review=extras.reviews
        )
        del rows
        files, to_stdout = _deliver(
            settings, options, f"letterboxd-{settings.export.mode}.csv", header, lines
        )
        extras.done()  # the output is complete: advance the --since last mark
    return ExportResult(count, files, stats, time.perf_counter() - started, to_stdout)


def run_watchlist(settings: Settings, options: Options) -> ExportResult:
    """The `watchlist` command: films of the watchlist in rank order."""
    started = time.perf_counter()
    stats = RunStats()
    with locked(settings):
        data = load_data(settings, ENDPOINTS["watchlist"], options, stats)
        header, lines = letterboxd.watchlist_lines(data.watchlist)
        count = len(lines)  # before _deliver, which empties `lines` once the parts hold them
        files, to_stdout = _deliver(settings, options, "letterboxd-watchlist.csv", header, lines)
    return ExportResult(
        count, files, stats, time.perf_counter() - started, to_stdout, note=WATCHLIST_NOTE
    )
