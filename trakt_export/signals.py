"""SIGINT and SIGTERM: one way to stop (an exception the CLI maps to 130/143), and a way to
hold them while a set of files is being swapped into place (SPEC §5 "Atomic writes", §6).

`held()` is reusable by anything that must not be interrupted half-way (a split set's renames,
the backup swap): signals arriving inside are recorded and re-raised once the block is done.

`placed(paths)` records that a new output is complete and in place, so that a signal arriving
after that moment (inside the held swap, before or after the summary line) is reported truly:
the new output is complete, not "previous outputs are intact" (issue 21 step 9).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

HELD = (signal.SIGINT, signal.SIGTERM)


class Terminated(KeyboardInterrupt):
    """SIGTERM (cron, systemd, `timeout`): unwinds like Ctrl-C, so every `finally` runs (lock
    released, temporary files removed); the CLI exits 143 instead of 130."""


_TERMINATED: list[bool] = []


def terminated() -> bool:
    """Whether this process received SIGTERM (the CLI then exits 143, not 130)."""
    return bool(_TERMINATED)


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM becomes a SIGINT, so it stops the run exactly as Ctrl-C does (inside asyncio.run:
    the main task is cancelled cleanly, rather than an exception raised at a random point)."""
    _TERMINATED.append(True)
    if callable(signal.getsignal(signal.SIGINT)):
        signal.raise_signal(signal.SIGINT)
    else:  # SIGINT ignored (a background job) or default: stop all the same
        raise Terminated()


_PLACED: list[Path] = []


def placed(paths: list[Path] | tuple[Path, ...]) -> None:
    """A new output (these files, or a backup directory) is complete and in place."""
    _PLACED.extend(paths)


def new_run() -> None:
    """Forget the outputs of an earlier run in this process (the CLI calls it per command)."""
    _PLACED.clear()


def outputs_placed() -> list[Path]:
    """The outputs this run has put in place, in order (empty: nothing was replaced)."""
    return list(_PLACED)


def install_terminate() -> None:
    """Make SIGTERM raise Terminated in the main thread (the CLI calls this once)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)


@contextlib.contextmanager
def held(signums: tuple[int, ...] = HELD) -> Iterator[list[int]]:
    """Defer `signums` until the block ends, then deliver the first one that arrived (its
    previous handler runs: KeyboardInterrupt, Terminated, or the default action)."""
    if threading.current_thread() is not threading.main_thread():
        yield []  # only the main thread receives signals in Python
        return
    received: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = {signum: signal.signal(signum, hold) for signum in signums}
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if received:
            signal.raise_signal(received[0])


PAUSE_ENV = "TRAKT_EXPORT_TEST_PAUSE"
PAUSE_FILE_ENV = "TRAKT_EXPORT_TEST_PAUSE_FILE"


def checkpoint(name: str) -> None:
    """TEST-ONLY hook: with TRAKT_EXPORT_TEST_PAUSE=name and TRAKT_EXPORT_TEST_PAUSE_FILE=path,
    the run creates `path` at the named point and waits (at most 30 s) until it is removed, so
    a test can send a signal at an exact moment. Inert unless both variables are set."""
    if os.environ.get(PAUSE_ENV) != name or not os.environ.get(PAUSE_FILE_ENV):
        return
    marker = Path(os.environ[PAUSE_FILE_ENV])
    marker.write_text(str(os.getpid()))
    deadline = time.monotonic() + 30
    while marker.exists() and time.monotonic() < deadline:
        time.sleep(0.005)
