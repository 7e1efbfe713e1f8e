"""Bounded retries on tenacity (SPEC §4): what is retryable, how long to wait, when to give up.

Retried: 429, 500, 502, 503, 504, 520-522, timeouts, connection errors and resets, and 200
responses whose JSON body does not parse. Other 4xx never. Backoff is exponential with full
jitter, capped at `max_backoff`; a Retry-After is honoured (a longer one fails fast).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from trakt_export.errors import MalformedDataError, RateLimitError, TraktUnavailableError
from trakt_export.progress import NullObserver, Observer, RunStats
from trakt_export.ratelimit import retry_after_seconds

log = logging.getLogger(__name__)

# response.extensions keys this layer writes (read by client.decode_json / error_for_status):
# the JSON body as parsed by the body check (parsed once), and how many tries were spent.
PARSED_JSON = "trakt_export_json"
ATTEMPTS = "trakt_export_attempts"

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522})
# Only these are safe to send twice; a POST (OAuth) is never repeated behind its owner's back.
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
# Errors of our own making: sending them again cannot help.
_PERMANENT = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Pure decisions: which outcomes are retryable and how long to back off."""

    max_attempts: int = 5
    max_backoff: float = 60.0

    def status_reason(self, status: int) -> str | None:
        return f"HTTP {status}" if status in RETRY_STATUSES else None

    def exception_reason(self, exc: BaseException) -> str | None:
        if isinstance(exc, _PERMANENT) or not isinstance(exc, httpx.TransportError):
            return None
        if isinstance(exc, httpx.TimeoutException):
            return f"timeout ({type(exc).__name__})"
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__

    def checks_body(self, response: httpx.Response) -> bool:
        """A 200 JSON answer is only good once its body parses: a cut one is worth a retry."""
        return response.status_code == 200 and "json" in response.headers.get("content-type", "")

    def backoff(self) -> wait_random_exponential:
        """Full jitter: uniform in [0, min(2 ** (try - 1), max_backoff)] seconds."""
        return wait_random_exponential(multiplier=1, max=self.max_backoff)


class RetryableResponse(Exception):
    """A response worth another try, carried through tenacity as an exception."""

    def __init__(self, response: httpx.Response, reason: str, retry_after: float | None) -> None:
        super().__init__(reason)
        self.response = response
        self.reason = reason
        self.retry_after = retry_after


class RetryTransport(httpx.AsyncBaseTransport):
    """Retries idempotent requests per the policy; ends as a response or a domain error."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        policy: RetryPolicy,
        *,
        sleep: Callable[[float], Awaitable[object]],
        wall: Callable[[], float] | None = None,
        observer: Observer | None = None,
        stats: RunStats | None = None,
    ) -> None:
        self.inner = inner
        self.policy = policy
        self.sleep = sleep
        self.wall = wall or time.time
        self.observer = observer or NullObserver()
        self.stats = stats
        self._backoff = policy.backoff()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method not in IDEMPOTENT:
            try:
                return await self.inner.handle_async_request(request)
            except httpx.TransportError as exc:
                raise unreachable(request, exc) from exc
        retrying = AsyncRetrying(
            stop=stop_after_attempt(max(self.policy.max_attempts, 1)),
            wait=self._wait,
            retry=retry_if_exception(self._retryable),
            sleep=self._sleep,
            before_sleep=lambda state: self._before_sleep(request, state),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(request)
        except RetryableResponse as last:
            if last.response.status_code == 429:
                raise RateLimitError(
                    f"Trakt kept answering 429 Too Many Requests ({self.policy.max_attempts} "
                    f"tries at {_where(request)}).",
                    "Wait a few minutes, then try again.",
                    retry_after=last.retry_after,
                ) from None
            if last.response.status_code == 200:
                raise MalformedDataError(
                    f"Trakt sent invalid JSON at {request.url.path} "
                    f"({self.policy.max_attempts} tries).",
                    "Try again later.",
                ) from None
            # client.error_for_status turns it into exit 4, saying how often we tried
            last.response.extensions[ATTEMPTS] = self.policy.max_attempts
            return last.response
        except httpx.TransportError as exc:
            raise unreachable(request, exc) from exc
        raise AssertionError("unreachable: tenacity either returns or raises")

    async def _attempt(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        reason = self.policy.status_reason(response.status_code)
        if reason is not None:
            await response.aread()
            await response.aclose()
            wait = retry_after_seconds(response, self.wall)
            if wait is not None and wait > self.policy.max_backoff:
                raise too_long(wait, self.policy.max_backoff, self.wall())
            raise RetryableResponse(response, reason, wait)
        if self.policy.checks_body(response):
            await response.aread()  # the body must be whole to tell a truncated one
            try:
                # Kept on the response: decode_json reuses it, so each page is parsed once.
                response.extensions[PARSED_JSON] = json.loads(response.content)
            except ValueError:
                raise RetryableResponse(response, "invalid JSON (truncated body)", None) from None
        return response

    def _retryable(self, exc: BaseException) -> bool:
        return isinstance(exc, RetryableResponse) or self.policy.exception_reason(exc) is not None

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, RetryableResponse) and exc.retry_after is not None:
            return exc.retry_after  # Trakt said how long; the limiter pauses everyone as well
        return float(self._backoff(state))

    async def _sleep(self, seconds: float) -> None:
        await self.sleep(seconds)

    def _before_sleep(self, request: httpx.Request, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        reason: str | None = None
        if isinstance(exc, RetryableResponse):
            reason = exc.reason
        elif exc is not None:
            reason = self.policy.exception_reason(exc)
        reason = reason or "unknown"
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        if self.stats is not None:
            self.stats.retries += 1
        self.observer.retrying(state.attempt_number, wait, reason)
        log.debug(
            "retry %d/%d of %s in %.1f s: %s",
            state.attempt_number,
            self.policy.max_attempts,
            _where(request),
            wait,
            reason,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


def _where(request: httpx.Request) -> str:
    """Method and path with the query (never headers, so never a token)."""
    query = request.url.query.decode()
    return f"{request.method} {request.url.path}" + (f"?{query}" if query else "")


def unreachable(request: httpx.Request, exc: Exception) -> TraktUnavailableError:
    url = request.url
    reason = str(exc) or type(exc).__name__
    return TraktUnavailableError(
        f"could not reach Trakt at {url.scheme}://{url.netloc.decode()}: {reason}",
        "Check your connection; try again later.",
    )


def too_long(wait: float, cap: float, now: float) -> RateLimitError:
    until = datetime.fromtimestamp(now + wait, UTC).strftime("%H:%M")
    return RateLimitError(
        f"Trakt asks to wait {wait:.0f} s (until {until} UTC), longer than "
        f"max_backoff_seconds ({cap:g}).",
        f"Try again after {until} UTC (or raise [network] max_backoff_seconds).",
        retry_after=wait,
    )
