"""Fault injection for the fake: failures, resets, truncated bodies, 429s and Trakt's rate limit.

Everything is deterministic: counters, or random draws from a generator seeded by the caller.
The server asks `Faults` once per request (`early`), then about the finished response
(`truncate`, `missing`). Time comes from the fake's injected clock, never from the wall.
"""

from __future__ import annotations

import json
import math
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from trakt_export.fake.records import iso

DEFAULT_ERROR_STATUSES = (500, 502, 503, 504, 520, 521, 522)

# What an edge proxy (Cloudflare/nginx) sends: HTML, not Trakt's JSON.
_HTML_STATUSES = frozenset({502, 504, 520, 521, 522})
_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    520: "Web server is returning an unknown error",
    521: "Web server is down",
    522: "Connection timed out",
}


@dataclass(frozen=True, slots=True)
class Early:
    """A response decided before routing: (status, extra headers, body, content type)."""

    status: int
    headers: dict[str, str]
    body: bytes
    content_type: str


def error_response(status: int) -> Early:
    reason = _REASONS.get(status, "Error")
    if status in _HTML_STATUSES:
        html = f"<html><head><title>{status} {reason}</title></head><body>{reason}</body></html>"
        return Early(status, {}, html.encode(), "text/html; charset=UTF-8")
    body = json.dumps({"error": reason.lower().replace(" ", "_"), "error_description": reason})
    return Early(status, {}, body.encode(), "application/json; charset=utf-8")


def too_many(retry_after: int, limit: int, period: int, until: datetime, authed: bool) -> Early:
    """Trakt's 429: Retry-After in whole seconds and the X-Ratelimit JSON header."""
    ratelimit = {
        "name": "AUTHED_API_GET_LIMIT" if authed else "UNAUTHED_API_GET_LIMIT",
        "period": period,
        "limit": limit,
        "remaining": 0,
        "until": iso(until),
    }
    headers = {
        "Retry-After": str(retry_after),
        "X-Ratelimit": json.dumps(ratelimit, separators=(",", ":")),
    }
    body = b'{"error":"rate_limit_exceeded","error_description":"Rate Limit Exceeded"}'
    return Early(429, headers, body, "application/json; charset=utf-8")


class _Bucket:
    __slots__ = ("stamp", "tokens")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens = tokens
        self.stamp = stamp


class Faults:
    """Switches for misbehaviour; `clear()` turns everything off."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.clear()

    # ----- public switches ------------------------------------------------------------------

    def clear(self) -> None:
        with self._lock:
            self._fail: list[tuple[int, int, str | None]] = []  # [remaining, status, prefix]
            self._error_p = 0.0
            self._error_statuses: Sequence[int] = DEFAULT_ERROR_STATUSES
            self._error_rng = random.Random(0)
            self._truncate_p = 0.0
            self._truncate_rng = random.Random(0)
            self._drops = 0
            self._forced_429 = 0
            self._forced_retry_after = 10
            self._limit: tuple[int, int] | None = None
            self._buckets: dict[str, _Bucket] = {}
            self._under: dict[str, int] = {}

    def fail_next(self, n: int, status: int = 503, path_prefix: str | None = None) -> None:
        """The next n requests (whose path starts with path_prefix, if given) get `status`."""
        with self._lock:
            self._fail.append((n, status, path_prefix))

    def error_rate(
        self, p: float, statuses: Sequence[int] = DEFAULT_ERROR_STATUSES, seed: int = 0
    ) -> None:
        """Each request fails with probability p, with a status drawn from `statuses`."""
        with self._lock:
            self._error_p = p
            self._error_statuses = tuple(statuses)
            self._error_rng = random.Random(seed)

    def truncate_rate(self, p: float, seed: int = 0) -> None:
        """Each 200 response has its JSON body cut in half with probability p."""
        with self._lock:
            self._truncate_p = p
            self._truncate_rng = random.Random(seed)

    def drop_next(self, n: int) -> None:
        """The next n requests lose their connection while the body is being sent."""
        with self._lock:
            self._drops += n

    def force_429(self, n: int, retry_after: int = 10) -> None:
        """The next n requests get 429 with `Retry-After: retry_after`."""
        with self._lock:
            self._forced_429 += n
            self._forced_retry_after = retry_after

    def rate_limit(self, limit: int = 1000, period: int = 300) -> None:
        """A token bucket per user (token) or client like Trakt's: `limit` requests per `period`
        seconds, refilled continuously; an empty bucket answers 429."""
        with self._lock:
            self._limit = (limit, period)
            self._buckets = {}

    def underdeliver(self, path: str, missing: int = 1) -> None:
        """Requests for exactly `path` get `missing` fewer items than their headers announce."""
        with self._lock:
            self._under[path.rstrip("/") or "/"] = missing

    # ----- used by the server ---------------------------------------------------------------

    def take_drop(self) -> bool:
        with self._lock:
            if self._drops > 0:
                self._drops -= 1
                return True
            return False

    def early(self, path: str, bucket: str | None, authed: bool) -> Early | None:
        """A fault response for this request, if any. `bucket` is None when not rate-limited."""
        with self._lock:
            if self._forced_429 > 0:
                self._forced_429 -= 1
                wait = self._forced_retry_after
                limit, period = self._limit or (1000, 300)
                until = datetime.fromtimestamp(self._clock() + wait, UTC)
                return too_many(wait, limit, period, until, authed)
            for i, (left, status, prefix) in enumerate(self._fail):
                if prefix is None or path.startswith(prefix):
                    if left <= 1:
                        del self._fail[i]
                    else:
                        self._fail[i] = (left - 1, status, prefix)
                    return error_response(status)
            if self._error_p > 0 and self._error_rng.random() < self._error_p:
                return error_response(self._error_rng.choice(list(self._error_statuses)))
            if self._limit is not None and bucket is not None:
                return self._spend(bucket, authed)
        return None

    def _spend(self, key: str, authed: bool) -> Early | None:
        assert self._limit is not None
        limit, period = self._limit
        now = self._clock()
        state = self._buckets.get(key)
        if state is None:
            state = self._buckets[key] = _Bucket(float(limit), now)
        rate = limit / period
        state.tokens = min(float(limit), state.tokens + (now - state.stamp) * rate)
        state.stamp = now
        if state.tokens >= 1.0:
            state.tokens -= 1.0
            return None
        wait = max(1, math.ceil((1.0 - state.tokens) / rate))
        return too_many(wait, limit, period, datetime.fromtimestamp(now + wait, UTC), authed)

    def truncate(self) -> bool:
        with self._lock:
            return self._truncate_p > 0 and self._truncate_rng.random() < self._truncate_p

    def missing(self, path: str) -> int:
        with self._lock:
            return self._under.get(path, 0)
