"""The README's promises about retries, the rate limiter, the cache and the token, each held by a
test that fails when the promise is broken (written against the survivors of `make mutants`).

Everything goes through public behaviour: `build_client` over a scripted transport or the fake,
`TraktAuth` against the fake's OAuth, `TokenStore`, `APICache.stats`. Nothing really sleeps.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import random
import re
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from trakt_export import __version__
from trakt_export.auth.tokens import Token, TokenStore, TraktAuth, build_auth
from trakt_export.config import Settings, resolve
from trakt_export.errors import (
    AuthError,
    MalformedDataError,
    OutputError,
    RateLimitError,
    TraktUnavailableError,
)
from trakt_export.transport.cache import APICache, cache_directory
from trakt_export.transport.client import build_client, error_for_status
from trakt_export.transport.extensions import HINT, from_cache
from trakt_export.transport.metrics import Metrics
from trakt_fake import FakeTrakt, edge
from trakt_fake.oauth import oauth_state

API = "https://api.trakt.example"
START = 1_700_000_000.0
CLIENT, SECRET = "test-client", "test-secret"


class Clock:
    """Virtual epoch seconds: `sleep` notes the wait and advances time instead of waiting."""

    def __init__(self, now: float = START) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


Answer = Callable[[httpx.Request], httpx.Response]


class Scripted(httpx.AsyncBaseTransport):
    """The network: answers every request with `answer` (or raises `error`), noting when."""

    def __init__(self, clock: Clock, answer: Answer | None = None, error: Exception | None = None):
        self.clock = clock
        self.answer = answer or (lambda request: httpx.Response(200, json=[]))
        self.error = error
        self.sent: list[tuple[float, str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((self.clock(), request.method, request.url.path))
        if self.error is not None:
            raise self.error
        return self.answer(request)


def settings_for(home: Path, **env: str) -> Settings:
    base = {
        "TRAKT_EXPORT_HOME": str(home),
        "TRAKT_EXPORT_API_URL": API,
        "TRAKT_EXPORT_CLIENT_ID": CLIENT,
        "TRAKT_EXPORT_CLIENT_SECRET": SECRET,
        "TRAKT_EXPORT_ACCESS_TOKEN": "tok",
    }
    return resolve(env={**base, **env})


def status(code: int, **headers: str) -> Answer:
    return lambda request: httpx.Response(code, headers=headers, json={})


async def send(
    settings: Settings,
    net: Scripted,
    clock: Clock,
    method: str = "GET",
    path: str = "/sync/history/movies",
    metrics: Metrics | None = None,
    **kwargs: Any,
) -> httpx.Response:
    async with build_client(
        settings, transport=net, cache_mode="off", sleep=clock.sleep, clock=clock, metrics=metrics
    ) as http:
        return await http.request(method, path, **kwargs)


# ----- retries (SPEC §4) ----------------------------------------------------------------------


@pytest.mark.parametrize("failure", ["503", "connection"])
async def test_a_post_is_sent_exactly_once_whatever_happens(clean_env: Path, failure: str) -> None:
    """The refresh token is single-use: a POST is never sent twice behind its owner's back."""
    clock = Clock()
    if failure == "503":
        net = Scripted(clock, status(503))
        answer = await send(settings_for(clean_env), net, clock, "POST", "/oauth/token")
        assert answer.status_code == 503
    else:
        net = Scripted(clock, error=httpx.ConnectError("refused"))
        with pytest.raises(TraktUnavailableError, match=r"could not reach Trakt at .*: refused$"):
            await send(settings_for(clean_env), net, clock, "POST", "/oauth/token")
    assert [m for _, m, _ in net.sent] == ["POST"]
    assert clock.sleeps == []


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
async def test_idempotent_methods_are_retried(clean_env: Path, method: str) -> None:
    clock = Clock()
    net = Scripted(clock, status(503))
    settings = settings_for(clean_env, TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS="3")
    answer = await send(settings, net, clock, method)
    assert answer.status_code == 503
    assert len(net.sent) == 3


@pytest.mark.parametrize(
    "code", [400, 401, 403, 404, 405, 409, 410, 412, 420, 422, 423, 426, 451, 501, 505]
)
async def test_permanent_statuses_are_tried_once(clean_env: Path, code: int) -> None:
    clock = Clock()
    net = Scripted(clock, status(code))
    stats = Metrics()
    answer = await send(settings_for(clean_env), net, clock, metrics=stats)
    assert answer.status_code == code
    assert len(net.sent) == stats.requests == 1
    assert stats.retries == 0 and clock.sleeps == []


