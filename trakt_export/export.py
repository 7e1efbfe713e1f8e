"""Orchestration of `movies` and `watchlist`: pick the source, fetch, map, write, summarise.

Sources: token mode (`/sync`, with last_activities-validated cache), public-profile mode
(`/users/NAME`), or offline (`--from-zip`, no network at all). The run holds the data-dir lock;
nothing is written unless every page arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from trakt_export import letterboxd
from trakt_export.config import Settings
from trakt_export.errors import AuthError
from trakt_export.models import (
    Films,
    HistoryEvent,
    MovieRating,
    WatchedMovie,
    WatchlistMovie,
    parse_history,
    parse_ratings,
    parse_watched,
    parse_watchlist,
)
from trakt_export.output import write_parts, write_stdout
from trakt_export.progress import NullObserver, Observer, RunStats
from trakt_export.zones import choose_zone

if TYPE_CHECKING:
    from trakt_export.trakt import TraktAPI

NO_CREDENTIALS = AuthError(
    "no Trakt credentials: no saved login, no TRAKT_EXPORT_ACCESS_TOKEN and no username.",
    "Run `trakt-export auth login`, or export a public profile with --user NAME, "
    "or work offline with --from-zip PATH (your Trakt data-export ZIP).",
)


# repr=False: on exit, Python 3.11's asyncio.run formats the main task, result included, and
# a repr of 100,000 parsed events costs most of a second.
@dataclass(slots=True, repr=False)
class FilmData:
    """What the film exports need, from whichever source."""

    history: list[HistoryEvent] = field(default_factory=list)
    watched: list[WatchedMovie] = field(default_factory=list)
    ratings: list[MovieRating] = field(default_factory=list)
    watchlist: list[WatchlistMovie] = field(default_factory=list)
    account_timezone: str | None = None
    directors: dict[int, str] | None = None  # trakt id -> "A, B" when --directors


@dataclass(slots=True)
class Options:
    """Per-run choices that are not settings: where to write and how to fetch."""

    output: str | None = None  # path, "-" for stdout, None for the default name
    zip_path: Path | None = None
    cache_mode: str = "use"  # use | refresh | off
    transport: httpx.AsyncBaseTransport | None = None  # the fake, in tests and benchmarks
    observer: Observer = field(default_factory=NullObserver)
    sleep: Callable[[float], Awaitable[object]] | None = None  # injected by tests: no real waits
    clock: Callable[[], float] | None = None  # monotonic seconds (tests: a virtual clock)


@dataclass(slots=True)
class ExportResult:
    rows: int
    files: list[Path]
    stats: RunStats
    elapsed: float
    to_stdout: bool = False

    def summary(self) -> str:
        where = "stdout" if self.to_stdout else ", ".join(str(p) for p in self.files)
        files = 1 if self.to_stdout else len(self.files)
        return (
            f"Exported {self.rows} rows to {where} ({files} file{'s' if files != 1 else ''}); "
            f"{self.stats.requests} HTTP requests, {self.stats.cache_hits} cache hits, "
            f"{self.elapsed:.1f} s."
        )


# Each page becomes models as it arrives (films only), so raw JSON never piles up.
PARSERS: dict[str, Callable[..., list[Any]]] = {
    "history/movies": parse_history,
    "watched/movies": parse_watched,
    "ratings/movies": parse_ratings,
    "watchlist/movies": parse_watchlist,
}

ENDPOINTS = {
    "history": ("history/movies", "ratings/movies"),
    "aggregated": ("watched/movies", "ratings/movies"),
    "watchlist": ("watchlist/movies",),
}


@contextlib.asynccontextmanager
async def connect(settings: Settings, options: Options, stats: RunStats) -> AsyncIterator[TraktAPI]:
    """A TraktAPI over the run's client: token mode when a login exists, else public profile."""
    from trakt_export.auth import build_auth
    from trakt_export.client import build_client
    from trakt_export.trakt import TraktAPI

    auth = build_auth(settings)
    # TRAKT_EXPORT_ACCESS_TOKEN is token mode too: build_client sends it as a static bearer.
    token_mode = auth is not None or bool(settings.access_token)
    user = None if token_mode else (settings.trakt.username or None)
    if not token_mode and user is None:
        raise NO_CREDENTIALS
    if not settings.trakt.client_id:
        raise AuthError(
            "no Trakt client id configured.",
            "Set [trakt] client_id in the config or TRAKT_EXPORT_CLIENT_ID "
            "(see README, 'Getting access').",
        )
    async with build_client(
        settings,
        transport=options.transport,
        auth=auth,
        observer=options.observer,
        stats=stats,
        cache_mode=options.cache_mode,
        sleep=options.sleep,
        clock=options.clock,
    ) as http:
        yield TraktAPI(
            http, user=user, concurrency=settings.network.concurrency, observer=options.observer
        )


