"""The run's one client-side rate limiter (sliding window, shared pause on 429) and its transport.

Every real send acquires here first, so all workers share one budget; a 429's `Retry-After`
(or an exhausted `X-Ratelimit`) pauses every worker until that moment has passed.
"""

from __future__ import annotations

import asyncio
import collections
import json
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from email.utils import parsedate_to_datetime

import httpx

from trakt_export.progress import RunStats

Sleep = Callable[[float], Awaitable[object]]
Clock = Callable[[], float]

# Extra room on every window edge: the server counts arrivals, and arrivals can bunch up a
# little after the client released them (latency jitter, clock skew).
WINDOW_MARGIN = 0.01  # fraction of the window


class RateLimiter:
    """At most `requests_per_window` sends in any `window_seconds` (bursts up to the budget).

    A sliding window never exceeds the budget in any window, so it also stays inside a
    server-side token bucket of the same size (Trakt: 1000 GET per 300 s).
    """

    def __init__(
        self,
        requests_per_window: int,
        window_seconds: float,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        wall: Clock | None = None,
    ) -> None:
        self.budget = max(int(requests_per_window), 1)
        self.window = max(float(window_seconds), 0.0) * (1 + WINDOW_MARGIN)
        self.clock: Clock = clock or time.monotonic
        self.sleep: Sleep = sleep or asyncio.sleep
        # Wall time, only to turn X-Ratelimit's absolute `until` into a delay.
        self.wall: Clock = wall or time.time
        self.paused_until = float("-inf")
        self._sent: collections.deque[float] = collections.deque()
        self._lock = asyncio.Lock()

    def pause_until(self, moment: float) -> None:
        """No send leaves before `moment` (limiter clock); pauses only ever extend."""
        self.paused_until = max(self.paused_until, moment)

    def pause_for(self, seconds: float) -> None:
        self.pause_until(self.clock() + max(seconds, 0.0))

    async def acquire(self) -> None:
        """Wait until a send is allowed, then record it. Waiters queue in FIFO order."""
        async with self._lock:
            while True:
                now = self.clock()
                if now < self.paused_until:
                    await self.sleep(self.paused_until - now)
                    continue
                horizon = now - self.window
                while self._sent and self._sent[0] <= horizon:
                    self._sent.popleft()
                if len(self._sent) < self.budget:
                    self._sent.append(now)
                    return
                await self.sleep(self._sent[0] - horizon)

    def observe(self, response: httpx.Response) -> None:
        """Read Trakt's rate-limit headers: a 429's Retry-After, or X-Ratelimit at zero."""
        if response.status_code == 429:
            wait = retry_after_seconds(response, self.wall)
            if wait is not None:
                self.pause_for(wait)
                return
        until = _ratelimit_until(response)
        if until is not None:
            self.pause_for(until - self.wall())


def retry_after_seconds(response: httpx.Response, wall: Clock | None = None) -> float | None:
    """`Retry-After` as seconds from now (delta-seconds or an HTTP date); None when absent."""
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return max(float(raw), 0.0)
    except ValueError:
        pass
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
        stats: RunStats | None = None,
    ) -> None:
        self.inner = inner
        self.limiter = limiter
        self.stats = stats

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self.limiter.acquire()
        if self.stats is not None:
            self.stats.requests += 1
        response = await self.inner.handle_async_request(request)
        self.limiter.observe(response)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
