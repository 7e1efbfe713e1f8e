"""Run metrics, collected once: the transport stack feeds one `Metrics` per run, per endpoint;
it is also what the summary line counts (requests, cache hits, retries).

Two thin transports wrap the stack (see client.build_client):

    MetricsTransport (outermost)   endpoint of the request in a context variable, cache hits
      Cache -> Retry -> RateLimit
        SendMetricsTransport       every real send: status, latency, bytes, 429s, attempt

and `MetricsObserver` wraps the run's progress observer to count retries (by reason) and time
paused, per endpoint. The same figures feed `-v` (one debug line per request, pause and retry),
the summary line and `--report PATH` (`run/report.py`). Latency percentiles are computed from every
sample (nearest-rank), never estimated.
"""

from __future__ import annotations

import collections
import contextvars
import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from trakt_export.transport.extensions import ATTEMPT, PARSED_JSON, from_cache

if TYPE_CHECKING:
    from trakt_export.progress import Observer

log = logging.getLogger(__name__)

_ENDPOINT: contextvars.ContextVar[str] = contextvars.ContextVar("trakt_export_endpoint", default="")
_ID_AFTER = {"users", "movies", "shows", "people", "lists"}
_SECRET_QUERY = re.compile(r"(?i)(token|secret|code|password)=[^&]*")


def endpoint_of(path: str) -> str:
    """The endpoint a path belongs to, ids replaced: `/movies/42/people` -> `/movies/{id}/people`.
    `/users/NAME/...` keeps the listing apart from the account name."""
    parts = path.strip("/").split("/")
    out: list[str] = []
    for index, part in enumerate(parts):
        previous = parts[index - 1] if index else ""
        last = index == len(parts) - 1
        if part.isdigit() or (previous in _ID_AFTER and not last and previous != part):
            out.append("{user}" if previous == "users" else "{id}")
        else:
            out.append(part)
    return "/" + "/".join(out)


@dataclass(slots=True)
class EndpointMetrics:
    """The figures of one endpoint over a run."""

    requests: int = 0  # real sends answered (every attempt; a send cancelled in flight is not)
    cache_hits: int = 0
    retries: collections.Counter[str] = field(default_factory=collections.Counter)
    rate_limited: int = 0  # 429 answers
    paused_seconds: float = 0.0
    bytes: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    announced: int | None = None  # X-Pagination-Item-Count (last seen)
    served: int = 0  # items in the JSON lists that were served (network or cache)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "cache_hits": self.cache_hits,
            "retries": dict(sorted(self.retries.items())),
            "rate_limited": self.rate_limited,
            "paused_seconds": round(self.paused_seconds, 3),
            "bytes": self.bytes,
            "latency_ms": {
                "p50": percentile(self.latencies_ms, 50),
                "p95": percentile(self.latencies_ms, 95),
                "max": round(max(self.latencies_ms), 3) if self.latencies_ms else None,
            },
            "items_announced": self.announced,
            "items_served": self.served,
        }


def percentile(samples: list[float], pct: float) -> float | None:
    """Nearest-rank percentile of every sample (None without samples)."""
    if not samples:
        return None
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return round(ordered[rank - 1], 3)


class Metrics:
    """One run's collector, per endpoint."""

    def __init__(self, wall: Callable[[], float] | None = None) -> None:
        self.endpoints: dict[str, EndpointMetrics] = {}
        self.wall: Callable[[], float] = wall or time.time
        self.date_only_plays = 0  # plays at exactly 00:00 UTC, action watch (SPEC §5 v2.2)

    def of(self, endpoint: str | None = None) -> EndpointMetrics:
        name = endpoint if endpoint is not None else (_ENDPOINT.get() or "(other)")
        figures = self.endpoints.get(name)
        if figures is None:
            figures = self.endpoints[name] = EndpointMetrics()
        return figures

    @property
    def talked_to_trakt(self) -> bool:
        return bool(self.endpoints)

    def total(self, name: str) -> int:
        if name == "retries":
            return sum(sum(f.retries.values()) for f in self.endpoints.values())
        return sum(int(getattr(f, name)) for f in self.endpoints.values())

    def as_dict(self) -> dict[str, Any]:
        return {name: self.endpoints[name].as_dict() for name in sorted(self.endpoints)}

    # The summary line's three figures, from the one collector of the run.
    @property
    def requests(self) -> int:
        """Real sends answered (network or the fake), every attempt."""
        return self.total("requests")

    @property
    def cache_hits(self) -> int:
        return self.total("cache_hits")

    @property
    def retries(self) -> int:
        return self.total("retries")


def _shown_path(url: httpx.URL) -> str:
    query = url.query.decode("ascii", "replace")
    query = _SECRET_QUERY.sub(lambda m: f"{m.group(1)}=***", query)
    return url.path + (f"?{query}" if query else "")


