"""`movies` and `watchlist` commands: options -> settings -> `run.export` -> summary line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Protocol

import typer

from trakt_export.cli.common import load_settings
from trakt_export.cli.console import STATE, guarded, say
from trakt_export.progress import NullObserver

if TYPE_CHECKING:
    from trakt_export.run.session import Options
    from trakt_export.transport.client import CacheMode

Output = Annotated[
    str | None,
    typer.Option(
        "-o", "--output", metavar="PATH|-", help="Output CSV path, or - for stdout (never split)."
    ),
]
User = Annotated[
    str | None,
    typer.Option("--user", metavar="USERNAME", help="Public profile to export (no login needed)."),
]
MaxRows = Annotated[
    int | None, typer.Option("--max-rows", metavar="N", help="Rows per CSV file (0 = no limit).")
]
MaxBytes = Annotated[
    int | None, typer.Option("--max-bytes", metavar="N", help="Bytes per CSV file (0 = no limit).")
]
FromZip = Annotated[
    Path | None,
    typer.Option(
        "--from-zip",
        metavar="PATH",
        help="Read Trakt's data-export ZIP instead of the API (offline).",
    ),
]


def _options(
    output: str | None, from_zip: Path | None, no_cache: bool = False, refresh: bool = False
) -> Options:
    from trakt_export.progress import Observer
    from trakt_export.run.session import Options
    from trakt_export.transport.metrics import Metrics

    observer: Observer = PauseLineObserver()
    # SPEC §1: no live display with `-o -`, wherever stdout goes: the CSV shares the terminal
    # with whatever reads it (`| head` would see bars erase or glue onto its lines). Pauses
    # still show as one plain line.
    if STATE.quiet:
        observer = NullObserver()
    elif sys.stderr.isatty() and output != "-":
        from trakt_export.cli.display import RichObserver

        observer = RichObserver()
    mode: CacheMode = "off" if no_cache else ("refresh" if refresh else "use")
    STATE.metrics = Metrics()
    return Options(
        output=output,
        zip_path=from_zip,
        cache_mode=mode,
        observer=observer,
        metrics=STATE.metrics,
    )


class PauseLineObserver(NullObserver):
    """Without a terminal (cron): no progress, but a pause longer than 10 s prints one line
    (SPEC §1), once per pause end."""

    def __init__(self) -> None:
        self._shown_until = 0.0

    def paused(self, until: float, reason: str) -> None:
        import time

        if until - time.time() > 10 and until > self._shown_until:
            self._shown_until = until
            moment = time.strftime("%H:%M:%S", time.localtime(until))
            say(f"waiting for Trakt's rate limit until {moment} ({reason})")


class _Result(Protocol):
    def summary(self, warnings: int = 0) -> str: ...


def _finish(options: Options, run: Callable[[], _Result]) -> None:
    """Run the export, close the progress display whatever happens, print the summary."""
    from trakt_export.signals import checkpoint

    close = getattr(options.observer, "close", None)
    try:
        result = run()
    finally:
        if close is not None:
            close()
    checkpoint("finished")  # test-only pause point: the output in place, no summary yet
    say(result.summary(STATE.warnings.count if STATE.warnings is not None else 0))
    checkpoint("summarised")  # test-only pause point: the summary line printed


def register(app: typer.Typer) -> None:
    @app.command()
    @guarded
    def movies(
        mode: Annotated[
            str | None,
            typer.Option(
                "--mode",
                metavar="aggregated|history",
                help="aggregated (one row per film) or history (one row per watch day).",
            ),
        ] = None,
        output: Output = None,
        timezone: Annotated[
            str | None, typer.Option("--timezone", metavar="TZ", help="IANA zone for WatchedDate.")
        ] = None,
        user: User = None,
        from_zip: FromZip = None,
        max_rows: MaxRows = None,
        max_bytes: MaxBytes = None,
        directors: Annotated[
            str | None,
            typer.Option(
                "--directors",
                metavar="off|missing|all",
                help="Directors column: off, missing (films without IMDb/TMDB id) or all.",
            ),
        ] = None,
        reviews: Annotated[
            bool | None,
            typer.Option(
                "--reviews/--no-reviews", help="Review column from your own film comments."
            ),
        ] = None,
        tags: Annotated[
            str | None,
            typer.Option(
                "--tags",
                metavar="TAGS",
                help="Comma-separated Tags on every row with a WatchedDate.",
            ),
        ] = None,
        since: Annotated[
            str | None,
            typer.Option(
                "--since",
                metavar="DATE|last",
                help="History mode: only rows from DATE on, or new since the last --since last.",
            ),
        ] = None,
        no_cache: Annotated[bool, typer.Option("--no-cache", help="Bypass the cache.")] = False,
        refresh: Annotated[
            bool, typer.Option("--refresh", help="Re-fetch everything and re-store it.")
        ] = False,
    ) -> None:
        """Export watched films (and ratings) as Letterboxd import CSV."""
        overrides = {
            "export.mode": mode,
            "export.timezone": timezone,
            "trakt.username": user,
            "export.max_rows": max_rows,
            "export.max_bytes": max_bytes,
            "export.directors": directors,
            "export.reviews": reviews,
            "export.tags": tags,
        }
        from trakt_export.run.export import run_movies

        settings = load_settings(overrides)
        options = _options(output, from_zip, no_cache, refresh)
        _finish(options, lambda: run_movies(settings, options, since))

    @app.command()
    @guarded
    def watchlist(output: Output = None, user: User = None, from_zip: FromZip = None) -> None:
        """Export the films of your watchlist as Letterboxd CSV, in Trakt rank order."""
        from trakt_export.run.export import run_watchlist

        settings = load_settings({"trakt.username": user})
        options = _options(output, from_zip)
        _finish(options, lambda: run_watchlist(settings, options))

    @app.command()
    @guarded
    def lists(
        output: Annotated[
            str | None,
            typer.Option(
                "-o",
                "--output",
                metavar="DIR",
                help="Directory for the CSVs (default letterboxd-lists).",
            ),
        ] = None,
        user: User = None,
        from_zip: FromZip = None,
        list_slugs: Annotated[
            list[str] | None,
            typer.Option("--list", metavar="SLUG", help="Only this list (repeatable)."),
        ] = None,
        max_rows: MaxRows = None,
        max_bytes: MaxBytes = None,
    ) -> None:
        """Export your Trakt lists and favorites as Letterboxd list-import CSVs."""
        from trakt_export.run.lists import run_lists

        settings = load_settings(
            {"trakt.username": user, "export.max_rows": max_rows, "export.max_bytes": max_bytes}
        )
        options = _options(output, from_zip)
        _finish(options, lambda: run_lists(settings, options, list_slugs or ()))

    @app.command()
    @guarded
    def backup(
        output: Annotated[
            str | None,
            typer.Option(
                "-o",
                "--output",
                metavar="DIR",
                help="Backup directory (default trakt-backup-YYYYMMDD-HHMMSS).",
            ),
        ] = None,
        user: User = None,
        verify: Annotated[
            Path | None,
            typer.Option(
                "--verify",
                metavar="DIR",
                help="Re-hash the backup in DIR against its manifest (exit 2 if it differs).",
            ),
        ] = None,
    ) -> None:
        """Back up the raw JSON of every Trakt endpoint (films and TV) into a directory."""
        from trakt_export.run.backup import run_backup, run_verify

        if verify is not None:
            if output is not None or user is not None:
                from trakt_export.errors import UsageError

                raise UsageError(
                    "--verify DIR checks an existing backup; it takes no -o or --user.",
                    "Run `trakt-export backup --verify DIR` alone.",
                )
            say(run_verify(verify).summary())
            return
        settings = load_settings({"trakt.username": user})
        options = _options(output, None)
        _finish(options, lambda: run_backup(settings, options))
