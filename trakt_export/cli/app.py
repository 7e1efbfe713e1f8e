"""Thin Typer front end: parse options, resolve settings, run the async core, map errors once.

Heavy modules (httpx, diskcache, tenacity, the client) are imported inside commands so that
`--help` stays fast (SPEC §7).
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from trakt_export import __version__
from trakt_export.cli import auth as auth_commands
from trakt_export.cli import cache as cache_commands
from trakt_export.cli import config as config_commands
from trakt_export.cli import doctor as doctor_commands
from trakt_export.cli import export as export_commands
from trakt_export.cli import restore as restore_commands
from trakt_export.cli.console import STATE, configure_logging, error_lines, interrupted, say
from trakt_export.output import silence_stdout
from trakt_export.signals import install_terminate

app = typer.Typer(
    name="trakt-export",
    help="Export Trakt.tv films to Letterboxd CSV, and back up your Trakt data as JSON.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _seconds(wait: str | None) -> float:
    """`--wait SECONDS`: a number, 0 or more (NaN refused too); none given is 0."""
    if wait is None:
        return 0.0
    try:
        seconds = float(wait)
    except ValueError:
        seconds = math.nan
    if not seconds >= 0:
        raise _USAGE_ERROR(f"--wait takes a number of seconds, 0 or more, not {wait}")
    return seconds


def _version(value: bool) -> None:
    if value:
        typer.echo(f"trakt-export {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="PATH",
            help="Config file (default: TRAKT_EXPORT_CONFIG, then home).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Print errors only.")] = False,
    verbose: Annotated[
        bool, typer.Option("-v", "--verbose", help="Log every HTTP request, retry and pause.")
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            metavar="PATH",
            help="Write a JSON run report (per-endpoint figures) to PATH at the end.",
        ),
    ] = None,
    wait: Annotated[
        str | None,  # read here, so a non-number gets our message, not the parser's
        typer.Option(
            "--wait",
            metavar="SECONDS",
            help="Wait up to SECONDS for another run to finish instead of failing at once.",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show version."),
    ] = False,
) -> None:
    """Export Trakt.tv films to Letterboxd CSV, and back up your Trakt data as JSON."""
    from trakt_export.lock import wait_policy
    from trakt_export.signals import new_run

    if quiet and verbose:
        raise _USAGE_ERROR("-q/--quiet and -v/--verbose contradict each other: give one of them")
    seconds = _seconds(wait)
    STATE.config_path = config
    STATE.quiet = quiet
    STATE.verbose = verbose
    STATE.report_path = report
    configure_logging(quiet=quiet, verbose=verbose)
    wait_policy(seconds, say)  # say() is silent with -q (SPEC §4 v2.2)
    new_run()
    _watch_run(ctx)


def _watch_run(ctx: typer.Context) -> None:
    """Count warnings for the summary line; at the end of the command, success or failure,
    write the run report (--report) and the 429 record doctor reads, if it talked to Trakt."""
    import logging
    import time

    from trakt_export.cli.console import WarningCounter

    started = time.time()
    counter = WarningCounter()
    logging.getLogger("trakt_export").addHandler(counter)
    STATE.warnings = counter
    STATE.metrics = None

    def finish() -> None:
        from trakt_export.signals import checkpoint

        checkpoint("closing")  # test-only pause point: the command is done, click is closing
        logging.getLogger("trakt_export").removeHandler(counter)
        metrics = STATE.metrics
        if metrics is None or not metrics.talked_to_trakt:
            return
        from trakt_export.run.report import build_report, record_run, write_report

        command = ctx.invoked_subcommand or ""
        code = _exit_code(sys.exc_info()[1])
        if STATE.settings is not None:
            record_run(STATE.settings.paths.data_dir, command, metrics)
        if STATE.report_path is not None:
            document = build_report(command, code, started, time.time(), metrics)
            write_report(STATE.report_path, document)

    ctx.call_on_close(finish)


def _exit_code(exc: BaseException | None) -> int:
    """The exit code the exception being raised (if any) will end the process with."""
    if exc is None:
        return 0
    code = getattr(exc, "exit_code", None)
    if isinstance(code, int):
        return code
    if isinstance(exc, (KeyboardInterrupt, typer.Abort)):
        return 130
    return 1


export_commands.register(app)
app.add_typer(auth_commands.app, name="auth")
app.add_typer(cache_commands.app, name="cache")
app.add_typer(config_commands.app, name="config")
doctor_commands.register(app)
restore_commands.register(app)


def whole_summaries(group: typer.Typer) -> None:
    """Help lists each command with its whole first paragraph, wrapped, never cut at 80
    columns with "..." (click shortens a summary to fit one line unless short_help is set)."""
    import inspect

    for info in group.registered_commands:
        doc = info.help if isinstance(info.help, str) else getattr(info.callback, "__doc__", None)
        if not info.short_help and doc:
            info.short_help = " ".join(inspect.cleandoc(doc).split("\n\n")[0].split())
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            whole_summaries(sub.typer_instance)


# Typer >= 0.29 vendors click privately; find its exception classes through public ones.
def _click_class(name: str) -> type[Exception]:
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == name)


_USAGE_ERROR = _click_class("UsageError")
_CLICK_EXCEPTION = _click_class("ClickException")


_GLOBAL_FLAGS = {"-q", "--quiet", "-v", "--verbose"}
_GLOBAL_VALUED = {"--config", "--report", "--wait"}


def _global_flag(arg: str) -> bool:
    """`-q`, `-v`, `--quiet`, `--verbose`, or a bundle of the short ones (`-qv`, `-vq`)."""
    return arg in _GLOBAL_FLAGS or (
        len(arg) > 2 and arg[0] == "-" and arg[1] != "-" and set(arg[1:]) <= {"q", "v"}
    )


def hoist_global_options(args: list[str]) -> list[str]:
    """SPEC §1: `-q`, `-v`, `--config`, `--report`, `--wait` are accepted after the command
    name too, alone or bundled; move them in front of it, where the root command parses them
    (nothing after `--`)."""
    front: list[str] = []
    rest: list[str] = []
    index = 0
    seen_command = False
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest.extend(args[index:])
            break
        name = arg.split("=", 1)[0]
        if seen_command and _global_flag(arg):
            front.append(arg)
        elif seen_command and name in _GLOBAL_VALUED:
            front.append(arg)
            if "=" not in arg and index + 1 < len(args):
                index += 1
                front.append(args[index])
        else:
            if not arg.startswith("-"):
                seen_command = True
            elif not seen_command and arg in _GLOBAL_VALUED:
                rest.append(arg)  # a global option before the command: keep it and its value
                if index + 1 < len(args):
                    index += 1
                    rest.append(args[index])
                index += 1
                continue
            rest.append(arg)
        index += 1
    return front + rest


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
    args = hoist_global_options(list(sys.argv[1:] if argv is None else argv))
    STATE.interrupt_reported = False
    try:
        code = app(args=args, prog_name="trakt-export", standalone_mode=False)
        if code == 130 and not STATE.interrupt_reported:
            # A signal after the command's body (click closing): typer turns it into a silent
            # 130 whether it was SIGINT or SIGTERM; say what happened and use the right code.
            code = interrupted(KeyboardInterrupt())
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
    except typer.Abort as exc:  # click turns a signal outside our commands' bodies into Abort
        sys.exit(interrupted(exc.__cause__ or exc))
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


whole_summaries(app)  # last: after every command and group is registered