class MetricsTransport(httpx.AsyncBaseTransport):
    """Outermost: names the request's endpoint for the layers below, counts cache hits and the
    items served; logs a cache hit under -v."""

    def __init__(self, inner: httpx.AsyncBaseTransport, metrics: Metrics) -> None:
        self.inner = inner
        self.metrics = metrics

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        endpoint = endpoint_of(request.url.path)
        token = _ENDPOINT.set(endpoint)
        try:
            response = await self.inner.handle_async_request(request)
        finally:
            _ENDPOINT.reset(token)
        figures = self.metrics.of(endpoint)
        if from_cache(response):
            figures.cache_hits += 1
            log.debug(
                "%s %s %d (cache hit)",
                request.method,
                _shown_path(request.url),
                response.status_code,
            )
        count = response.headers.get("X-Pagination-Item-Count")
        if count is not None and count.strip().isdigit():
            figures.announced = int(count)
        parsed = response.extensions.get(PARSED_JSON)
        if isinstance(parsed, list) and response.status_code == 200:
            figures.served += len(parsed)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class SendMetricsTransport(httpx.AsyncBaseTransport):
    """Innermost, around every real send: status, latency, bytes, 429s, attempt number; one
    `-v` line per request (method, path with query, status, ms, cache miss, attempt). Never a
    header: the bearer token and client secret are never logged."""

    def __init__(self, inner: httpx.AsyncBaseTransport, metrics: Metrics) -> None:
        self.inner = inner
        self.metrics = metrics

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        attempt = int(request.extensions.get(ATTEMPT, 0)) + 1
        request.extensions[ATTEMPT] = attempt
        figures = self.metrics.of(endpoint_of(request.url.path))
        started = time.perf_counter()
        try:
            response = await self.inner.handle_async_request(request)
        except Exception as exc:  # answered by a failure: counted (a cancelled send is not)
            ms = (time.perf_counter() - started) * 1000
            figures.requests += 1
            figures.latencies_ms.append(ms)
            log.debug(
                "%s %s failed: %s (%.0f ms, attempt %d)",
                request.method,
                _shown_path(request.url),
                type(exc).__name__,
                ms,
                attempt,
            )
            raise
        await response.aread()
        ms = (time.perf_counter() - started) * 1000
        figures.requests += 1
        figures.latencies_ms.append(ms)
        figures.bytes += len(response.content)
        if response.status_code == 429:
            figures.rate_limited += 1
        log.debug(
            "%s %s %d %.0f ms (cache miss, attempt %d)",
            request.method,
            _shown_path(request.url),
            response.status_code,
            ms,
            attempt,
        )
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class MetricsObserver:
    """Wraps the run's progress observer: counts retries (by reason) and pauses per endpoint,
    logs each pause under -v, and passes everything on."""

    def __init__(self, inner: Observer, metrics: Metrics) -> None:
        self.inner = inner
        self.metrics = metrics

    def start(self, endpoint: str, total_pages: int) -> None:
        self.inner.start(endpoint, total_pages)

    def advance(self, endpoint: str, pages: int = 1) -> None:
        self.inner.advance(endpoint, pages)

    def retrying(self, attempt: int, wait: float, reason: str) -> None:
        figures = self.metrics.of()
        figures.retries[_reason_key(reason)] += 1
        figures.paused_seconds += max(wait, 0.0)
        self.inner.retrying(attempt, wait, reason)

    def paused(self, until: float, reason: str) -> None:
        seconds = max(until - self.metrics.wall(), 0.0)
        self.metrics.of().paused_seconds += seconds
        moment = time.strftime("%H:%M:%S", time.localtime(until))
        log.debug("pause until %s (%.1f s): %s", moment, seconds, reason)
        self.inner.paused(until, reason)

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()


def _reason_key(reason: str) -> str:
    """A stable key for a retry reason: its leading status or exception name."""
    return reason.split(" (")[0].strip() or "unknown"


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 cache hit`, `2 cache hits`, `0 retries`."""
    if count == 1:
        return f"{count} {word}"
    return f"{count} {many or word + 's'}"


def duration(seconds: float) -> str:
    """A short human duration: `45 s`, `12 min`, `23 h`, `3 days`."""
    seconds = abs(seconds)
    if seconds < 90:
        return f"{int(seconds)} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 48 * 3600:
        return f"{round(seconds / 3600)} h"
    return plural(round(seconds / 86400), "day")


def summary_tail(stats: Metrics, warnings: int, elapsed: float) -> str:
    """`5 HTTP requests, 1 cache hit, 0 retries, 0 warnings, 0.3 s.` (the summary line's end)."""
    return (
        f"{plural(stats.requests, 'HTTP request')}, {plural(stats.cache_hits, 'cache hit')}, "
        f"{plural(stats.retries, 'retry', 'retries')}, {plural(warnings, 'warning')}, "
        f"{elapsed:.1f} s."
    )
