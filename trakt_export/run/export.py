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
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from trakt_export.config import Settings
from trakt_export.letterboxd import rows as letterboxd
from trakt_export.letterboxd.enrichers import DIRECTORS, REVIEW, TAGS, enrichers_for, run_steps
from trakt_export.models import FilmData, Need
from trakt_export.output import is_special, write_direct, write_parts, write_stdout
from trakt_export.run.lifecycle import lifecycle
from trakt_export.run.session import Options
from trakt_export.signals import checkpoint
from trakt_export.transport.metrics import Metrics
from trakt_export.zones import choose_zone


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


def run_movies(settings: Settings, options: Options, since: str | None = None) -> ExportResult:
    """The `movies` command. `since` is `--since DATE|last` (history mode only; since.py)."""
    enrichers = enrichers_for(settings, since)  # choices checked before any request
    need = NEEDS[settings.export.mode]
    for enricher in enrichers:
        need |= enricher.need()
    with lifecycle(settings, options) as run:
        data = run.read(lambda source: source.film_data(need))
        zone, _ = choose_zone(settings.export.timezone, data.account_timezone)  # warns once
        run.metrics.date_only_plays = letterboxd.date_only_plays(data.history)  # --report
        rows = run_steps(enrichers, movie_rows(settings, data, zone), data, zone)
        columns = {enricher.column(data) for enricher in enrichers}
        del data  # the parsed events are not needed past this point: free them (peak memory)
        if not rows and any(enricher.filters for enricher in enrichers):
            return ExportResult(0, [], run.metrics, run.elapsed, nothing_new=True)
        count = len(rows)
        header, lines = letterboxd.movie_lines(
            rows, directors=DIRECTORS in columns, tags=TAGS in columns, review=REVIEW in columns
        )
        del rows
        files, to_stdout = _deliver(
            settings, run.options, f"letterboxd-{settings.export.mode}.csv", header, lines
        )
        for enricher in enrichers:
            enricher.commit()  # the output is complete: e.g. advance the --since last mark
    return ExportResult(count, files, run.metrics, run.elapsed, to_stdout)


def run_watchlist(settings: Settings, options: Options) -> ExportResult:
    """The `watchlist` command: the same path, no enrichers; films in rank order."""
    with lifecycle(settings, options) as run:
        data = run.read(lambda source: source.film_data(NEEDS["watchlist"]))
        header, lines = letterboxd.watchlist_lines(data.watchlist)
        count = len(lines)  # before _deliver, which empties `lines` once the parts hold them
        files, to_stdout = _deliver(
            settings, run.options, "letterboxd-watchlist.csv", header, lines
        )
    return ExportResult(count, files, run.metrics, run.elapsed, to_stdout, note=WATCHLIST_NOTE)
