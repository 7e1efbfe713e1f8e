"""Carries out the one retry decision (`policy.decide`) on tenacity, as a transport layer.

Retried: 429, 500, 502, 503, 504, 520-524, timeouts, connection errors and resets, and 200
responses whose body is not the JSON expected (invalid JSON, an HTML page whatever its content
type, an object where a page of items is due). Other 4xx never; a POST (the single-use refresh
token) never. Tenacity runs the loop: its `retry` hook asks `decide` once per try (attempt,
seconds since the first send, outcome), its `wait` is the decision's. A 429's wait is the
limiter's (it holds every worker until Retry-After has passed), so our own sleep is then zero.
When the decision is to give up, the last outcome becomes the domain error saying why and when
to retry. Network failures feed the circuit breaker (`circuit.py`).
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState

from trakt_export.errors import (
    MalformedDataError,
    RateLimitError,
    TraktExportError,
    TraktUnavailableError,
)
from trakt_export.progress import NullObserver, Observer
from trakt_export.transport.circuit import Circuit
from trakt_export.transport.extensions import ATTEMPTS, PARSED_JSON
from trakt_export.transport.policy import (
    IDEMPOTENT,
    RETRY_STATUSES,
    Decision,
    GiveUp,
    Outcome,
    Retry,
    RetryPolicy,
    decide,
)
from trakt_export.transport.ratelimit import server_wait, too_long

__all__ = [
    "IDEMPOTENT",
    "RETRY_STATUSES",
    "RetryPolicy",
    "RetryTransport",
    "RetryableResponse",
    "unreachable",
]

log = logging.getLogger(__name__)

# Why a 200 body is not the JSON expected (RetryableResponse.reason).
NOT_JSON = "invalid JSON (truncated body)"
HTML_PAGE = "an HTML page instead of JSON"
NOT_A_LIST = "a JSON object where a page of items is due"


def body_reason(request: httpx.Request, response: httpx.Response) -> str | None:
    """Every 200 of a GET must carry the JSON expected, whatever its content type says: None
    when it does (the parsed body is kept on the response), else why not."""
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


class RetryableResponse(Exception):
    """A response worth another try, carried through tenacity as an exception."""

    def __init__(self, response: httpx.Response, reason: str, retry_after: float | None) -> None:
        super().__init__(reason)
        self.response = response
        self.reason = reason
        self.retry_after = retry_after


class _Request:
    """One request's retrying: the decision of each try, asked once, answers every hook."""

    def __init__(self, owner: RetryTransport, request: httpx.Request) -> None:
        self.owner = owner
        self.request = request
        self.started = owner.clock()
        self.decisions: dict[int, Decision] = {}
        self.tries = 0

    def outcome(self, state: RetryCallState) -> Outcome:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, RetryableResponse):
            return Outcome(exc.reason, exc.retry_after)
        return Outcome(None if exc is None else self.owner.policy.exception_reason(exc))

    def decision(self, state: RetryCallState) -> Decision:
        attempt = state.attempt_number
        if attempt not in self.decisions:
            owner = self.owner
            self.tries = attempt
            elapsed = owner.clock() - self.started
            self.decisions[attempt] = decide(
                owner.policy, attempt, elapsed, self.outcome(state), owner.rng.random()
            )
        return self.decisions[attempt]

    def last(self) -> Decision:
        return self.decisions.get(self.tries, GiveUp("final"))

    def retry(self, state: RetryCallState) -> bool:
        return isinstance(self.decision(state), Retry)

    def wait(self, state: RetryCallState) -> float:
        """Tenacity's sleep before the next try: the decision's, except after a 429, whose
        Retry-After the limiter already holds every send for."""
        decision = self.decision(state)
        assert isinstance(decision, Retry)
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, RetryableResponse) and exc.response.status_code == 429:
            return 0.0 if exc.retry_after is not None else decision.after
        return decision.after

    def before_sleep(self, state: RetryCallState) -> None:
        decision = self.decision(state)
        wait = decision.after if isinstance(decision, Retry) else 0.0
        reason = self.outcome(state).reason or "unknown"
        owner = self.owner
        owner.observer.retrying(state.attempt_number, wait, reason)
        log.debug(
            "retry %d/%d of %s in %.1f s: %s",
            state.attempt_number,
            owner.policy.max_attempts,
            _where(self.request),
            wait,
            reason,
        )

    def elapsed(self) -> float:
        return self.owner.clock() - self.started


