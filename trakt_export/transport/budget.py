"""The rate-limit record in the data dir (SPEC §4): Trakt's budget is per account, so
consecutive runs (the nightly `movies`, `watchlist`, `backup`) share what was sent.

`ratelimit.log` holds one line per request sent (`send EPOCH`) and per server-requested pause
(`pause UNTIL`), wall-clock epoch seconds. A run loads the lines of the last window when its
limiter starts (and rewrites the file with only those), then appends a line per send. Every
read and write holds an flock on the file. A missing, corrupt or foreign file is read as far as
it makes sense (unreadable lines are skipped); an unusable data dir costs one warning and the
run goes on without the record.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

BUDGET_FILE = "ratelimit.log"
HEADER = "# trakt-export rate-limit record: 'send EPOCH' per request, 'pause UNTIL' per pause\n"
# A pause further ahead than this is not Trakt's (45 min have been seen): a broken record.
LONGEST_PAUSE = 24 * 3600.0


@dataclass(slots=True)
class Record:
    """What the file says about the last window (wall-clock epoch seconds)."""

    sends: list[float] = field(default_factory=list)
    paused_until: float | None = None


def parse(lines: Iterable[str], now: float, window: float) -> Record:
    """The sends of the last `window` before `now` (a stamp in the future counts as now; one
    more than a window ahead is a broken clock or file and is dropped) and the latest pause
    still running."""
    record = Record()
    for line in lines:
        parts = line.split()
        if len(parts) < 2 or parts[0] not in ("send", "pause"):
            continue
        try:
            stamp = float(parts[1])
        except ValueError:
            continue
        if stamp != stamp or stamp in (float("inf"), float("-inf")):
            continue
        if parts[0] == "send":
            if now - window < stamp <= now + window:
                record.sends.append(min(stamp, now))
        elif now < stamp <= now + LONGEST_PAUSE:
            record.paused_until = max(record.paused_until or stamp, stamp)
    record.sends.sort()
    return record


class BudgetStore:
    """The record file; every method is safe to call after a failure (it then does nothing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._broken = False
        self.appended = 0  # lines appended since the file was last rewritten

    def load(self, now: float, window: float) -> Record:
        """Open (creating it), read the last window, and rewrite the file with only that."""
        if self._broken:
            return Record()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
            with self._locked() as fd:
                text = _read_all(fd).decode("utf-8", errors="replace")
                record = parse(text.splitlines(), now, window)
                self._rewrite(fd, record)
            return record
        except OSError as exc:
            self._fail(exc)
            return Record()

    def rewrite(self, record: Record) -> None:
        """Replace the file's lines by `record` (keeps the file small on long runs)."""
        if self._fd is None:
            return
        try:
            with self._locked() as fd:
                self._rewrite(fd, record)
        except OSError as exc:
            self._fail(exc)

    def sent(self, stamp: float) -> None:
        self._append(f"send {stamp:.3f}\n")

    def paused(self, until: float) -> None:
        self._append(f"pause {until:.3f}\n")

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    # ----- internals ------------------------------------------------------------------------

    def _append(self, line: str) -> None:
        if self._fd is None:
            return
        try:
            with self._locked() as fd:
                os.write(fd, line.encode())
            self.appended += 1
        except OSError as exc:
            self._fail(exc)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[int]:
        assert self._fd is not None
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield self._fd
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _rewrite(self, fd: int, record: Record) -> None:
        lines = [HEADER, *(f"send {stamp:.3f}\n" for stamp in record.sends)]
        if record.paused_until is not None:
            lines.append(f"pause {record.paused_until:.3f}\n")
        os.ftruncate(fd, 0)
        os.write(fd, "".join(lines).encode())  # O_APPEND: written at the (new) end
        self.appended = 0

    def _fail(self, exc: OSError) -> None:
        if not self._broken:
            log.warning(
                "cannot keep the rate-limit record %s (%s); this run does not know what "
                "earlier runs sent.",
                self.path,
                exc.strerror or exc,
            )
        self._broken = True
        self.close()


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)
