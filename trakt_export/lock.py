"""RunLock: one export per data directory (SPEC §4), as an advisory flock on `export.lock`.

The kernel drops a flock when its process dies, so a lock left by a killed run never blocks the
next one; the pid written into the file only makes the message more helpful.

`--wait SECONDS` (SPEC §4 v2.2) is a process-wide choice made once by the CLI (`wait_policy`):
every writer takes the lock through `RunLock(path)`, so none of them has to pass it along.
A waiting run polls the lock (a blocking flock could not be given up at the deadline) and
sleeps in the main thread, so SIGINT/SIGTERM end the wait at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from trakt_export.errors import LockHeldError, OutputError

POLL_SECONDS = 0.1  # how often a waiting run tries the lock again


@dataclass(slots=True)
class WaitPolicy:
    """How long a run waits for another's lock (0: not at all), and where it says so."""

    seconds: float = 0.0
    notice: Callable[[str], None] | None = None


_POLICY = WaitPolicy()


def wait_policy(seconds: float, notice: Callable[[str], None] | None = None) -> None:
    """Set how long every later RunLock of this process waits (the CLI's `--wait`)."""
    _POLICY.seconds = max(0.0, seconds)
    _POLICY.notice = notice


def open_lock_file(path: Path) -> int:
    """A descriptor for an advisory lock file (created 0600 with its directory)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise OutputError(
            f"cannot create the lock file {path}: {exc.strerror}.",
            "Check that TRAKT_EXPORT_HOME (or the data directory) is writable.",
        ) from None


def _seconds(value: float) -> str:
    return f"{value:g} s"


class RunLock:
    """`with RunLock(path):` holds the lock, waiting for it up to `wait` seconds (default: the
    process's `wait_policy`), or raises LockHeldError (exit 5)."""

    def __init__(
        self,
        path: Path,
        wait: float | None = None,
        *,
        notice: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self.path = path
        self.wait = _POLICY.seconds if wait is None else wait
        self.notice = notice if notice is not None else _POLICY.notice
        self._clock = clock
        self._sleep = sleep
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        fd = open_lock_file(self.path)
        try:
            self._acquire(fd)
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def _acquire(self, fd: int) -> None:
        deadline = self._clock() + self.wait
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            holder = _read_pid(fd)
            who = f"(pid {holder}) " if holder else ""
            left = deadline - self._clock()
            if left <= 0:
                if self.wait > 0:
                    raise LockHeldError(
                        f"another trakt-export run {who}still held the lock {self.path} "
                        f"after waiting {_seconds(self.wait)}.",
                        "Try again once it has finished, or wait longer with --wait SECONDS.",
                    ) from None
                raise LockHeldError(
                    f"another trakt-export run {who}holds the lock {self.path}.",
                    "Wait for it to finish and try again, or pass --wait SECONDS "
                    "(a crashed run releases the lock itself).",
                ) from None
            if not told and self.notice is not None:
                self.notice(
                    f"Waiting up to {_seconds(self.wait)} for another trakt-export run "
                    f"{who}to finish (lock {self.path})."
                )
            told = True
            self._sleep(min(POLL_SECONDS, left))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _read_pid(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return text if text.isdigit() else ""
