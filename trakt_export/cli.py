"""Thin Typer front end: parse options, resolve settings, run the async core, map errors once.

Heavy modules (httpx, diskcache, tenacity, the client) are imported inside commands so that
`--help` stays fast (SPEC §7).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from trakt_export import __version__
from trakt_export.commands import auth as auth_commands
from trakt_export.commands import cache as cache_commands
from trakt_export.commands import config as config_commands
from trakt_export.commands import export as export_commands
from trakt_export.console import STATE, configure_logging, error_lines, interrupted
from trakt_export.output import silence_stdout
from trakt_export.signals import install_terminate

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
def root(
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
    configure_logging(quiet=quiet, verbose=verbose)


export_commands.register(app)
app.add_typer(auth_commands.app, name="auth")
app.add_typer(cache_commands.app, name="cache")
app.add_typer(config_commands.app, name="config")


# Typer >= 0.29 vendors click privately; find its exception classes through public ones.
def _click_class(name: str) -> type[Exception]:
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == name)


_USAGE_ERROR = _click_class("UsageError")
_CLICK_EXCEPTION = _click_class("ClickException")


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry: like `app()`, but a usage error is one line, exit 2 (SPEC §6),
    instead of click's usage block."""
    # When a connection fails, anyio (under httpx) can leave a connect coroutine it never
    # started; Python then prints "coroutine ... was never awaited" at exit, a third and fourth
    # stderr line under our one- or two-line error. It is the library's leftover, not ours.
    warnings.filterwarnings(
        "ignore", message=r"coroutine '.*' was never awaited", category=RuntimeWarning
    )
    install_terminate()  # SIGTERM unwinds like Ctrl-C (lock released, temp files gone): 143
    try:
        code = app(args=argv, prog_name="trakt-export", standalone_mode=False)
    except _USAGE_ERROR as exc:
        usage: Any = exc
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `trakt-export`: show the help
            error_lines([usage.format_message()])
            sys.exit(2)
        where = usage.ctx.command_path if usage.ctx is not None else "trakt-export"
        reason = usage.format_message().rstrip(".")
        error_lines([f"Error: {reason} (see `{where} --help`)."])
        sys.exit(2)
    except _CLICK_EXCEPTION as exc:
        failure: Any = exc
        error_lines([f"Error: {failure.format_message()}"])
        sys.exit(failure.exit_code)
    except typer.Abort:
        error_lines(["Interrupted: nothing partial was written; previous outputs are intact."])
        sys.exit(130)
    except KeyboardInterrupt as exc:  # SIGINT, or SIGTERM raised as signals.Terminated
        sys.exit(interrupted(exc))
    except BrokenPipeError:  # stdout's reader went away (`| head`): a quiet end (SPEC §6)
        silence_stdout()
        sys.exit(0)
    try:  # data still buffered (`--json | head`) must not fail at exit either (SPEC §6)
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
    sys.exit(code if isinstance(code, int) else 0)
