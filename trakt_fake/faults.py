"""Fault injection for the fake: failures, resets, truncated bodies, 429s and Trakt's rate limit,
plus the real-Trakt fetching behaviours (see `cloudflare` and `paging`), all off by default.

Everything is deterministic: counters, or random draws from a generator seeded by the caller.
Per request the server asks `Faults`, in this order: `take_drop`; `edge` (Cloudflare: the
account budget, then redirects, then the 200 HTML challenge; API paths only); `early` (forced
429, `fail_next`, `error_rate`, the token-bucket `rate_limit`); while building a listing page
`page_plan` (hidden and duplicated items); on the finished response `finish` (pagination
headers, exhausted `X-Ratelimit`), `truncate` and `missing`; after answering `due_mutations`
(callbacks of `mutate_after`); the loopback server finally asks `take_trickle`. Time comes from
the fake's injected clock, never from the wall.
"""

from __future__ import annotations

import json
import math
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from trakt_fake.cloudflare import (
    ACCOUNT_LIMIT,
    ACCOUNT_PERIOD,
    ACCOUNT_RETRY_AFTER,
    Html,
    SlidingBudget,
    challenge,
    redirect,
)
from trakt_fake.paging import AbsurdCount, HiddenItems, PageRules
from trakt_fake.records import iso

DEFAULT_ERROR_STATUSES = (500, 502, 503, 504, 520, 521, 522)

# What an edge proxy (Cloudflare/nginx) sends: HTML, not Trakt's JSON.
_HTML_STATUSES = frozenset({502, 504, 520, 521, 522, 523, 524})
_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    520: "Web server is returning an unknown error",
    521: "Web server is down",
    522: "Connection timed out",
    523: "Origin is unreachable",
    524: "A timeout occurred",
}


@dataclass(frozen=True, slots=True)
class Early:
    """A response decided before routing: (status, extra headers, body, content type)."""

    status: int
    headers: dict[str, str]
    body: bytes
    content_type: str
    kind: str = ""  # which fault answered ("budget", "challenge", ...); counted in Stats


