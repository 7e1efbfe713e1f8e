"""`movies` and `watchlist` commands: options -> settings -> export.run_* -> summary line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from trakt_export.commands import load_settings
from trakt_export.console import STATE, guarded, say

Output = Annotated[
    str | None,
    typer.Option("-o", "--output", help="Output CSV path, or - for stdout (never split)."),
]
User = Annotated[
    str | None, typer.Option("--user", help="Public profile to export (no login needed).")
]
FromZip = Annotated[
    Path | None,
    typer.Option("--from-zip", help="Read Trakt's data-export ZIP instead of the API (offline)."),
]


def _settings(overrides: dict[str, Any]) -> Any:
    return load_settings(overrides)


def _options(output: str | None, from_zip: Path | None, no_cache: bool, refresh: bool) -> Any:
    from trakt_export.export import Options
    from trakt_export.progress import NullObserver

    observer: Any = NullObserver()
    if sys.stderr.isatty() and not STATE.quiet:
        from trakt_export.display import RichObserver

        observer = RichObserver()
    mode = "off" if no_cache else ("refresh" if refresh else "use")
    return Options(output=output, zip_path=from_zip, cache_mode=mode, observer=observer)


def _run(runner: str, settings: Any, options: Any) -> None:
    from trakt_export import backup, export

    close = getattr(options.observer, "close", None)
    module = backup if runner == "run_backup" else export
    try:
        result = getattr(module, runner)(settings, options)
    finally:
        if close is not None:
            close()
    say(result.summary())


def register(app: typer.Typer) -> None:
    @app.command()
    @guarded
    def movies(
        mode: Annotated[
            str | None,
            typer.Option("--mode", help="aggregated (one row per film) or history (per day)."),
        ] = None,
        output: Output = None,
        timezone: Annotated[
            str | None, typer.Option("--timezone", help="IANA zone for WatchedDate.")
        ] = None,
        user: User = None,
        from_zip: FromZip = None,
        max_rows: Annotated[
            int | None, typer.Option("--max-rows", help="Rows per CSV file (0 = no limit).")
        ] = None,
        max_bytes: Annotated[
            int | None, typer.Option("--max-bytes", help="Bytes per CSV file (0 = no limit).")
        ] = None,
        directors: Annotated[
            bool | None,
            typer.Option("--directors/--no-directors", help="Add a Directors column."),
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
        }
        settings = _settings(overrides)
        if from_zip is not None and settings.export.directors:
            say("Note: --directors needs the Trakt API; the offline (--from-zip) export has none.")
            settings = _settings({**overrides, "export.directors": False})
        _run("run_movies", settings, _options(output, from_zip, no_cache, refresh))

    @app.command()
    @guarded
    def watchlist(output: Output = None, user: User = None, from_zip: FromZip = None) -> None:
        """Export the films of your watchlist as Letterboxd CSV, in Trakt rank order."""
        settings = _settings({"trakt.username": user})
        _run("run_watchlist", settings, _options(output, from_zip, False, False))

    @app.command()
    @guarded
    def backup(
        output: Annotated[
            str | None,
            typer.Option(
                "-o", "--output", help="Backup directory (default trakt-backup-YYYYMMDD-HHMMSS)."
            ),
        ] = None,
        user: User = None,
    ) -> None:
        """Back up the raw JSON of every Trakt endpoint (films and TV) into a directory."""
        settings = _settings({"trakt.username": user})
        _run("run_backup", settings, _options(output, None, False, False))
