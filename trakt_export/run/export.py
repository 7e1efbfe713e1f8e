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

import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from trakt_export.config import Settings
from trakt_export.letterboxd import rows as letterboxd
from trakt_export.letterboxd.enrichers import DIRECTORS, REVIEW, TAGS, enrichers_for, run_steps
from trakt_export.models import FilmData, Need
from trakt_export.output import is_special, write_direct, write_parts, write_stdout
from trakt_export.run.lifecycle import Run, lifecycle
from trakt_export.run.results import Answered, Recorded, Result, replay, shortcut_for
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
        where = "stdout" if self.to_stdout else ", ".join(str(p) for p in self.files)
        files = 1 if self.to_stdout else len(self.files)
        return (
            f"Exported {plural(self.rows, 'row')} to {where} ({plural(files, 'file')}); "
            f"{tail}{self.note}"
        )


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
    with lifecycle(settings, options) as run:
        try:
            with Recorded() as said:
                use = lambda source: source.film_data(need)  # noqa: E731
                data = run.read(shortcut.reading(use) if shortcut else use)
                zone, _ = choose_zone(settings.export.timezone, data.account_timezone)  # warns
                run.metrics.date_only_plays = letterboxd.date_only_plays(data.history)  # report
                rows = run_steps(enrichers, movie_rows(settings, data, zone), data, zone)
                columns = {enricher.column(data) for enricher in enrichers}
        except Answered as answer:
            return _answered(settings, run, answer, name)
        del data  # the parsed events are not needed past this point: free them (peak memory)
        if not rows and any(enricher.filters for enricher in enrichers):
            return ExportResult(0, [], run.metrics, run.elapsed, nothing_new=True)
        count = len(rows)
        header, lines = letterboxd.movie_lines(
            rows, directors=DIRECTORS in columns, tags=TAGS in columns, review=REVIEW in columns
        )
        del rows
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