class RetryTransport(httpx.AsyncBaseTransport):
    """Retries idempotent requests per `policy.decide`; ends as a response or a domain error."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        policy: RetryPolicy,
        *,
        sleep: Callable[[float], Awaitable[object]],
        wall: Callable[[], float] | None = None,
        clock: Callable[[], float] | None = None,
        observer: Observer | None = None,
        circuit: Circuit | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.inner = inner
        self.policy = policy
        self.sleep = sleep
        self.wall = wall or time.time
        self.clock = clock or time.monotonic  # measures max_retry_seconds
        self.observer = observer or NullObserver()
        self.circuit = circuit or Circuit(math.inf)
        self.rng = rng or random.Random()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method not in IDEMPOTENT:
            return await self._send(request)  # once: a refresh token is single-use
        one = _Request(self, request)
        retrying = AsyncRetrying(
            retry=one.retry,
            wait=one.wait,
            sleep=self._sleep,
            before_sleep=one.before_sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(request)
        except RetryableResponse as last:
            return self._given_up(one, last)
        except httpx.TransportError as exc:
            decision = one.last()
            if isinstance(decision, GiveUp) and decision.why == "time":
                reason = self.policy.exception_reason(exc) or type(exc).__name__
                raise self._out_of_time(one, decision, reason) from exc
            raise unreachable(request, exc) from exc
        raise AssertionError("unreachable: tenacity either returns or raises")

    def _given_up(self, one: _Request, last: RetryableResponse) -> httpx.Response:
        """The last response once the decision is to give up: an error, or the response."""
        decision = one.last()
        request, tries = one.request, one.tries
        assert isinstance(decision, GiveUp)
        if decision.why == "too_long":
            assert decision.wait is not None
            raise too_long(decision.wait, self.policy.max_wait, self.wall())
        if decision.why == "time":
            raise self._out_of_time(one, decision, last.reason, last.response.status_code)
        if last.response.status_code == 429:
            raise RateLimitError(
                f"Trakt kept answering 429 Too Many Requests ({tries} tries at {_where(request)}).",
                "Wait a few minutes, then try again.",
                retry_after=last.retry_after,
            )
        if last.response.status_code == 200:
            raise _bad_body(request, last.reason, tries)
        # client.error_for_status turns it into exit 4, saying how often we tried
        last.response.extensions[ATTEMPTS] = tries
        return last.response

    def _out_of_time(
        self, one: _Request, decision: GiveUp, reason: str, status: int | None = None
    ) -> TraktExportError:
        """Retrying would pass max_retry_seconds: exit 4 now, naming when to try again."""
        wait = decision.wait or 0.0
        until = datetime.fromtimestamp(self.wall() + wait, UTC).strftime("%H:%M")
        message = (
            f"Trakt kept failing at {_where(one.request)} ({reason}; {_tries(one.tries)} in "
            f"{one.elapsed():.0f} s); waiting {wait:.0f} s more would pass max_retry_seconds "
            f"({self.policy.max_retry:g})."
        )
        hint = f"Try again after {until} UTC (or raise [network] max_retry_seconds)."
        if status == 429:
            return RateLimitError(message, hint, retry_after=wait)
        return TraktUnavailableError(message, hint)

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
            raise RetryableResponse(response, reason, wait)
        if response.status_code == 200:
            await response.aread()  # the body must be whole to tell a truncated one
            body = body_reason(request, response)
            if body is not None:
                raise RetryableResponse(response, body, None)
        return response

    async def _sleep(self, seconds: float) -> None:
        await self.sleep(seconds)
        self.circuit.check()  # opened meanwhile by another worker: stop now

    async def aclose(self) -> None:
        await self.inner.aclose()


def _tries(count: int) -> str:
    return "1 try" if count == 1 else f"{count} tries"


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
