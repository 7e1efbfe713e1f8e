"""The one retry decision (SPEC §4 Retries; §2 `max_attempts`, `max_wait_seconds`,
`max_retry_seconds`): `decide(policy, attempt, elapsed, outcome, draw)` is a pure function
returning `Retry(after)` or `GiveUp(why)`; `retry.RetryTransport` only carries it out.

Bounded twice: by tries (`max_attempts`) and by time (`max_retry_seconds`, counted from the
request's first send with every wait included: ours, the server's, the limiter's, the sends).
A server-requested wait (Retry-After, X-Ratelimit) longer than `max_wait_seconds` gives up at
once; any wait that would end past the time bound gives up now instead of waiting first, and
says how long it would have been, so the message can name when to retry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import httpx

from trakt_export.transport.backoff import bound, full_jitter

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
# Only these are safe to send twice; a POST (OAuth) is never repeated behind its owner's back.
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
# Errors of our own making: sending them again cannot help.
_PERMANENT = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """The `[network]` keys that shape retrying, and which outcomes are worth another try."""

    max_attempts: int = 5
    max_backoff: float = 60.0
    backoff_strategy: str = "exponential"
    initial_backoff: float = 1.0
    backoff_factor: float = 2.0
    max_wait: float = 600.0  # longest server-requested wait honoured
    max_retry: float = 900.0  # the most one request spends retrying, waits included

    def status_reason(self, status: int) -> str | None:
        return f"HTTP {status}" if status in RETRY_STATUSES else None

    def exception_reason(self, exc: BaseException) -> str | None:
        if isinstance(exc, _PERMANENT) or not isinstance(exc, httpx.TransportError):
            return None
        if isinstance(exc, httpx.TimeoutException):
            return f"timeout ({type(exc).__name__})"
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__

    def backoff(self, attempt: int, draw: float) -> float:
        """Our own wait after try `attempt`: full jitter under the strategy's capped envelope."""
        longest = bound(
            self.backoff_strategy,
            self.initial_backoff,
            self.backoff_factor,
            self.max_backoff,
            attempt,
        )
        return full_jitter(longest, draw)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one try ended, as far as retrying cares."""

    reason: str | None  # why another try may help; None: it cannot (an error of our own)
    server_wait: float | None = None  # seconds the server asked for (Retry-After, X-Ratelimit)


@dataclass(frozen=True, slots=True)
class Retry:
    after: float  # seconds from now until the next try


GiveUpWhy = Literal["final", "too_long", "attempts", "time"]


@dataclass(frozen=True, slots=True)
class GiveUp:
    """`final`: not retryable; `too_long`: the server's wait is beyond `max_wait`; `attempts`:
    `max_attempts` tries spent; `time`: the next try would start past `max_retry`."""

    why: GiveUpWhy
    wait: float | None = None  # the wait that was due: a new try makes sense after it


Decision = Retry | GiveUp


def decide(
    policy: RetryPolicy, attempt: int, elapsed: float, outcome: Outcome, draw: float
) -> Decision:
    """After try `attempt` (1, 2, ...) ended with `outcome`, `elapsed` seconds after the first
    send: retry after how long, or give up. `draw` is a uniform random number in [0, 1)."""
    if outcome.reason is None:
        return GiveUp("final")
    wait = outcome.server_wait
    if wait is not None and wait > policy.max_wait:
        return GiveUp("too_long", wait)
    if attempt >= policy.max_attempts:
        return GiveUp("attempts", wait)
    if wait is None:
        wait = policy.backoff(attempt, draw)
    if elapsed + wait > policy.max_retry:
        return GiveUp("time", wait)
    return Retry(wait)