@pytest.mark.parametrize("code", [429, 500, 502, 503, 504, 520, 521, 522])
async def test_transient_statuses_are_retried_up_to_max_attempts(
    clean_env: Path, code: int
) -> None:
    clock = Clock()
    net = Scripted(clock, status(code))
    stats = Metrics()
    settings = settings_for(clean_env, TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS="4")
    if code == 429:
        with pytest.raises(RateLimitError, match=r"kept answering 429 .*\(4 tries at GET /sync"):
            await send(settings, net, clock, metrics=stats)
    else:
        answer = await send(settings, net, clock, metrics=stats)
        assert answer.status_code == code
        failure = error_for_status(answer)
        assert failure is not None and f"({code} at GET /sync" in failure.message
        assert failure.message.endswith(") after 4 attempts.")
    assert len(net.sent) == stats.requests == 4
    assert stats.retries == len(clock.sleeps) == 3


@pytest.mark.parametrize(
    "error",
    [
        httpx.UnsupportedProtocol("no such scheme"),
        httpx.LocalProtocolError("bad header"),
    ],
)
async def test_errors_of_our_own_making_are_tried_once(clean_env: Path, error: Exception) -> None:
    clock = Clock()
    net = Scripted(clock, error=error)
    with pytest.raises(TraktUnavailableError):
        await send(settings_for(clean_env), net, clock)
    assert len(net.sent) == 1 and clock.sleeps == []


@pytest.mark.parametrize(
    "error",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("cut")],
)
async def test_network_errors_are_retried_then_name_the_server(
    clean_env: Path, error: Exception
) -> None:
    clock = Clock()
    net = Scripted(clock, error=error)
    settings = settings_for(clean_env, TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS="3")
    with pytest.raises(TraktUnavailableError, match=r"could not reach Trakt at https://api\.trakt"):
        await send(settings, net, clock)
    assert len(net.sent) == 3


async def test_one_attempt_means_one_send(clean_env: Path) -> None:
    clock = Clock()
    net = Scripted(clock, status(503))
    settings = settings_for(clean_env, TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS="1")
    answer = await send(settings, net, clock)
    assert answer.status_code == 503 and len(net.sent) == 1


async def test_backoff_is_full_jitter_under_the_cap(clean_env: Path) -> None:
    """Waits are uniform in [0, min(2 ** (try - 1), cap)]: never above the cap, and early
    waits stay small (seeded, so the same numbers every run)."""
    random.seed(1234)
    settings = settings_for(
        clean_env,
        TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS="12",
        TRAKT_EXPORT_NETWORK_MAX_BACKOFF_SECONDS="5",
    )
    firsts: list[float] = []
    late: list[float] = []
    for _ in range(12):
        clock = Clock()
        await send(settings, Scripted(clock, status(503)), clock)
        assert len(clock.sleeps) == 11
        assert all(0.0 <= wait <= 5.0 for wait in clock.sleeps), clock.sleeps
        firsts.append(clock.sleeps[0])
        late += clock.sleeps[4:]
    assert max(firsts) <= 1.0  # first retry: within 2 ** 0 seconds
    assert max(late) > 4.0  # late retries really reach up to the cap (they are not tiny)


async def test_retry_after_is_waited_exactly_up_to_the_cap(clean_env: Path) -> None:
    clock = Clock()
    answers = iter([status(503, **{"Retry-After": "5"}), status(200)])
    net = Scripted(clock, lambda request: next(answers)(request))
    settings = settings_for(clean_env, TRAKT_EXPORT_NETWORK_MAX_BACKOFF_SECONDS="5")
    answer = await send(settings, net, clock)
    assert answer.status_code == 200
    assert clock.sleeps == [5.0]
    assert net.sent[1][0] >= START + 5.0


async def test_retry_after_beyond_the_cap_fails_at_once(clean_env: Path) -> None:
    clock = Clock()
    net = Scripted(clock, status(503, **{"Retry-After": "6"}))
    settings = settings_for(clean_env, TRAKT_EXPORT_NETWORK_MAX_WAIT_SECONDS="5")
    with pytest.raises(RateLimitError, match=r"wait 6 s .*longer than max_wait_seconds \(5\)"):
        await send(settings, net, clock)
    assert len(net.sent) == 1 and clock.sleeps == []


async def test_a_cut_json_body_is_retried(clean_env: Path) -> None:
    clock = Clock()
    bodies = iter([b'[{"a": 1', b'[{"a": 1}]'])
    net = Scripted(
        clock,
        lambda request: httpx.Response(
            200, content=next(bodies), headers={"content-type": "application/json"}
        ),
    )
    answer = await send(settings_for(clean_env), net, clock)
    assert answer.json() == [{"a": 1}]
    assert len(net.sent) == 2


# ----- the rate limiter -----------------------------------------------------------------------


