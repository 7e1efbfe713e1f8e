"""Builds the one httpx.AsyncClient of a run and turns HTTP outcomes into domain errors.

Transport stack (outermost first): Cache -> Retry -> RateLimit -> Deadline -> network (or the
fake), so cache hits cost no rate-limit token, every retry pays one, and `timeout_seconds`
bounds each send in total.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal

import httpx

from trakt_export import USER_AGENT
from trakt_export.config import Settings
from trakt_export.errors import (
    AuthError,
    MalformedDataError,
    TraktExportError,
    TraktUnavailableError,
    UsageError,
)
from trakt_export.progress import NullObserver, Observer
from trakt_export.transport.extensions import ATTEMPTS, PARSED_JSON

if TYPE_CHECKING:
    from trakt_export.transport.metrics import Metrics

log = logging.getLogger(__name__)

CacheMode = Literal["use", "refresh", "off"]  # --no-cache: off, --refresh: refresh
CACHE_MODES: tuple[CacheMode, ...] = ("use", "refresh", "off")


def api_headers(settings: Settings) -> dict[str, str]:
    """The headers of SPEC §3 that every request to Trakt carries (bearer aside)."""
    return {
        "trakt-api-key": settings.trakt.client_id,
        "trakt-api-version": "2",
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


def build_client(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    auth: httpx.Auth | None = None,
    observer: Observer | None = None,
    cache_mode: CacheMode = "use",
    sleep: Callable[[float], Awaitable[object]] | None = None,
    clock: Callable[[], float] | None = None,
    metrics: Metrics | None = None,
) -> httpx.AsyncClient:
    """The run's client over the full stack. `sleep`/`clock` are injected by tests so nothing
    really waits; an injected clock also serves as wall time (tests use epoch-like values)."""
    from trakt_export.transport.budget import BUDGET_FILE, BudgetStore
    from trakt_export.transport.cache import APICache, CacheTransport, cache_directory
    from trakt_export.transport.circuit import Circuit
    from trakt_export.transport.deadline import DeadlineTransport
    from trakt_export.transport.policy import RetryPolicy
    from trakt_export.transport.ratelimit import (
        TRAKT_BUDGET,
        WRITE_LIMIT,
        RateLimiter,
        RateLimitTransport,
    )
    from trakt_export.transport.retry import RetryTransport

    if cache_mode not in CACHE_MODES:
        raise ValueError(f"cache_mode must be one of {CACHE_MODES}, not {cache_mode!r}")
    headers = api_headers(settings)
    if settings.access_token and auth is None:
        headers["Authorization"] = f"Bearer {settings.access_token}"
    network = settings.network
    do_sleep = sleep or asyncio.sleep
    wall = clock or time.time
    # Loading the CA bundle costs ~40 ms of start-up; skip it only when no URL uses TLS at all
    # (the bundled fake on loopback). Real Trakt is https and is always verified.
    plain = all(
        url.startswith("http://") for url in (settings.trakt.api_url, settings.trakt.auth_url)
    )
    inner: httpx.AsyncBaseTransport = transport or httpx.AsyncHTTPTransport(
        verify=not plain,
        limits=httpx.Limits(max_connections=max(network.concurrency, 1) * 2),
    )
    if network.requests_per_window > TRAKT_BUDGET:
        log.warning(
            "[network] requests_per_window = %d is above Trakt's budget of %d requests per "
            "5 minutes per account: expect rate-limit pauses (default 450).",
            network.requests_per_window,
            TRAKT_BUDGET,
        )
    if metrics is not None:  # run metrics (metrics.py): real sends here, the rest outermost
        from trakt_export.transport.metrics import MetricsObserver, SendMetricsTransport

        inner = SendMetricsTransport(inner, metrics)
        metrics.wall = wall
        observer = MetricsObserver(observer or NullObserver(), metrics)
    limiter = RateLimiter(
        network.requests_per_window,
        network.window_seconds,
        clock=clock or time.monotonic,
        sleep=do_sleep,
        wall=wall,
        max_wait=network.max_wait_seconds,
        observer=observer,
        store=BudgetStore(settings.paths.data_dir / BUDGET_FILE),
    )
    stack: httpx.AsyncBaseTransport = DeadlineTransport(inner, network.timeout_seconds)
    writes = RateLimiter(*WRITE_LIMIT, clock=limiter.clock, sleep=do_sleep, wall=wall)
    stack = RateLimitTransport(stack, limiter, writes=writes)
    policy = RetryPolicy(
        max_attempts=network.max_attempts,
        max_backoff=network.max_backoff_seconds,
        backoff_strategy=network.backoff,
        initial_backoff=network.initial_backoff_seconds,
        backoff_factor=network.backoff_factor,
        max_wait=network.max_wait_seconds,
        max_retry=network.max_retry_seconds,
    )
    stack = RetryTransport(
        stack,
        policy,
        sleep=do_sleep,
        wall=wall,
        clock=clock or time.monotonic,
        observer=observer,
        circuit=Circuit(network.failure_threshold),
    )
    if not settings.cache.enabled:
        cache_mode = "off"
    if cache_mode != "off":
        cache = APICache(cache_directory(settings), settings.cache.ttl_hours, now=wall)
        stack = CacheTransport(stack, cache, mode=cache_mode)
    if metrics is not None:
        from trakt_export.transport.metrics import MetricsTransport

        stack = MetricsTransport(stack, metrics)
    return httpx.AsyncClient(
        base_url=settings.trakt.api_url,
        headers=headers,
        auth=auth,
        transport=stack,
        timeout=network.timeout_seconds,
    )


def error_for_status(response: httpx.Response) -> TraktExportError | None:
    """The domain error for a non-2xx response (None when the response is fine)."""
    status = response.status_code
    where = f"{response.request.method} {response.request.url.path}"
    if 300 <= status < 400:  # never followed (SPEC §4): a wrong api_url, or a proxy
        location = response.headers.get("Location") or "no Location given"
        return TraktUnavailableError(
            f"Trakt answered {status} at {where}, redirecting to {location} "
            "(redirects are not followed).",
            "Check api_url in the config (TRAKT_EXPORT_API_URL); Trakt's is https://api.trakt.tv.",
        )
    if status < 400:
        return None
    if status == 401:
        return AuthError(
            f"Trakt refused the request ({status} Unauthorized at {where}).",
            "Run `trakt-export auth login` (or check TRAKT_EXPORT_ACCESS_TOKEN).",
        )
    if status == 403 and _is_html(response):
        return AuthError(
            f"Trakt's firewall (Cloudflare) blocked the request ({status} at {where}).",
            "The User-Agent may be refused, or the Trakt API app was deleted or blocked: check "
            "the app at https://app.trakt.tv/settings/apps, or use --from-zip.",
        )
    if status == 420:
        return AuthError(
            f"Trakt says the account limit is exceeded ({status} at {where}).",
            "The account holds more items than a free account may: remove some or upgrade "
            "to VIP (https://trakt.tv/vip).",
        )
    if status == 426:
        return AuthError(
            f"Trakt says this needs a VIP account ({status} at {where}).",
            "Upgrade to VIP (https://trakt.tv/vip), or use your Trakt data export with --from-zip.",
        )
    if status == 403:
        return AuthError(
            f"Trakt refused the API key ({status} Forbidden at {where}).",
            "Check client_id in the config (TRAKT_EXPORT_CLIENT_ID) and that the app is approved.",
        )
    if status == 423:
        return AuthError(
            f"Trakt says the account is locked ({status} at {where}).",
            "Contact Trakt support to unlock the account, then retry.",
        )
    if status == 404:
        return UsageError(
            f"Trakt has no such resource ({status} Not Found at {where}).",
            "Check the username (--user) and api_url.",
        )
    if status == 429 or status >= 500:
        attempts = response.extensions.get(ATTEMPTS)
        tries = f" after {attempts} attempts" if attempts and attempts > 1 else ""
        return TraktUnavailableError(
            f"Trakt is failing ({status} at {where}){tries}.",
            "Try again later.",
        )
    return TraktUnavailableError(f"Trakt answered {status} at {where}.", "Try again later.")


def _is_html(response: httpx.Response) -> bool:
    """A Cloudflare page rather than Trakt's own (JSON or empty) answer."""
    if "html" in response.headers.get("content-type", "").lower():
        return True
    try:
        head = response.content[:64].lstrip().lower()
    except httpx.ResponseNotRead:
        return False
    return head.startswith((b"<!doctype html", b"<html"))


def decode_json(response: httpx.Response) -> Any:
    if PARSED_JSON in response.extensions:  # already parsed by the retry layer's body check
        return response.extensions[PARSED_JSON]
    try:
        return json.loads(response.content)
    except ValueError as exc:
        raise MalformedDataError(
            f"Trakt sent invalid JSON at {response.request.url.path}.", "Try again later."
        ) from exc
