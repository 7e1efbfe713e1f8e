"""The circuit breaker of SPEC §4 (`failure_threshold`): a dead server stops the run at once.

Network failures (connection refused or reset, timeouts) are counted across all workers; an
answer of any status resets the count. Requests in flight together count as one failure: each
attempt takes a ticket (the current epoch) when it starts, and only the first failure of an
epoch counts and starts the next one. Once the count reaches the threshold the circuit is open:
every attempt about to start (a retry after its backoff, a new request) fails at once with the
error of the failure that opened it, and the run ends with exit 4.
"""

from __future__ import annotations

import logging

from trakt_export.errors import TraktUnavailableError

log = logging.getLogger(__name__)


class CircuitOpen(TraktUnavailableError):
    """The circuit is open: `threshold` network failures in a row (exit 4)."""


class Circuit:
    def __init__(self, threshold: float) -> None:
        self.threshold = max(threshold, 1)
        self.failures = 0
        self.epoch = 0
        self._opened: tuple[str, str | None] | None = None

    @property
    def is_open(self) -> bool:
        return self._opened is not None

    def ticket(self) -> int:
        """Before an attempt: raises when the circuit is open, else the attempt's ticket."""
        self.check()
        return self.epoch

    def check(self) -> None:
        if self._opened is not None:
            raise CircuitOpen(*self._opened)

    def success(self) -> None:
        """Trakt answered (whatever the status): the server is reachable."""
        self.failures = 0

    def failure(self, ticket: int, error: TraktUnavailableError) -> None:
        """A network failure of the attempt holding `ticket`; raises when it opens the circuit."""
        self.check()
        if ticket != self.epoch:
            return  # it was in flight with a failure already counted
        self.epoch += 1
        self.failures += 1
        if self.failures < self.threshold:
            return
        hint = (
            f"Stopped after {self.failures} network failures in a row "
            "([network] failure_threshold). Check your connection; try again later."
        )
        self._opened = (error.message, hint)
        log.debug("circuit open after %d network failures: %s", self.failures, error.message)
        raise CircuitOpen(*self._opened)