async def test_the_limiter_never_exceeds_its_budget_in_any_window(clean_env: Path) -> None:
    clock = Clock()
    net = Scripted(clock)
    settings = settings_for(
        clean_env,
        TRAKT_EXPORT_NETWORK_REQUESTS_PER_WINDOW="4",
        TRAKT_EXPORT_NETWORK_WINDOW_SECONDS="10",
    )
    async with build_client(
        settings, transport=net, cache_mode="off", sleep=clock.sleep, clock=clock
    ) as http:
        for _ in range(13):
            await http.get("/sync/history/movies")
    times = [t for t, _, _ in net.sent]
    for start in times:
        assert sum(1 for t in times if start <= t < start + 10.0) <= 4
    # ...and it is not slower than it must be: a burst of 4, then 4 more each window (+1 %).
    assert times[:4] == [START] * 4
    assert times[4] - START == pytest.approx(10.1)
    assert times[8] - START == pytest.approx(20.2)
    assert times[12] - START == pytest.approx(30.3)


async def test_exhausted_x_ratelimit_pauses_and_remaining_does_not(clean_env: Path) -> None:
    clock = Clock()
    until = "2023-11-14T22:14:00Z"  # START is 22:13:20 UTC: 40 s later
    answers = iter(
        [
            status(200, **{"X-Ratelimit": '{"remaining": 3, "until": "2023-11-14T23:00:00Z"}'}),
            status(200, **{"X-Ratelimit": '{"remaining": 0, "until": "' + until + '"}'}),
            status(200),
        ]
    )
    net = Scripted(clock, lambda request: next(answers)(request))
    async with build_client(
        settings_for(clean_env), transport=net, cache_mode="off", sleep=clock.sleep, clock=clock
    ) as http:
        for _ in range(3):
            await http.get("/sync/history/movies")
    times = [t for t, _, _ in net.sent]
    assert times[1] == START  # remaining 3: no pause
    assert times[2] - START == pytest.approx(40.0)


async def test_a_retry_after_date_is_honoured(clean_env: Path) -> None:
    clock = Clock()
    answers = iter([status(429, **{"Retry-After": "Tue, 14 Nov 2023 22:13:30 GMT"}), status(200)])
    net = Scripted(clock, lambda request: next(answers)(request))
    answer = await send(settings_for(clean_env), net, clock)
    assert answer.status_code == 200
    assert net.sent[1][0] - START == pytest.approx(10.0)
    assert sum(clock.sleeps) == pytest.approx(10.0)  # the pause is waited on our clock


# ----- the cache ------------------------------------------------------------------------------


def hinted(kind: str, activity: str | None = None, account: str = "me") -> dict[str, Any]:
    hint: dict[str, Any] = {"kind": kind, "account": account}
    if activity is not None:
        hint["activity"] = activity
    return {HINT: hint}


async def fetch(
    settings: Settings, net: Scripted, clock: Clock, *hints: dict[str, Any], mode: str = "use"
) -> list[bool]:
    """GET once per hint, one run each (a run stores in the background, then waits for it);
    True where the answer came from the cache."""
    out = []
    for extensions in hints:
        async with build_client(
            settings,
            transport=net,
            cache_mode=mode,  # type: ignore[arg-type]
            sleep=clock.sleep,
            clock=clock,
        ) as http:
            kind = extensions[HINT]["kind"]  # the key is the URL: one path per kind
            answer = await http.get(f"/users/me/{kind}", extensions=extensions)
            out.append(from_cache(answer))
    return out


async def test_an_entry_without_activity_lives_exactly_its_ttl(clean_env: Path) -> None:
    clock = Clock()
    net = Scripted(clock)
    settings = settings_for(clean_env, TRAKT_EXPORT_ACCESS_TOKEN="")
    ttl = settings.cache.ttl_hours["people"] * 3600.0
    assert await fetch(settings, net, clock, hinted("people")) == [False]
    clock.now = START + ttl
    assert await fetch(settings, net, clock, hinted("people")) == [True]
    clock.now = START + ttl + 1
    assert await fetch(settings, net, clock, hinted("people")) == [False]
    assert len(net.sent) == 2


async def test_an_entry_with_an_activity_stamp_is_valid_while_the_stamp_is(
    clean_env: Path,
) -> None:
    clock = Clock()
    net = Scripted(clock)
    settings = settings_for(clean_env)
    assert await fetch(settings, net, clock, hinted("sync", "A")) == [False]
    clock.now = START + 10 * 365 * 86400.0  # far beyond any TTL
    got = await fetch(settings, net, clock, hinted("sync", "A"), hinted("sync", "B"))
    assert got == [True, False]
    # the entry now holds B; no stamp at all is not "unchanged"
    assert await fetch(settings, net, clock, hinted("sync", "B"), hinted("sync")) == [True, False]


async def test_a_stamped_request_never_takes_an_unstamped_entry(clean_env: Path) -> None:
    clock = Clock()
    net = Scripted(clock)
    settings = settings_for(clean_env)
    assert await fetch(settings, net, clock, hinted("sync"), hinted("sync")) == [False, True]
    assert await fetch(settings, net, clock, hinted("sync", "A")) == [False]


