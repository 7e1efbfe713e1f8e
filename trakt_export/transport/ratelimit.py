"""The run's one client-side rate limiter (sliding window, shared pause on 429) and its transport.

Every real send acquires here first, so all workers share one budget; a 429's `Retry-After`
(or an exhausted `X-Ratelimit`) pauses every worker until that moment has passed. The sends and
pauses are kept in the data dir (`budget.BudgetStore`), so the next run starts knowing them.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import httpx

from trakt_export.errors import RateLimitError
from trakt_export.progress import NullObserver, Observer

if TYPE_CHECKING:
    from trakt_export.transport.budget import BudgetStore

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[object]]
Clock = Callable[[], float]

# Extra room on every window edge: the server counts arrivals, and arrivals can bunch up a
# little after the client released them (latency jitter, clock skew).
WINDOW_MARGIN = 0.01  # fraction of the window
# Waits up to this long are not worth telling the observer about.
MOMENT = 1.0
# Trakt's real GET budget per account (TRAKT-REALITY.md): more per window earns 429s.
TRAKT_BUDGET = 500
# Trakt's write limit (AUTHED_API_POST_LIMIT, TRAKT-REALITY.md "Writes"): 1 write per second.
WRITE_LIMIT = (1, 1.0)


class RateLimiter:
    """At most `requests_per_window` sends in any `window_seconds` (a sliding log of sends).

    Every interval of `window_seconds` holds at most the budget, so the limiter also stays
    inside a server-side sliding window or token bucket of the same size. Pauses asked for by
    the server hold every send until they end; one longer than `max_wait` fails the send at
    once (exit 4, saying when to retry).
    """

    def __init__(
        self,
        requests_per_window: int,
        window_seconds: float,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        wall: Clock | None = None,
        *,
        max_wait: float = math.inf,
        observer: Observer | None = None,
        store: BudgetStore | None = None,
    ) -> None:
        self.budget = max(int(requests_per_window), 1)
        self.window = max(float(window_seconds), 0.0) * (1 + WINDOW_MARGIN)
        self.clock: Clock = clock or time.monotonic
        self.sleep: Sleep = sleep or asyncio.sleep
        # Wall time, to turn X-Ratelimit's absolute `until` into a delay and for the record.
        self.wall: Clock = wall or time.time
        self.max_wait = max_wait
        self.observer: Observer = observer or NullObserver()
        self.store = store
        self.paused_until = float("-inf")
        self.pause_reason = ""
        self._reported = float("-inf")  # the pause end last told to the observer
        self._sent: collections.deque[float] = collections.deque()
        self._lock = asyncio.Lock()
        self._loaded = store is None

    def pause_until(self, moment: float, reason: str = "") -> None:
        """No send leaves before `moment` (limiter clock); pauses only ever extend."""
        if moment > self.paused_until:
            self.paused_until = moment
            self.pause_reason = reason
            if self.store is not None:
                self.store.paused(self._to_wall(moment))

    def pause_for(self, seconds: float, reason: str = "") -> None:
        self.pause_until(self.clock() + max(seconds, 0.0), reason)

    async def acquire(self) -> None:
        """Wait until a send is allowed, then record it. Waiters queue in FIFO order."""
        async with self._lock:
            self._load()
            while True:
                now = self.clock()
                if now < self.paused_until:
                    left = self.paused_until - now
                    if left > self.max_wait:
                        raise blocked(left, self.max_wait, self.wall(), self.pause_reason)
                    self._report(self.paused_until, self.pause_reason or "rate limit")
                    await self.sleep(left)
                    continue
                horizon = now - self.window
                while self._sent and self._sent[0] <= horizon:
                    self._sent.popleft()
                if len(self._sent) < self.budget:
                    self._sent.append(now)
                    self._record(now)
                    return
                wait = self._sent[0] - horizon
                if wait > MOMENT:
                    self._report(
                        now + wait,
                        f"client-side limit: {self.budget} requests per "
                        f"{self.window / (1 + WINDOW_MARGIN):g} s",
                    )
                await self.sleep(wait)

    def observe(self, response: httpx.Response) -> None:
        """Read Trakt's rate-limit headers: a 429's Retry-After, or X-Ratelimit at zero."""
        if response.status_code == 429:
            wait = retry_after_seconds(response, self.wall)
            if wait is not None:
                self.pause_for(wait, f"Trakt answered 429 with Retry-After {wait:.0f} s")
                return
        until = _ratelimit_until(response)
        if until is not None:
            self.pause_for(until - self.wall(), "Trakt's X-Ratelimit: no requests left")

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    # ----- internals ------------------------------------------------------------------------

    def _to_wall(self, moment: float) -> float:
        return moment - self.clock() + self.wall()

    def _load(self) -> None:
        """The record of earlier runs: their sends of the last window and a running pause."""
        if self._loaded or self.store is None:
            return
        self._loaded = True
        offset = self.clock() - self.wall()
        record = self.store.load(self.wall(), self.window)
        known = sorted([*(stamp + offset for stamp in record.sends), *self._sent])
        self._sent = collections.deque(known[-self.budget :])
        if record.paused_until is not None and record.paused_until + offset > self.paused_until:
            self.paused_until = record.paused_until + offset
            self.pause_reason = "a limit met by an earlier run"
        if record.sends:
            log.debug("rate-limit record: %d requests sent in the last window", len(record.sends))

    def _record(self, now: float) -> None:
        if self.store is None:
            return
        self.store.sent(self._to_wall(now))
        if self.store.appended > 4 * self.budget:
            from trakt_export.transport.budget import Record

            paused = self.paused_until if self.paused_until > now else None
            self.store.rewrite(
                Record(
                    [self._to_wall(t) for t in self._sent],
                    None if paused is None else self._to_wall(paused),
                )
            )

    def _report(self, until: float, reason: str) -> None:
        if until - self.clock() <= MOMENT or until <= self._reported:
            return
        self._reported = until
        # the -v line of the pause is the observer's (metrics.MetricsObserver), written once
        self.observer.paused(self._to_wall(until), reason)


def too_long(wait: float, cap: float, now: float) -> RateLimitError:
    """A server-requested wait beyond `max_wait_seconds`: fail now, naming the time to retry."""
    until = datetime.fromtimestamp(now + wait, UTC).strftime("%H:%M")
    return RateLimitError(
        f"Trakt asks to wait {wait:.0f} s (until {until} UTC), longer than "
        f"max_wait_seconds ({cap:g}).",
        f"Try again after {until} UTC (or raise [network] max_wait_seconds).",
        retry_after=wait,
    )


def blocked(left: float, cap: float, now: float, reason: str) -> RateLimitError:
    """A pause already in force (this run's or an earlier one's) outlasting `max_wait`."""
    until = datetime.fromtimestamp(now + left, UTC).strftime("%H:%M")
    why = f"; {reason}" if reason else ""
    return RateLimitError(
        f"Trakt's rate limit holds every request for {left:.0f} s more (until {until} UTC"
        f"{why}), longer than max_wait_seconds ({cap:g}).",
        f"Try again after {until} UTC (or raise [network] max_wait_seconds).",
        retry_after=left,
    )


def server_wait(response: httpx.Response, wall: Clock | None = None) -> float | None:
    """Seconds the server asks us to wait: `Retry-After`, else an exhausted X-Ratelimit."""
    wait = retry_after_seconds(response, wall)
    if wait is not None:
        return wait
    until = _ratelimit_until(response)
    if until is None:
        return None
    return max(until - (wall or time.time)(), 0.0)


def retry_after_seconds(response: httpx.Response, wall: Clock | None = None) -> float | None:
    """`Retry-After` as seconds from now (delta-seconds or an HTTP date); None when absent."""
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if not math.isnan(seconds) else None
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    return max(when.timestamp() - (wall or time.time)(), 0.0)


def _ratelimit_until(response: httpx.Response) -> float | None:
    """Epoch seconds of X-Ratelimit's `until` when its `remaining` is 0, else None."""
    raw = response.headers.get("X-Ratelimit")
    if not raw:
        return None
    try:
        info = json.loads(raw)
        if not isinstance(info, dict) or int(info.get("remaining", 1)) > 0:
            return None
        stamp = str(info["until"]).replace("Z", "+00:00")
        return datetime.fromisoformat(stamp).timestamp()
    except (ValueError, KeyError, TypeError):
        return None


class RateLimitTransport(httpx.AsyncBaseTransport):
    """Innermost layer of ours: acquire, send for real (counted), read the limit headers."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        limiter: RateLimiter,
        writes: RateLimiter | None = None,
    ) -> None:
        self.inner = inner
        self.limiter = limiter
        self.writes = writes  # Trakt's own budget for POST/PUT/DELETE: 1 per second

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        # Writes have their own budget at Trakt (1 per second), apart from the GET budget.
        limiter = self.limiter
        if self.writes is not None and request.method not in ("GET", "HEAD"):
            limiter = self.writes
        await limiter.acquire()
        response = await self.inner.handle_async_request(request)
        limiter.observe(response)
        return response

    async def aclose(self) -> None:
        try:
            await self.inner.aclose()
        finally:
            self.limiter.close()