async def fetch_online(
    settings: Settings, needs: tuple[str, ...], options: Options, stats: RunStats
) -> FilmData:
    """Read the needed endpoints from Trakt (token or public-profile mode), plus directors."""
    async with connect(settings, options, stats) as api:
        account = await api.start()
        films: Films = {}  # one Movie per film across every page and endpoint
        parsers = {e: functools.partial(PARSERS[e], films=films) for e in needs}
        listings = await api.listings(*needs, parsers=parsers)
        data = FilmData(account_timezone=_account_timezone(account))
        for name, listing in listings.items():
            setattr(data, name.split("/")[0], listing.items)
        if settings.export.directors and "watchlist/movies" not in needs:
            wanted = {e.movie.trakt_id for e in data.history}
            wanted |= {w.movie.trakt_id for w in data.watched}
            if settings.export.include_rated_unwatched:
                wanted |= {r.movie.trakt_id for r in data.ratings}
            data.directors = await api.directors(sorted(wanted))
    return data


def _account_timezone(settings: Mapping[str, Any] | None) -> str | None:
    account = settings.get("account") if settings else None
    zone = account.get("timezone") if isinstance(account, Mapping) else None
    return zone if isinstance(zone, str) and zone else None


def load_data(
    settings: Settings, needs: tuple[str, ...], options: Options, stats: RunStats
) -> FilmData:
    if options.zip_path is not None:
        from trakt_export.zipsource import read_zip

        offline = read_zip(options.zip_path)
        return FilmData(
            history=offline.history,
            watched=offline.watched,
            ratings=offline.ratings,
            watchlist=offline.watchlist,
        )
    return asyncio.run(fetch_online(settings, needs, options, stats))


def movie_rows(settings: Settings, data: FilmData) -> list[letterboxd.Row]:
    zone, _ = choose_zone(settings.export.timezone, data.account_timezone)
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
    return path / default_name if path.is_dir() else path


def _deliver(
    settings: Settings, options: Options, default_name: str, header: str, lines: list[str]
) -> tuple[list[Path], bool]:
    if options.output == "-":
        write_stdout(header + "".join(lines))
        return [], True
    target = target_path(settings, options.output, default_name)
    parts = letterboxd.split_parts(
        header, lines, settings.export.max_rows, settings.export.max_bytes
    )
    lines.clear()  # the parts hold the same text now; don't keep it twice while writing
    return write_parts(target, parts), False


@contextlib.contextmanager
def locked(settings: Settings) -> Iterator[None]:
    """Hold the data-dir lock for the whole run (SPEC §4: one export per data dir)."""
    from trakt_export.lock import RunLock

    with RunLock(settings.paths.lock_file):
        yield


def run_movies(settings: Settings, options: Options) -> ExportResult:
    """The `movies` command: fetch, map to Letterboxd rows, write (atomically), summarise."""
    started = time.perf_counter()
    stats = RunStats()
    with locked(settings):
        data = load_data(settings, ENDPOINTS[settings.export.mode], options, stats)
        rows = movie_rows(settings, data)
        directors = data.directors
        del data  # the parsed events are not needed past this point: free them (peak memory)
        if directors is not None:
            rows = letterboxd.with_directors(rows, directors)
        count = len(rows)
        header, lines = letterboxd.movie_lines(rows, directors=directors is not None)
        del rows
        files, to_stdout = _deliver(
            settings, options, f"letterboxd-{settings.export.mode}.csv", header, lines
        )
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
    return ExportResult(count, files, stats, time.perf_counter() - started, to_stdout)