async def test_accounts_do_not_share_entries_and_only_200s_are_kept(clean_env: Path) -> None:
    clock = Clock()
    codes = iter([404, 200, 200])
    net = Scripted(clock, lambda request: httpx.Response(next(codes), json=[]))
    settings = settings_for(clean_env, TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS="1")
    got = await fetch(
        settings,
        net,
        clock,
        hinted("sync", "A", "me"),  # 404: not kept
        hinted("sync", "A", "me"),  # 200: kept
        hinted("sync", "A", "you"),  # another account: its own entry
        hinted("sync", "A", "me"),
    )
    assert got == [False, False, False, True]


async def test_refresh_mode_never_reads_but_stores_and_off_neither(clean_env: Path) -> None:
    clock = Clock()
    net = Scripted(clock)
    settings = settings_for(clean_env)
    assert await fetch(settings, net, clock, hinted("sync"), mode="refresh") == [False]
    assert await fetch(settings, net, clock, hinted("sync"), mode="refresh") == [False]
    assert await fetch(settings, net, clock, hinted("sync"), mode="off") == [False]
    assert await fetch(settings, net, clock, hinted("sync")) == [True]
    assert len(net.sent) == 3


async def test_hits_and_misses_are_counted_per_kind(clean_env: Path) -> None:
    clock = Clock()
    net = Scripted(clock)
    settings = settings_for(clean_env)
    await fetch(settings, net, clock, hinted("sync"), hinted("sync"), hinted("sync"))
    await fetch(settings, net, clock, hinted("people"), hinted("sync"))
    cache = APICache(cache_directory(settings), settings.cache.ttl_hours, now=clock)
    try:
        figures = cache.stats()
    finally:
        cache.close()
    assert (figures["hits"], figures["misses"], figures["entries"]) == (3, 2, 2)
    assert figures["hit_rate"] == 0.6
    sync, people = figures["by_kind"]["sync"], figures["by_kind"]["people"]
    assert (sync["hits"], sync["misses"], sync["entries"], sync["hit_rate"]) == (3, 1, 1, 0.75)
    assert (people["hits"], people["misses"], people["entries"]) == (0, 1, 1)
    assert people["hit_rate"] == 0.0 and figures["expired"] == 0
    assert sync["size_bytes"] == people["size_bytes"] == len(b"[]")  # the body, per kind
    clock.now += settings.cache.ttl_hours["sync"] * 3600.0 + 1  # sync: 24 h, people: a week
    cache = APICache(cache_directory(settings), settings.cache.ttl_hours, now=clock)
    try:
        by_kind = cache.stats()["by_kind"]
        assert (by_kind["sync"]["expired"], by_kind["people"]["expired"]) == (1, 0)
        assert cache.prune() == 1
        assert cache.stats()["entries"] == 1
        assert cache.clear() == 1
        assert cache.stats()["hits"] == 0
    finally:
        cache.close()
    await fetch(settings, net, clock, hinted("settings"), hinted("settings"), hinted("settings"))
    cache = APICache(cache_directory(settings), settings.cache.ttl_hours, now=clock)
    try:
        assert cache.stats()["by_kind"]["settings"]["hit_rate"] == 0.6667  # rounded to 4
    finally:
        cache.close()


# ----- the token (SPEC §3) --------------------------------------------------------------------


def login(settings: Settings, fake: FakeTrakt, lifetime: int) -> Token:
    issued = fake.issue_token("edge-user", lifetime)
    token = Token(
        issued.access_token, issued.refresh_token, issued.created_at, issued.expires_in, "edge-user"
    )
    TokenStore(settings.paths.token_file).save(token)
    return token


async def get_with(auth: TraktAuth, transport: httpx.AsyncBaseTransport) -> httpx.Response:
    headers = {"trakt-api-key": CLIENT, "trakt-api-version": "2"}
    async with httpx.AsyncClient(
        transport=transport, base_url="https://api.trakt.tv", headers=headers, auth=auth
    ) as http:
        return await http.get("/sync/watched/movies")


def oauth_settings(home: Path, **env: str) -> Settings:
    return resolve(
        env={
            "TRAKT_EXPORT_HOME": str(home),
            "TRAKT_EXPORT_CLIENT_ID": CLIENT,
            "TRAKT_EXPORT_CLIENT_SECRET": SECRET,
            **env,
        }
    )


@pytest.mark.parametrize(("left", "refreshed"), [(301, 0), (300, 1), (0, 1)])
async def test_a_token_is_refreshed_within_five_minutes_of_expiry(
    clean_env: Path, left: int, refreshed: int
) -> None:
    clock = Clock()
    fake = FakeTrakt(edge(), client_id=CLIENT, client_secret=SECRET, clock=clock)
    settings = oauth_settings(clean_env)
    token = login(settings, fake, lifetime=3600)
    clock.now = token.expires_at - left
    auth = TraktAuth(settings, clock=clock)
    answer = await get_with(auth, fake.transport())
    assert answer.status_code == 200
    assert oauth_state(fake).refreshes == refreshed


