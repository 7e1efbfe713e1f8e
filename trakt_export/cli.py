"""Thin Typer front end: parse options, resolve settings, run the async core, map errors once.

Heavy modules (httpx, diskcache, tenacity, the client) are imported inside commands so that
`--help` stays fast (SPEC §7).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trakt_export import __version__
from trakt_export.commands import auth as auth_commands
from trakt_export.commands import cache as cache_commands
from trakt_export.commands import config as config_commands
from trakt_export.commands import export as export_commands
from trakt_export.console import STATE

app = typer.Typer(
    name="trakt-export",
    help="Export Trakt.tv films to Letterboxd CSV, and back up your Trakt data as JSON.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"trakt-export {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="PATH",
            help="Config file (default: TRAKT_EXPORT_CONFIG, then home).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Print errors only.")] = False,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Log requests.")] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show version."),
    ] = False,
) -> None:
    """Export Trakt.tv films to Letterboxd CSV, and back up your Trakt data as JSON."""
    STATE.config_path = config
    STATE.quiet = quiet
    STATE.verbose = verbose


export_commands.register(app)
app.add_typer(auth_commands.app, name="auth")
app.add_typer(cache_commands.app, name="cache")
app.add_typer(config_commands.app, name="config")