def error_response(status: int) -> Early:
    reason = _REASONS.get(status, "Error")
    if status in _HTML_STATUSES:
        cf = " | Cloudflare" if status >= 520 else ""
        html = (
            f"<html><head><title>{status} {reason}{cf}</title></head><body>{reason}</body></html>"
        )
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
            self._budget: SlidingBudget | None = None
            self._redirects: list[tuple[int, int, str | None]] = []  # [remaining, status, to]
            self._challenge_n = 0
            self._challenge_p = 0.0
            self._challenge_rng = random.Random(0)
            self._challenge_lying = False
            self._pages = PageRules()
            self._mutations: list[tuple[int, Callable[[], object], str | None]] = []
            self._trickle: tuple[float, int | None, str | None] | None = None

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

    # ----- real-Trakt fetching behaviours (cloudflare.py, paging.py) --------------------------

    def account_budget(
        self,
        limit: int = ACCOUNT_LIMIT,
        period: float = ACCOUNT_PERIOD,
        retry_after: int = ACCOUNT_RETRY_AFTER,
    ) -> None:
        """Trakt's 2026 budget: `limit` GETs per sliding `period` seconds per account (every
        token of a user; public requests per API key). The request over budget and every call
        of the account for `retry_after` seconds after it get Cloudflare's HTML 429 with
        `Retry-After` (the seconds left) and no `X-Ratelimit`. Independent of `rate_limit`."""
        with self._lock:
            self._budget = SlidingBudget(limit, period, retry_after)

    def redirect_next(self, n: int, status: int = 301, location: str | None = None) -> None:
        """The next n API requests get `status` with `Location` (default: the same path and
        query on https://trakt.tv) and a small HTML body."""
        with self._lock:
            self._redirects.append((n, status, location))

    def html_challenge(
        self, n: int = 0, rate: float = 0.0, seed: int = 0, lying: bool = False
    ) -> None:
        """The next n API requests, then each with probability `rate`, get Cloudflare's `200`
        challenge page: HTML typed `text/html`, or `application/json` when `lying`."""
        with self._lock:
            self._challenge_n = n
            self._challenge_p = rate
            self._challenge_rng = random.Random(seed)
            self._challenge_lying = lying

    def overcount(self, path: str, hidden: int = 1, at: int | None = None) -> None:
        """Listing `path` never serves `hidden` items (consecutive from position `at` of its
        order, default the middle) but keeps counting them in `X-Pagination-Item-Count`."""
        with self._lock:
            self._pages.hidden[path.rstrip("/") or "/"] = HiddenItems(hidden, at)

    def duplicate_across_pages(self, path: str, page: int = 1, keep_all: bool = False) -> None:
        """Page `page + 1` of `path` starts with the last item of page `page` (see `paging`)."""
        with self._lock:
            self._pages.duplicates[path.rstrip("/") or "/"] = (page, keep_all)

    def absurd_page_count(
        self, page_count: int = 100_000, consistent: bool = True, path_prefix: str | None = None
    ) -> None:
        """Listings announce `X-Pagination-Page-Count: page_count` (and, when `consistent`, an
        item count of page_count * limit; else the real one). Pages past the data are `[]`."""
        with self._lock:
            self._pages.absurd = AbsurdCount(page_count, consistent, path_prefix)

    def strip_pagination(self, path_prefix: str | None = None) -> None:
        """Remove every `X-Pagination-*` header (a proxy dropping custom headers)."""
        with self._lock:
            self._pages.strip.append(path_prefix)

    def exhausted_ratelimit(self, n: int | None = None, until_in: int = 3600) -> None:
        """Add Trakt's `X-Ratelimit` JSON with `remaining: 0` and `until` `until_in` seconds
        ahead to the next n successful responses (all of them when n is None)."""
        with self._lock:
            self._pages.exhausted = [n]
            self._pages.exhausted_until_in = until_in

    def mutate_after(
        self, n_requests: int, callback: Callable[[], object], path_prefix: str | None = None
    ) -> None:
        """Run `callback` once, right after the n-th following request whose path starts with
        `path_prefix` (any path if None) has been answered; see `fake.mutations` for ready-made
        callbacks (new plays, a rewatch, a deletion)."""
        if n_requests < 1:
            raise ValueError("n_requests counts from 1")
        with self._lock:
            self._mutations.append((n_requests, callback, path_prefix))

    def trickle(
        self, interval: float, n: int | None = None, path_prefix: str | None = None
    ) -> None:
        """Loopback server only: the body of the next n responses (all when None) whose path
        starts with `path_prefix` goes out one byte every `interval` seconds (real sleeps in
        the server thread). The in-process transport ignores it."""
        with self._lock:
            self._trickle = (interval, n, path_prefix)

    # ----- used by the server ---------------------------------------------------------------

    def edge(self, method: str, path: str, account: str, query: str = "") -> Early | None:
        """Cloudflare's answer for an API request of `account`, if any (budget, redirect,
        challenge, in that order)."""
        with self._lock:
            if self._budget is not None:
                refused = self._budget.check(account, method, self._clock())
                if refused is not None:
                    return Early(*_fields(refused))
            if self._redirects:
                left, status, location = self._redirects[0]
                if left <= 1:
                    del self._redirects[0]
                else:
                    self._redirects[0] = (left - 1, status, location)
                target = f"https://trakt.tv{path}" + (f"?{query}" if query else "")
                return Early(*_fields(redirect(status, location or target)))
            hit = False
            if self._challenge_n > 0:
                self._challenge_n -= 1
                hit = True
            elif self._challenge_p > 0 and self._challenge_rng.random() < self._challenge_p:
                hit = True
            if hit:
                return Early(*_fields(challenge(self._challenge_lying)))
        return None

    def page_plan(
        self, path: str, page: int, limit: int, entries: Sequence[object], served: int
    ) -> tuple[int, int, frozenset[int]]:
        """The slice [start, stop) of `entries` page `page` serves, and positions to skip."""
        with self._lock:
            return self._pages.plan(path, page, limit, entries, served)

    def finish(self, path: str, response: httpx.Response, authed: bool) -> httpx.Response:
        """The response with pagination / `X-Ratelimit` header knobs applied."""
        with self._lock:
            return self._pages.finish(path, response, self._clock, authed)

    def due_mutations(self, path: str) -> list[Callable[[], object]]:
        """Callbacks whose request count this answered request completes."""
        due: list[Callable[[], object]] = []
        with self._lock:
            kept: list[tuple[int, Callable[[], object], str | None]] = []
            for left, callback, prefix in self._mutations:
                if prefix is None or path.startswith(prefix):
                    left -= 1
                if left <= 0:
                    due.append(callback)
                else:
                    kept.append((left, callback, prefix))
            self._mutations = kept
        return due

    def take_trickle(self, path: str) -> float | None:
        """Seconds between body bytes for this loopback response, or None to send it at once."""
        with self._lock:
            if self._trickle is None:
                return None
            interval, left, prefix = self._trickle
            if prefix is not None and not path.startswith(prefix):
                return None
            if left is not None:
                self._trickle = None if left <= 1 else (interval, left - 1, prefix)
            return interval

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


def _fields(html: Html) -> tuple[int, dict[str, str], bytes, str, str]:
    return html.status, html.headers, html.body, html.content_type, html.kind