class Refusing(httpx.AsyncBaseTransport):
    """The fake, except that the first `times` API calls (never OAuth) are answered 401."""

    def __init__(self, fake: FakeTrakt, times: int = 10**9) -> None:
        self.inner = fake.transport()
        self.times = times
        self.api_calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/oauth"):
            return await self.inner.handle_async_request(request)
        self.api_calls += 1
        if self.api_calls <= self.times:
            return httpx.Response(401, json={})
        return await self.inner.handle_async_request(request)


async def test_a_401_costs_one_refresh_and_one_more_try_never_a_loop(clean_env: Path) -> None:
    fake = FakeTrakt(edge(), client_id=CLIENT, client_secret=SECRET)
    settings = oauth_settings(clean_env)
    old = login(settings, fake, lifetime=86400)
    net = Refusing(fake)
    auth = TraktAuth(settings)
    answer = await get_with(auth, net)
    assert answer.status_code == 401
    assert net.api_calls == 2
    assert oauth_state(fake).refresh_tokens_seen == [old.refresh_token]
    saved = TokenStore(settings.paths.token_file).load()
    assert saved is not None and saved.refresh_token != old.refresh_token  # saved before use
    assert answer.request.headers["Authorization"] == f"Bearer {saved.access_token}"


async def test_a_401_with_a_good_refresh_succeeds_on_the_new_token(clean_env: Path) -> None:
    fake = FakeTrakt(edge(), client_id=CLIENT, client_secret=SECRET)
    settings = oauth_settings(clean_env)
    old = login(settings, fake, lifetime=86400)
    net = Refusing(fake, times=1)
    answer = await get_with(TraktAuth(settings), net)
    assert answer.status_code == 200
    assert net.api_calls == 2
    assert oauth_state(fake).refresh_tokens_seen == [old.refresh_token]


async def test_a_refused_refresh_token_is_never_sent_twice(clean_env: Path) -> None:
    fake = FakeTrakt(edge(), client_id=CLIENT, client_secret=SECRET)
    settings = oauth_settings(clean_env)
    token = login(settings, fake, lifetime=60)  # expiring: refreshed before use
    fake.revoke_token(token.access_token)
    auth = TraktAuth(settings)
    for _ in range(2):
        with pytest.raises(AuthError, match="could not be refreshed"):
            await get_with(auth, fake.transport())
    assert oauth_state(fake).refresh_tokens_seen == [token.refresh_token]


def test_token_files_need_whole_numbers_and_both_tokens(clean_env: Path) -> None:
    good = {"access_token": "a", "refresh_token": "r", "created_at": 1, "expires_in": 7776000}
    assert Token.from_json(good).expires_at == 7776001
    for broken in (
        {**good, "access_token": ""},
        {**good, "refresh_token": None},
        {**good, "refresh_token": ""},
        {**good, "expires_in": True},
        {**good, "expires_in": 1.5},
        {**good, "created_at": "1"},
        ["not", "an", "object"],
    ):
        with pytest.raises(ValueError):
            Token.from_json(broken)
    assert Token.from_json({**good, "created_at": None}, now=42.9).created_at == 42
    odd = Token.from_json({**good, "username": "", "scope": 3})
    assert odd.username is None and odd.scope is None
    path = clean_env / "token.json"
    TokenStore(path).save(Token("a", "r", 1, 2, "u", "public"))
    assert TokenStore(path).load() == Token("a", "r", 1, 2, "u", "public")
    assert TokenStore(path).delete() is True and TokenStore(path).delete() is False
    assert TokenStore(path).load() is None


# ----- what a retry says (observer, -v log, messages) -----------------------------------------


class Told:
    """Observer that keeps every retry it is told about."""

    def __init__(self) -> None:
        self.retries: list[tuple[int, float, str]] = []

    def paused(self, until: float, reason: str) -> None:
        return None

    def start(self, endpoint: str, total_pages: int) -> None:
        return None

    def advance(self, endpoint: str, pages: int = 1) -> None:
        return None

    def retrying(self, attempt: int, wait: float, reason: str) -> None:
        self.retries.append((attempt, wait, reason))


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (None, "HTTP 503"),
        (httpx.ConnectError("refused"), "ConnectError: refused"),
        (httpx.ConnectError(""), "ConnectError"),
        (httpx.ReadTimeout("slow"), "timeout (ReadTimeout)"),
    ],
)
async def test_each_retry_is_reported_with_its_reason_and_real_wait(
    clean_env: Path, caplog: pytest.LogCaptureFixture, error: Exception | None, reason: str
) -> None:
    clock = Clock()
    net = Scripted(clock, status(503), error=error)
    told = Told()
    settings = settings_for(clean_env, TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS="3")
    caplog.set_level("DEBUG", logger="trakt_export.transport.retry")
    async with build_client(
        settings, transport=net, cache_mode="off", sleep=clock.sleep, clock=clock, observer=told
    ) as http:
        if error is None:
            await http.get("/sync/history/movies", params={"page": 2})
        else:
            with pytest.raises(TraktUnavailableError) as info:
                await http.get("/sync/history/movies", params={"page": 2})
            assert info.value.message.endswith(f": {str(error) or type(error).__name__}")
    assert [(a, r) for a, _, r in told.retries] == [(1, reason), (2, reason)]
    assert [w for _, w, _ in told.retries] == clock.sleeps
    assert any(w > 0 for w in clock.sleeps)
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("retry 1/3 of GET /sync/history/movies?page=2 in ")
    assert lines[0].endswith(f" s: {reason}")


