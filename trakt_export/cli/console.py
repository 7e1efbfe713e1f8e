"""Where messages go: stderr console, verbosity, and the one place errors become exit codes.

stdout carries only data (CSV with `-o -`, JSON with `--json`); everything else is stderr.
"""

from __future__ import annotations

import functools
import logging
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import typer

from trakt_export.errors import TraktExportError

if TYPE_CHECKING:
    from trakt_export.config import Settings
    from trakt_export.transport.metrics import Metrics

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(slots=True)
class CliState:
    """Global options of the root command, shared with every subcommand via ctx.obj."""

    config_path: Path | None = None
    quiet: bool = False
    verbose: bool = False
    report_path: Path | None = None  # --report PATH (report.py)
    metrics: Metrics | None = None  # the run's collector (metrics.py)
    warnings: WarningCounter | None = None  # counts warning records for the summary line
    settings: Settings | None = None  # the settings the command resolved (for the run record)
    interrupt_reported: bool = False  # interrupted() said why the run stopped


STATE = CliState()


def say(message: str) -> None:
    """An informational line on stderr (suppressed by --quiet)."""
    if not STATE.quiet:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()


class WarningCounter(logging.Handler):
    """Counts the warning records of a run (the summary line's `N warnings`)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno == logging.WARNING:
            self.count += 1


WARNING_LEAD = "Warning: "
_OTHER_LEADS = ("Warning:", "Note:")


def warning_line(text: str) -> str:
    """SPEC §1: every warning is one line starting `Warning:`, whatever lead the core gave it
    (none, `Note:`, or `Warning:` already)."""
    for lead in _OTHER_LEADS:
        if text.startswith(lead):
            text = text[len(lead) :].lstrip()
            break
    return WARNING_LEAD + text


class _StderrHandler(logging.Handler):
    """The core's log records as plain lines on stderr (whatever sys.stderr is right now);
    warnings get their `Warning:` prefix here, once for all."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            if record.levelno == logging.WARNING:
                line = warning_line(line)
            sys.stderr.write(line + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


def configure_logging(*, quiet: bool, verbose: bool) -> None:
    """The core logs through `logging` (a logger per module under `trakt_export`); the CLI
    decides what reaches stderr: errors only with -q, everything with -v, else warnings."""
    root = logging.getLogger("trakt_export")
    for handler in list(root.handlers):
        if isinstance(handler, _StderrHandler):
            root.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.ERROR if quiet else logging.DEBUG if verbose else logging.WARNING)


def error_lines(lines: list[str]) -> None:
    for line in lines:
        sys.stderr.write(line + "\n")
    sys.stderr.flush()


def interrupted(exc: BaseException) -> int:
    """The message and exit code of SIGINT (130) or SIGTERM (143, SPEC §6)."""
    from trakt_export.signals import Terminated, outputs_placed
    from trakt_export.signals import terminated as got_sigterm

    STATE.interrupt_reported = True
    terminated = isinstance(exc, Terminated) or got_sigterm()
    what = "Terminated" if terminated else "Interrupted"
    done = outputs_placed()
    if done:  # the signal came after the new output was in place (issue 21 step 9)
        error_lines([f"{what}: the new output is complete ({_where(done)}); it was written "
                     "before the signal."])  # fmt: skip
    else:
        error_lines([f"{what}: nothing partial was written; previous outputs are intact."])
    return 143 if terminated else 130


def _where(paths: list[Path]) -> str:
    """One path, or the first and last of several and how many (a split set, lists)."""
    if len(paths) == 1:
        return str(paths[0])
    return f"{paths[0]} … {paths[-1]}, {len(paths)} files"


def guarded(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a command body, mapping every failure to its exit code with a short message."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except TraktExportError as exc:
            error_lines(exc.lines())
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt as exc:
            raise typer.Exit(interrupted(exc)) from None
        except BrokenPipeError:  # stdout's reader went away (`| head`): a quiet end (SPEC §6)
            from trakt_export.output import silence_stdout

            silence_stdout()
            raise typer.Exit(0) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:  # the only place a traceback may appear, and only with -v
            if STATE.verbose:
                traceback.print_exc()
            error_lines(
                [
                    f"Internal error: {type(exc).__name__}: {exc}",
                    "This is a bug in trakt-export; run again with -v and report the traceback.",
                ]
            )
            raise typer.Exit(1) from None

    return wrapper
