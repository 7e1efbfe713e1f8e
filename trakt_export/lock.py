"""RunLock: one export per data directory (SPEC §4), as an advisory flock on `export.lock`.

The kernel drops a flock when its process dies, so a lock left by a killed run never blocks the
next one; the pid written into the file only makes the message more helpful.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

from trakt_export.errors import LockHeldError, OutputError


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


class RunLock:
    """`with RunLock(path):` holds the lock or raises LockHeldError (exit 5) at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        fd = open_lock_file(self.path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"(pid {holder}) " if holder else ""
            raise LockHeldError(
                f"another trakt-export run {who}holds the lock {self.path}.",
                "Wait for it to finish and try again (a crashed run releases the lock itself).",
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

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
