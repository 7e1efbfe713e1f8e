"""Bounded retries on tenacity (SPEC §4): what is retryable, how long to wait, when to give up.

Retried: 429, 500, 502, 503, 504, 520-524, timeouts, connection errors and resets, and 200
responses whose body is not the JSON expected (invalid JSON, an HTML page whatever its content
type, an object where a page of items is due). Other 4xx never; a POST (the single-use refresh
token) never. Our own wait follows `backoff` with full jitter, capped at `max_backoff_seconds`
(`backoff.py`); a server-requested wait (Retry-After, X-Ratelimit) up to `max_wait_seconds` is
waited out by the limiter for every worker, a longer one fails at once. Network failures feed
the circuit breaker (`circuit.py`).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
)

from trakt_export.errors import MalformedDataError, RateLimitError, TraktUnavailableError
from trakt_export.progress import NullObserver, Observer, RunStats
from trakt_export.transport.backoff import backoff_wait, wait_full_jitter
from trakt_export.transport.circuit import Circuit
from trakt_export.transport.ratelimit import server_wait, too_long

__all__ = [
    "ATTEMPTS",
    "IDEMPOTENT",
    "PARSED_JSON",
    "RETRY_STATUSES",
    "RetryPolicy",
    "RetryTransport",
    "RetryableResponse",
    "too_long",
    "unreachable",
]

log = logging.getLogger(__name__)

# response.extensions keys this layer writes (read by client.decode_json / error_for_status):
# the JSON body as parsed by the body check (parsed once), and how many tries were spent.
PARSED_JSON = "trakt_export_json"
ATTEMPTS = "trakt_export_attempts"

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
# Only these are safe to send twice; a POST (OAuth) is never repeated behind its owner's back.
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
# Errors of our own making: sending them again cannot help.
_PERMANENT = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)

# Why a 200 body is not the JSON expected (RetryableResponse.reason).
NOT_JSON = "invalid JSON (truncated body)"
HTML_PAGE = "an HTML page instead of JSON"
NOT_A_LIST = "a JSON object where a page of items is due"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Pure decisions: which outcomes are retryable and how long to back off."""

    max_attempts: int = 5
    max_backoff: float = 60.0
    backoff_strategy: str = "exponential"
    initial_backoff: float = 1.0
    backoff_factor: float = 2.0
    max_wait: float = 600.0  # longest server-requested wait honoured

    def status_reason(self, status: int) -> str | None:
        return f"HTTP {status}" if status in RETRY_STATUSES else None

    def exception_reason(self, exc: BaseException) -> str | None:
        if isinstance(exc, _PERMANENT) or not isinstance(exc, httpx.TransportError):
            return None
        if isinstance(exc, httpx.TimeoutException):
            return f"timeout ({type(exc).__name__})"
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__

    def checks_body(self, response: httpx.Response) -> bool:
        """Every 200 of a GET must carry the JSON expected, whatever its content type says."""
        return response.status_code == 200

    def body_reason(self, request: httpx.Request, response: httpx.Response) -> str | None:
        """None when the body is good JSON (kept parsed on the response), else why not."""
        content = response.content
        try:
            parsed: Any = json.loads(content)
        except ValueError:
            kind = response.headers.get("content-type", "")
            html = "html" in kind or content.lstrip()[:1] == b"<"
            return HTML_PAGE if html else NOT_JSON
        if "page" in request.url.params and not isinstance(parsed, list):
            return NOT_A_LIST
        # Kept on the response: decode_json reuses it, so each page is parsed once.
        response.extensions[PARSED_JSON] = parsed
        return None

    def backoff(self) -> wait_full_jitter:
        """Full jitter over the strategy's envelope, capped at `max_backoff`."""
        return backoff_wait(
            self.backoff_strategy, self.initial_backoff, self.backoff_factor, self.max_backoff
        )


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
        circuit: Circuit | None = None,
    ) -> None:
        self.inner = inner
        self.policy = policy
        self.sleep = sleep
        self.wall = wall or time.time
        self.observer = observer or NullObserver()
        self.stats = stats
        self.circuit = circuit or Circuit(math.inf)
        self._backoff = policy.backoff()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method not in IDEMPOTENT:
            return await self._send(request)  # once: a refresh token is single-use
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
            tries = self.policy.max_attempts
            if last.response.status_code == 429:
                raise RateLimitError(
                    f"Trakt kept answering 429 Too Many Requests ({tries} "
                    f"tries at {_where(request)}).",
                    "Wait a few minutes, then try again.",
                    retry_after=last.retry_after,
                ) from None
            if last.response.status_code == 200:
                raise _bad_body(request, last.reason, tries) from None
            # client.error_for_status turns it into exit 4, saying how often we tried
            last.response.extensions[ATTEMPTS] = tries
            return last.response
        except httpx.TransportError as exc:
            raise unreachable(request, exc) from exc
        raise AssertionError("unreachable: tenacity either returns or raises")

    async def _send(self, request: httpx.Request) -> httpx.Response:
        """One try through the circuit: network failures counted, answers reset the count."""
        ticket = self.circuit.ticket()
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.TransportError as exc:
            if self.policy.exception_reason(exc) is not None:
                self.circuit.failure(ticket, unreachable(request, exc))
            if request.method not in IDEMPOTENT:
                raise unreachable(request, exc) from exc
            raise
        self.circuit.success()
        return response

    async def _attempt(self, request: httpx.Request) -> httpx.Response:
        response = await self._send(request)
        reason = self.policy.status_reason(response.status_code)
        if reason is not None:
            await response.aread()
            await response.aclose()
            wait = None
            if response.status_code == 429 or "Retry-After" in response.headers:
                wait = server_wait(response, self.wall)
            if wait is not None and wait > self.policy.max_wait:
                raise too_long(wait, self.policy.max_wait, self.wall())
            raise RetryableResponse(response, reason, wait)
        if self.policy.checks_body(response):
            await response.aread()  # the body must be whole to tell a truncated one
            body = self.policy.body_reason(request, response)
            if body is not None:
                raise RetryableResponse(response, body, None)
        return response

    def _retryable(self, exc: BaseException) -> bool:
        return isinstance(exc, RetryableResponse) or self.policy.exception_reason(exc) is not None

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, RetryableResponse) and exc.retry_after is not None:
            if exc.response.status_code == 429:
                return 0.0  # the limiter holds every send until Retry-After has passed
            return exc.retry_after  # Trakt said how long (a 503's Retry-After)
        return float(self._backoff(state))

    async def _sleep(self, seconds: float) -> None:
        await self.sleep(seconds)
        self.circuit.check()  # opened meanwhile by another worker: stop now

    def _before_sleep(self, request: httpx.Request, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        reason: str | None = None
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        if isinstance(exc, RetryableResponse):
            reason = exc.reason
            if exc.retry_after is not None:
                wait = max(wait, exc.retry_after)
        elif exc is not None:
            reason = self.policy.exception_reason(exc)
        reason = reason or "unknown"
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


def _bad_body(request: httpx.Request, reason: str, tries: int) -> MalformedDataError:
    path = request.url.path
    if reason == HTML_PAGE:
        return MalformedDataError(
            f"Trakt sent an HTML page instead of JSON at {path} ({tries} tries; a Cloudflare "
            "challenge or a proxy in the way).",
            "Try again later; if it persists, check api_url and any proxy.",
        )
    if reason == NOT_A_LIST:
        return MalformedDataError(
            f"Trakt sent a JSON object where a page of items is due at {path} ({tries} tries).",
            "Try again later.",
        )
    return MalformedDataError(
        f"Trakt sent invalid JSON at {path} ({tries} tries).", "Try again later."
    )


def unreachable(request: httpx.Request, exc: Exception) -> TraktUnavailableError:
    url = request.url
    reason = str(exc) or type(exc).__name__
    return TraktUnavailableError(
        f"could not reach Trakt at {url.scheme}://{url.netloc.decode()}: {reason}",
        "Check your connection; try again later.",
    )