async def test_the_log_line_has_no_question_mark_without_a_query(
    clean_env: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    caplog.set_level("DEBUG", logger="trakt_export.transport.retry")
    settings = settings_for(clean_env, TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS="2")
    await send(settings, Scripted(clock, status(503)), clock)
    assert caplog.records[0].getMessage().startswith("retry 1/2 of GET /sync/history/movies in ")


@pytest.mark.parametrize("content_type", [None, "text/html", "application/json"])
async def test_every_200_has_its_body_checked_whatever_its_content_type(
    clean_env: Path, content_type: str | None
) -> None:
    """SPEC §4: a body that is not the JSON expected is retried whatever the content type."""
    clock = Clock()
    headers = {"content-type": content_type} if content_type else {}
    net = Scripted(clock, lambda request: httpx.Response(200, content=b"<cut", headers=headers))
    with pytest.raises(MalformedDataError):
        await send(settings_for(clean_env), net, clock)
    assert len(net.sent) == 5


async def test_a_cut_json_error_body_is_not_a_reason_to_retry(clean_env: Path) -> None:
    clock = Clock()
    headers = {"content-type": "application/json"}
    net = Scripted(clock, lambda request: httpx.Response(404, content=b'{"cut', headers=headers))
    answer = await send(settings_for(clean_env), net, clock)
    assert answer.status_code == 404 and len(net.sent) == 1


async def test_a_too_long_retry_after_names_the_utc_time(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")  # a local zone far from UTC must not leak in
    time.tzset()
    try:
        clock = Clock()  # START is 22:13:20 UTC
        net = Scripted(clock, status(429, **{"Retry-After": "3600"}))
        with pytest.raises(RateLimitError) as info:
            await send(settings_for(clean_env), net, clock)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert "(until 23:13 UTC)" in info.value.message
    assert (info.value.hint or "").startswith("Try again after 23:13 UTC")


@pytest.mark.parametrize(
    ("header", "wait"),
    [("-5", 0.0), ("Tue, 14 Nov 2023 22:00:00 GMT", 0.0), ("soon", None), ("2.5", 2.5)],
)
async def test_odd_retry_after_values(clean_env: Path, header: str, wait: float | None) -> None:
    random.seed(7)
    clock = Clock()
    answers = iter([status(503, **{"Retry-After": header}), status(200)])
    net = Scripted(clock, lambda request: next(answers)(request))
    await send(settings_for(clean_env), net, clock)
    if wait is None:  # unreadable: our own backoff, within the first try's second
        assert len(clock.sleeps) == 1 and 0.0 <= clock.sleeps[0] <= 1.0
    else:
        assert clock.sleeps == [wait]


async def test_x_ratelimit_without_remaining_or_unreadable_never_pauses(clean_env: Path) -> None:
    clock = Clock()
    answers = iter(
        [
            status(200, **{"X-Ratelimit": '{"until": "2030-01-01T00:00:00Z"}'}),
            status(200, **{"X-Ratelimit": "{not json"}),
            status(200, **{"X-Ratelimit": '{"remaining": 0}'}),
            status(200, **{"X-Ratelimit": '["remaining", 0]'}),
            status(200),
        ]
    )
    net = Scripted(clock, lambda request: next(answers)(request))
    async with build_client(
        settings_for(clean_env), transport=net, cache_mode="off", sleep=clock.sleep, clock=clock
    ) as http:
        for _ in range(5):
            await http.get("/sync/history/movies")
    assert [t for t, _, _ in net.sent] == [START] * 5


async def test_query_order_is_one_entry_and_the_wire_encoding_is_not_kept(
    clean_env: Path,
) -> None:
    clock = Clock()
    body = gzip.compress(b'[{"title": "cached"}]')
    headers = {"content-encoding": "gzip", "content-type": "application/json", "X-Page": "1"}
    net = Scripted(clock, lambda request: httpx.Response(200, content=body, headers=headers))
    settings = settings_for(clean_env)
    stats = Metrics()
    for query in ("?a=1&b=2", "?b=2&a=1"):
        async with build_client(
            settings, transport=net, cache_mode="use", sleep=clock.sleep, clock=clock, metrics=stats
        ) as http:
            answer = await http.get(f"/users/me/sync{query}", extensions=hinted("sync"))
            assert answer.json() == [{"title": "cached"}]
            assert answer.headers["X-Page"] == "1"
    assert len(net.sent) == 1 and stats.cache_hits == 1 and stats.requests == 1
    assert "content-encoding" not in answer.headers


async def test_unhinted_and_non_get_requests_are_never_cached(clean_env: Path) -> None:
    clock = Clock()
    net = Scripted(clock)
    async with build_client(
        settings_for(clean_env), transport=net, cache_mode="use", sleep=clock.sleep, clock=clock
    ) as http:
        for _ in range(2):
            await http.get("/users/me/sync")
            await http.post("/users/me/sync", extensions=hinted("sync"))
    for _ in range(2):
        async with build_client(
            settings_for(clean_env), transport=net, cache_mode="use", sleep=clock.sleep, clock=clock
        ) as http:
            await http.get("/users/me/sync")
    assert len(net.sent) == 6


class OAuthAnswers(httpx.AsyncBaseTransport):
    """/oauth/token answered from a script (noting each body sent); the API answered 200."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers)
        self.bodies: list[dict[str, Any]] = []
        self.agents: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            await request.aread()
            self.bodies.append(json.loads(request.content))
            self.agents.append(request.headers.get("User-Agent", ""))
            return self.answers.pop(0)
        return httpx.Response(200, json=[])


def expiring_login(settings: Settings) -> Token:
    token = Token("old-access", "old-refresh", int(time.time()) - 1000, 1100, "edge-user")
    TokenStore(settings.paths.token_file).save(token)
    return token


@pytest.mark.parametrize("code", [400, 401, 403])
async def test_a_refused_refresh_is_exit_3_and_keeps_the_file(clean_env: Path, code: int) -> None:
    settings = oauth_settings(clean_env)
    old = expiring_login(settings)
    net = OAuthAnswers(httpx.Response(code, json={}))
    with pytest.raises(AuthError) as info:
        await get_with(TraktAuth(settings), net)
    assert info.value.exit_code == 3 and "could not be refreshed" in info.value.message
    assert TokenStore(settings.paths.token_file).load() == old
    assert net.bodies == [
        {
            "refresh_token": "old-refresh",
            "client_id": CLIENT,
            "client_secret": SECRET,
            "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
            "grant_type": "refresh_token",
        }
    ]


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (httpx.Response(503, json={}), "could not refresh the login (503 at /oauth/token)"),
        (httpx.Response(200, content=b"{cut"), "unreadable answer"),
        (httpx.Response(200, json={"access_token": "a"}), "unreadable answer"),
    ],
)
async def test_a_failed_refresh_is_exit_4_and_keeps_the_file(
    clean_env: Path, answer: httpx.Response, says: str
) -> None:
    settings = oauth_settings(clean_env)
    old = expiring_login(settings)
    with pytest.raises(TraktUnavailableError, match=re.escape(says)):
        await get_with(TraktAuth(settings), OAuthAnswers(answer))
    assert TokenStore(settings.paths.token_file).load() == old


@pytest.mark.parametrize("auth_url", ["https://auth.trakt.example", "https://auth.trakt.example/"])
async def test_a_refreshed_pair_is_saved_keeping_the_username(
    clean_env: Path, auth_url: str
) -> None:
    settings = oauth_settings(clean_env, TRAKT_EXPORT_AUTH_URL=auth_url)
    expiring_login(settings)
    fresh = {"access_token": "new-a", "refresh_token": "new-r", "expires_in": 7776000}
    clock = Clock(now=time.time())
    net = OAuthAnswers(httpx.Response(200, json=fresh))
    answer = await get_with(TraktAuth(settings, clock=clock), net)
    assert answer.request.headers["Authorization"] == "Bearer new-a"
    saved = TokenStore(settings.paths.token_file).load()
    assert saved == Token("new-a", "new-r", int(clock.now), 7776000, "edge-user")
    assert net.agents == [f"trakt-export/{__version__}"]


def test_unreadable_token_files_are_exit_3_naming_the_file(clean_env: Path) -> None:
    folder = clean_env / "token.json"
    folder.mkdir()  # a directory where the file should be
    with pytest.raises(AuthError, match=r"cannot read the saved Trakt login .*token\.json"):
        TokenStore(folder).load()
    broken = clean_env / "broken.json"
    broken.write_text('{"access_token": "a"}')
    with pytest.raises(AuthError, match=r"broken\.json is unreadable \(no refresh_token\)") as info:
        TokenStore(broken).load()
    assert info.value.hint == "Run `trakt-export auth login` to replace it."


def test_a_token_that_cannot_be_saved_is_an_output_error(clean_env: Path) -> None:
    blocker = clean_env / "file"
    blocker.write_text("")
    with pytest.raises(OutputError, match="cannot save the Trakt login"):
        TokenStore(blocker / "token.json").save(Token("a", "r", 1, 2))


def test_the_token_file_says_only_what_it_knows(clean_env: Path) -> None:
    bare = Token("a", "r", 1, 2).to_json()
    assert bare == {
        "access_token": "a",
        "token_type": "bearer",
        "refresh_token": "r",
        "created_at": 1,
        "expires_in": 2,
    }
    full = Token("a", "r", 1, 2, "u", "public").to_json()
    assert (full["username"], full["scope"]) == ("u", "public")
    assert "secret" not in repr(Token("secret-a", "secret-r", 1, 2))


class VirtualClock(Clock):
    """Concurrent virtual time: `sleep` parks the task; when all are parked, time jumps to the
    earliest deadline (as tests/test_engine.py's), so overlapping requests really overlap."""

    def __init__(self, now: float = START) -> None:
        super().__init__(now)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._runner: asyncio.Task[None] | None = None

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + max(seconds, 0.0), len(self.sleeps), wake))
        self._sleepers.sort(key=lambda s: (s[0], s[1]))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.get_running_loop().create_task(self._advance())
        await wake

    async def _advance(self) -> None:
        while self._sleepers:
            for _ in range(50):
                await asyncio.sleep(0)
            deadline, _, wake = self._sleepers.pop(0)
            self.now = max(self.now, deadline)
            wake.set_result(None)


async def test_a_429_pauses_every_worker_not_only_the_one_told(clean_env: Path) -> None:
    clock = VirtualClock()
    sent: list[tuple[str, float]] = []

    class Slow(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            sent.append((request.url.path, clock.now - START))
            await clock.sleep(1.0)
            if request.url.path == "/a" and len(sent) == 1:
                return httpx.Response(429, headers={"Retry-After": "30"}, json={})
            return httpx.Response(200, json=[])

    async with build_client(
        settings_for(clean_env), transport=Slow(), cache_mode="off", sleep=clock.sleep, clock=clock
    ) as http:

        async def later() -> None:
            await clock.sleep(2.0)  # after the 429 came back, before its retry
            await http.get("/b")

        await asyncio.gather(http.get("/a"), later())
    assert sent[0] == ("/a", 0.0)
    assert {path for path, t in sent[1:] if t < 31.0} == set()  # paused until 1 + 30
    assert sorted(path for path, _ in sent[1:]) == ["/a", "/b"]


@pytest.mark.parametrize(("margin", "refreshed"), [(None, 1), (10.0, 0)])
async def test_the_clock_and_margin_given_are_the_ones_used(
    clean_env: Path, margin: float | None, refreshed: int
) -> None:
    clock = Clock(now=time.time() + 10**6)  # far from real time: the real clock never agrees
    fake = FakeTrakt(edge(), client_id=CLIENT, client_secret=SECRET, clock=clock)
    settings = oauth_settings(clean_env)
    token = login(settings, fake, lifetime=3600)
    clock.now = token.expires_at - 100  # 100 s left: inside 5 minutes, outside 10 s
    if margin is None:
        auth = build_auth(settings, clock=clock)
        assert isinstance(auth, TraktAuth)
    else:
        auth = TraktAuth(settings, clock=clock, margin=margin)
    assert (await get_with(auth, fake.transport())).status_code == 200
    assert oauth_state(fake).refreshes == refreshed


def test_the_token_folder_is_private_and_made_whole(clean_env: Path) -> None:
    path = clean_env / "a" / "b" / "token.json"
    TokenStore(path).save(Token("a", "r", 1, 2))
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_a_body_cut_every_time_is_malformed_data_after_the_tries(clean_env: Path) -> None:
    clock = Clock()
    headers = {"content-type": "application/json"}
    net = Scripted(clock, lambda request: httpx.Response(200, content=b"[{", headers=headers))
    told = Told()
    settings = settings_for(clean_env, TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS="3")
    async with build_client(
        settings, transport=net, cache_mode="off", sleep=clock.sleep, clock=clock, observer=told
    ) as http:
        with pytest.raises(MalformedDataError, match=r"invalid JSON at /sync/x \(3 tries\)"):
            await http.get("/sync/x")
    assert [r for _, _, r in told.retries] == ["invalid JSON (truncated body)"] * 2


async def test_a_send_after_a_pause_still_counts_against_the_budget(clean_env: Path) -> None:
    clock = Clock()
    until = "2023-11-14T22:14:00Z"  # START + 40 s
    answers = iter([status(200, **{"X-Ratelimit": '{"remaining": 0, "until": "' + until + '"}'})])
    net = Scripted(clock, lambda request: next(answers, status(200))(request))
    settings = settings_for(
        clean_env,
        TRAKT_EXPORT_NETWORK_REQUESTS_PER_WINDOW="2",
        TRAKT_EXPORT_NETWORK_WINDOW_SECONDS="10",
    )
    async with build_client(
        settings, transport=net, cache_mode="off", sleep=clock.sleep, clock=clock
    ) as http:
        for _ in range(5):
            await http.get("/sync/history/movies")
    times = [t for t, _, _ in net.sent]
    assert times[1] - START == pytest.approx(40.0)
    for start in times:
        assert sum(1 for t in times if start <= t < start + 10.0) <= 2
