"""The client engine through the real stack (cache -> retry -> limiter -> fake Trakt), in
virtual time: concurrency, retries, 429 pauses, the limiter's budget and the on-disk cache."""

from __future__ import annotations

import asyncio
import csv
import heapq
import io
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from trakt_export.config import Settings, resolve
from trakt_export.errors import (
    AuthError,
    RateLimitError,
    TraktUnavailableError,
    UsageError,
)
from trakt_export.run.export import run_movies
from trakt_export.run.session import Options
from trakt_export.sources.api import PAGE_LIMIT, TraktAPI
from trakt_export.transport.cache import CacheFigures
from trakt_export.transport.client import build_client
from trakt_export.transport.extensions import FROM_CACHE, HINT, from_cache
from trakt_export.transport.metrics import Metrics
from trakt_fake import Dataset, FakeTrakt, edge, large, sized

CLIENT = "test-client"
START = 1_700_000_000.0


class VirtualClock:
    """One clock for the fake, the limiter and retries, in virtual time: `sleep` parks the
    task; when every task is parked, time jumps to the earliest deadline and wakes it. So
    concurrent requests really overlap and a long pause never hurries a short one."""

    def __init__(self, now: float = START) -> None:
        self.now = now
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._serial = 0
        self._runner: asyncio.Task[None] | None = None

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        wake: asyncio.Future[None] = loop.create_future()
        self._serial += 1
        heapq.heappush(self._sleepers, (self.now + max(seconds, 0.0), self._serial, wake))
        if self._runner is None or self._runner.done() or self._runner.get_loop() is not loop:
            self._runner = loop.create_task(self._advance())
        await wake

    async def _advance(self) -> None:
        while True:
            for _ in range(50):  # let every runnable task run until it parks again
                await asyncio.sleep(0)
            while self._sleepers and self._sleepers[0][2].done():
                heapq.heappop(self._sleepers)  # cancelled sleepers do not move time
            if not self._sleepers:
                return
            deadline, _, wake = heapq.heappop(self._sleepers)
            self.now = max(self.now, deadline)
            wake.set_result(None)


@dataclass(slots=True)
class Exchange:
    sent: float
    answered: float
    path: str
    status: int
    retry_after: float | None


class Recorder(httpx.AsyncBaseTransport):
    """Wraps the fake's transport and notes, in virtual time, when each request reached it."""

    def __init__(
        self,
        fake: FakeTrakt,
        clock: VirtualClock,
        on_send: Callable[[int], None] | None = None,
    ) -> None:
        self.inner = fake.transport()
        self.clock = clock
        self.on_send = on_send
        self.sent = 0
        self.log: list[Exchange] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sent = self.clock()
        self.sent += 1
        if self.on_send is not None:
            self.on_send(self.sent)
        response = await self.inner.handle_async_request(request)
        wait = response.headers.get("Retry-After")
        self.log.append(
            Exchange(
                sent,
                self.clock(),
                request.url.path,
                response.status_code,
                float(wait) if wait else None,
            )
        )
        return response


def make_fake(dataset: Dataset, clock: VirtualClock, latency: float = 0.0) -> FakeTrakt:
    return FakeTrakt(dataset, client_id=CLIENT, clock=clock, latency=latency, sleep=clock.sleep)


def settings_for(home: Path, token: str = "", **env: str) -> Settings:
    base = {
        "TRAKT_EXPORT_HOME": str(home),
        "TRAKT_EXPORT_CLIENT_ID": CLIENT,
        "TRAKT_EXPORT_EXPORT_TIMEZONE": "UTC",
    }
    if token:
        base["TRAKT_EXPORT_ACCESS_TOKEN"] = token
    return resolve(env={**base, **env})


def options(transport: httpx.AsyncBaseTransport, clock: VirtualClock, **kwargs: Any) -> Options:
    return Options(transport=transport, sleep=clock.sleep, clock=clock, **kwargs)


def pages(fake: FakeTrakt, user: str, endpoint: str) -> int:
    return max(1, math.ceil(len(fake.user_json(user, endpoint)) / PAGE_LIMIT))


def rows_by_title(path: Path) -> dict[str, dict[str, str]]:
    return {row["Title"]: row for row in csv.DictReader(io.StringIO(path.read_text()))}


class Retries:
    """Observer that remembers every retry (and pause) it is told about."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, float, str]] = []
        self.pauses: list[tuple[float, str]] = []

    def paused(self, until: float, reason: str) -> None:
        self.pauses.append((until, reason))

    def start(self, endpoint: str, total_pages: int) -> None:
        return None

    def advance(self, endpoint: str, pages: int = 1) -> None:
        return None

    def retrying(self, attempt: int, wait: float, reason: str) -> None:
        self.calls.append((attempt, wait, reason))


# ----- concurrency ------------------------------------------------------------------------


def test_pages_run_concurrently_up_to_the_configured_pool(clean_env: Path) -> None:
    clock = VirtualClock()
    fake = make_fake(sized(6000), clock, latency=0.05)
    token = fake.issue_token("bench").access_token
    settings = settings_for(
        clean_env,
        token,
        TRAKT_EXPORT_NETWORK_CONCURRENCY="4",
        TRAKT_EXPORT_EXPORT_MODE="history",
    )
    result = run_movies(settings, options(fake.transport(), clock, cache_mode="off"))
    history_pages = pages(fake, "bench", "history/movies")
    assert history_pages >= 20
    assert fake.stats.max_in_flight == 4
    # settings, last_activities, every page, and the one consistency re-check (SPEC §7)
    expected = 2 + history_pages + pages(fake, "bench", "ratings/movies") + 1
    assert fake.stats.total == result.stats.requests == expected
    # Overlap is what makes it fast: far less virtual time than one page after another.
    assert clock.now - START < 0.05 * expected / 2


# ----- retries ----------------------------------------------------------------------------


async def test_a_503_is_retried_and_reported(clean_env: Path) -> None:
    clock = VirtualClock()
    fake = make_fake(edge(), clock)
    token = fake.issue_token("edge-user").access_token
    fake.faults.fail_next(2, 503)
    stats, observer = Metrics(), Retries()
    async with build_client(
        settings_for(clean_env, token),
        transport=fake.transport(),
        metrics=stats,
        observer=observer,
        sleep=clock.sleep,
        clock=clock,
        cache_mode="off",
    ) as http:
        response = await TraktAPI(http, user=None, concurrency=1).get("/sync/last_activities")
    assert response.status_code == 200
    assert fake.stats.total == stats.requests == 3
    assert stats.retries == 2
    assert [(attempt, reason) for attempt, _, reason in observer.calls] == [
        (1, "HTTP 503"),
        (2, "HTTP 503"),
    ]
    assert all(0 <= wait <= 2 for _, wait, _ in observer.calls)  # full jitter, 1 s then 2 s


@pytest.mark.parametrize(("status", "error"), [(404, UsageError), (401, AuthError)])
async def test_other_4xx_are_never_retried(
    clean_env: Path, status: int, error: type[Exception]
) -> None:
    clock = VirtualClock()
    fake = make_fake(edge(), clock)
    token = "not-a-token" if status == 401 else fake.issue_token("edge-user").access_token
    path = "/sync/history/movies" if status == 401 else "/users/nobody-here/history/movies"
    stats = Metrics()
    async with build_client(
        settings_for(clean_env, token),
        transport=fake.transport(),
        metrics=stats,
        sleep=clock.sleep,
        clock=clock,
    ) as http:
        with pytest.raises(error):
            await TraktAPI(http, user=None, concurrency=1).get(path)
    assert fake.stats.total == stats.requests == 1
    assert fake.stats.by_status[status] == 1
    assert stats.retries == 0
    assert clock.now == START


def test_5xx_and_truncated_json_do_not_change_the_output(clean_env: Path, tmp_path: Path) -> None:
    outputs = []
    for faulty in (False, True):
        clock = VirtualClock()
        fake = make_fake(large(), clock)
        token = fake.issue_token("big-user").access_token
        if faulty:
            fake.faults.error_rate(0.2, seed=7)
            fake.faults.truncate_rate(0.05, seed=3)
            fake.faults.drop_next(2)
        out = tmp_path / f"out-{faulty}.csv"
        settings = settings_for(
            clean_env,
            token,
            TRAKT_EXPORT_EXPORT_MODE="history",
            TRAKT_EXPORT_EXPORT_MAX_ROWS="0",
            TRAKT_EXPORT_EXPORT_MAX_BYTES="0",
        )
        result = run_movies(
            settings, options(fake.transport(), clock, output=str(out), cache_mode="off")
        )
        outputs.append(out.read_bytes())
        if faulty:
            errors = sum(n for status, n in fake.stats.by_status.items() if status >= 500)
            assert errors > 0, "the seeded faults must actually fire"
            assert result.stats.retries >= errors + 2
            assert result.stats.requests == fake.stats.total
    assert outputs[0] == outputs[1]
    assert len(outputs[0].splitlines()) > 250


def test_persistent_failure_is_exit_4_in_bounded_time_and_keeps_the_old_output(
    clean_env: Path, tmp_path: Path
) -> None:
    clock = VirtualClock()
    fake = make_fake(edge(), clock)
    token = fake.issue_token("edge-user").access_token
    fake.faults.error_rate(1.0, statuses=(502,))
    previous = tmp_path / "letterboxd-aggregated.csv"
    previous.write_bytes(b"previous export\n")
    with pytest.raises(TraktUnavailableError) as caught:
        run_movies(settings_for(clean_env, token), options(fake.transport(), clock))
    assert caught.value.exit_code == 4
    assert "502" in caught.value.message
    assert previous.read_bytes() == b"previous export\n"
    # 5 tries per request of the first round (activities, settings, two page 1s), waits of at
    # most 1+2+4+8 s between them.
    assert fake.stats.total <= 4 * 5
    assert clock.now - START <= 15 + 1


def test_lost_connections_become_exit_4_naming_the_server(clean_env: Path) -> None:
    clock = VirtualClock()
    fake = make_fake(edge(), clock)
    token = fake.issue_token("edge-user").access_token
    fake.faults.drop_next(1000)
    with pytest.raises(TraktUnavailableError) as caught:
        run_movies(settings_for(clean_env, token), options(fake.transport(), clock))
    assert caught.value.lines() == [
        "Error: could not reach Trakt at https://api.trakt.tv: "
        "peer closed connection without sending complete message body",
        # the circuit breaker (SPEC §4 failure_threshold) stops the run, saying so
        "Stopped after 5 network failures in a row ([network] failure_threshold). "
        "Check your connection; try again later.",
    ]
    assert fake.stats.total <= 4 * 5


# ----- 429 and the limiter ----------------------------------------------------------------


async def test_retry_after_beyond_the_cap_fails_fast(clean_env: Path) -> None:
    clock = VirtualClock()
    fake = make_fake(edge(), clock)
    token = fake.issue_token("edge-user").access_token
    fake.faults.force_429(1, retry_after=3600)
    async with build_client(
        settings_for(clean_env, token),
        transport=fake.transport(),
        sleep=clock.sleep,
        clock=clock,
    ) as http:
        with pytest.raises(RateLimitError) as caught:
            await TraktAPI(http, user=None, concurrency=1).get("/sync/last_activities")
    error = caught.value
    assert error.exit_code == 4
    assert error.retry_after == 3600
    assert error.message.startswith("Trakt asks to wait 3600 s (until 23:13 UTC)")
    assert error.hint is not None and "23:13 UTC" in error.hint
    assert fake.stats.total == 1
    assert clock.now == START  # no waiting at all


async def test_429s_outlasting_the_tries_are_a_rate_limit_error(clean_env: Path) -> None:
    clock = VirtualClock()
    fake = make_fake(edge(), clock)
    token = fake.issue_token("edge-user").access_token
    fake.faults.force_429(100, retry_after=5)
    async with build_client(
        settings_for(clean_env, token), transport=fake.transport(), sleep=clock.sleep, clock=clock
    ) as http:
        with pytest.raises(RateLimitError) as caught:
            await TraktAPI(http, user=None, concurrency=1).get("/sync/last_activities")
    assert caught.value.exit_code == 4
    assert caught.value.message.startswith("Trakt kept answering 429 Too Many Requests (5 tries")
    assert fake.stats.total == 5
    assert clock.now - START == pytest.approx(4 * 5)  # each pause exactly Retry-After


async def test_verbose_retry_lines_name_the_request_never_the_token(
    clean_env: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="trakt_export")
    clock = VirtualClock()
    fake = make_fake(edge(), clock)
    token = fake.issue_token("edge-user").access_token
    fake.faults.fail_next(1, 520)
    async with build_client(
        settings_for(clean_env, token), transport=fake.transport(), sleep=clock.sleep, clock=clock
    ) as http:
        await TraktAPI(http, user=None, concurrency=1).get(
            "/sync/history/movies", {"page": 2, "limit": 250}
        )
    err = "\n".join(r.getMessage() for r in caplog.records) + "\n"
    assert err.startswith("retry 1/5 of GET /sync/history/movies?page=2&limit=250 in ")
    assert err.endswith(" s: HTTP 520\n")
    assert token not in err


def test_a_429_storm_pauses_every_worker_until_retry_after(clean_env: Path, tmp_path: Path) -> None:
    outputs: list[bytes] = []
    for stormy in (False, True):
        clock = VirtualClock()
        fake = make_fake(sized(3000), clock, latency=0.05)
        token = fake.issue_token("bench").access_token

        def storm(sent: int, fake: FakeTrakt = fake, stormy: bool = stormy) -> None:
            if stormy and sent == 8:  # mid-export, with every worker busy
                fake.faults.force_429(2, retry_after=7)

        recorder = Recorder(fake, clock, on_send=storm)
        settings = settings_for(
            clean_env,
            token,
            TRAKT_EXPORT_NETWORK_CONCURRENCY="4",
            TRAKT_EXPORT_EXPORT_MODE="history",
            TRAKT_EXPORT_EXPORT_MAX_ROWS="0",
        )
        out = tmp_path / f"storm-{stormy}.csv"
        result = run_movies(settings, options(recorder, clock, output=str(out), cache_mode="off"))
        outputs.append(out.read_bytes())
    refused = [e for e in recorder.log if e.status == 429]
    assert len(refused) == 2
    assert fake.stats.max_in_flight == 4
    for answer in refused:
        assert answer.retry_after == 7
        early = [e for e in recorder.log if answer.answered < e.sent < answer.answered + 7]
        assert not early, f"sent during the pause: {early}"
    assert result.stats.retries == 2
    assert recorder.sent == 2 + 2 + 1 + pages(fake, "bench", "history/movies") + pages(
        fake, "bench", "ratings/movies"
    )
    assert outputs[0] == outputs[1]


def test_defaults_never_trigger_trakts_limit_beyond_1000_requests(clean_env: Path) -> None:
    clock = VirtualClock()
    fake = make_fake(sized(3030), clock)
    fake.faults.account_budget(500, 300)  # Trakt's real budget (TRAKT-REALITY.md)
    token = fake.issue_token("bench").access_token
    settings = settings_for(clean_env, token, TRAKT_EXPORT_EXPORT_DIRECTORS="all")
    result = run_movies(settings, options(fake.transport(), clock, cache_mode="off"))
    assert fake.stats.total > 1000
    assert fake.stats.served_429 == 0
    assert result.stats.retries == 0
    # 450 of the budget go at once, then each window lets the next 450 go (3 windows).
    assert 600 <= clock.now - START < 620


async def test_x_ratelimit_at_zero_pauses_the_next_request(clean_env: Path) -> None:
    clock = VirtualClock()
    until = datetime.fromtimestamp(START + 30, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def handler(request: httpx.Request) -> httpx.Response:
        info = {"name": "AUTHED_API_GET_LIMIT", "remaining": 0, "until": until}
        return httpx.Response(200, json={}, headers={"X-Ratelimit": json.dumps(info)})

    recorder: list[float] = []

    async def timed(request: httpx.Request) -> httpx.Response:
        recorder.append(clock())
        return handler(request)

    async with build_client(
        settings_for(clean_env, "tok"),
        transport=httpx.MockTransport(timed),
        sleep=clock.sleep,
        clock=clock,
    ) as http:
        await http.get("/sync/last_activities")
        await http.get("/sync/last_activities")
    assert recorder == [START, START + 30]


# ----- the cache --------------------------------------------------------------------------


def cache_stats(settings: Settings, clock: VirtualClock) -> CacheFigures:
    from trakt_export.transport.cache import APICache

    cache = APICache(settings.paths.cache_dir, settings.cache.ttl_hours, now=clock)
    try:
        return cache.stats()
    finally:
        cache.close()


def test_cold_run_is_minimal_warm_run_costs_two_and_changes_refetch_only_their_endpoint(
    clean_env: Path,
) -> None:
    clock = VirtualClock()
    fake = make_fake(large(), clock)
    token = fake.issue_token("big-user").access_token
    settings = settings_for(clean_env, token, TRAKT_EXPORT_EXPORT_MAX_ROWS="0")
    watched = pages(fake, "big-user", "history/movies")  # aggregated reads it (SPEC §5 v2.2)
    rated = pages(fake, "big-user", "ratings/movies")
    assert watched > 1 and rated > 1

    cold = run_movies(settings, options(fake.transport(), clock))
    assert fake.stats.total == cold.stats.requests == 2 + watched + rated + 1
    assert cold.stats.cache_hits == 0
    (output,) = cold.files
    first = output.read_bytes()

    fake.stats.reset()
    warm = run_movies(settings, options(fake.transport(), clock))
    assert fake.stats.total == warm.stats.requests == 2
    assert set(fake.stats.by_path) == {"GET /sync/last_activities", "GET /users/settings"}
    # the stored result of run/results.py answers: one cache hit, no page read again
    assert warm.stats.cache_hits == 1
    assert warm.stats.of("/sync/history/movies").cache_hits == 0
    assert output.read_bytes() == first

    films = sorted(fake.dataset.films)[:4]
    for day, film in enumerate(films[:3], start=1):
        fake.add_history("big-user", film, datetime(2031, 1, day, 12, tzinfo=UTC))
    fake.add_rating("big-user", films[3], 7, datetime(2031, 2, 1, tzinfo=UTC))
    fake.stats.reset()
    changed = run_movies(settings, options(fake.transport(), clock))
    assert fake.stats.total == changed.stats.requests == 2 + watched + rated + 1
    rows = rows_by_title(output)
    for day, film in enumerate(films[:3], start=1):
        assert rows[str(fake.dataset.films[film].title)]["WatchedDate"] == f"2031-01-0{day}"
    assert rows[str(fake.dataset.films[films[3]].title)]["Rating10"] == "7"

    fake.add_history("big-user", films[0], datetime(2031, 3, 1, tzinfo=UTC))
    fake.stats.reset()
    only_history = run_movies(settings, options(fake.transport(), clock))
    assert fake.stats.total == 2 + watched + 1
    assert not any("ratings" in path for path in fake.stats.by_path)
    assert only_history.stats.cache_hits == rated
    assert (
        rows_by_title(output)[str(fake.dataset.films[films[0]].title)]["WatchedDate"]
        == "2031-03-01"
    )

    figures = cache_stats(settings, clock)
    runs_hits = only_history.stats.cache_hits  # the warm run's hit is the stored result's
    runs_misses = (watched + rated) * 2 + watched  # cold, changed, history changed
    assert figures["entries"] == watched + rated
    assert (figures["hits"], figures["misses"]) == (runs_hits, runs_misses)
    assert figures["hit_rate"] == round(runs_hits / (runs_hits + runs_misses), 4)
    assert figures["expired"] == 0
    assert figures["size_bytes"] > 0
    assert set(figures["by_kind"]) == {"sync"}
    assert figures["by_kind"]["sync"]["hits"] == runs_hits


async def test_a_hit_says_so_and_keeps_the_pagination_headers(clean_env: Path) -> None:
    clock = VirtualClock()
    fake = make_fake(large(), clock)
    settings = settings_for(clean_env, TRAKT_EXPORT_USERNAME="big-user")
    hint = {"kind": "sync", "account": "user:big-user", "activity": None}
    responses = []
    for _ in range(2):
        async with build_client(
            settings, transport=fake.transport(), sleep=clock.sleep, clock=clock
        ) as http:
            responses.append(
                await http.get(
                    "/users/big-user/history/movies",
                    params={"page": 2, "limit": 250},
                    extensions={HINT: hint},
                )
            )
    live, hit = responses
    assert fake.stats.total == 1
    assert not from_cache(live)
    assert hit.extensions[FROM_CACHE] is True
    assert hit.content == live.content
    for name in ("X-Pagination-Page", "X-Pagination-Page-Count", "X-Pagination-Item-Count"):
        assert hit.headers[name] == live.headers[name]


def test_no_token_in_cache_and_a_new_token_reuses_the_entries(clean_env: Path) -> None:
    clock = VirtualClock()
    fake = make_fake(edge(), clock)
    first = fake.issue_token("edge-user").access_token
    run_movies(settings_for(clean_env, first), options(fake.transport(), clock))
    second = fake.issue_token("edge-user").access_token
    fake.stats.reset()
    run_movies(settings_for(clean_env, second), options(fake.transport(), clock))
    assert fake.stats.total == 2
    cache_dir = settings_for(clean_env).paths.cache_dir
    stored = b"".join(p.read_bytes() for p in cache_dir.rglob("*") if p.is_file())
    assert stored, "the cache must have been written"
    assert first.encode() not in stored and second.encode() not in stored


def test_public_profile_cache_lives_by_ttl(clean_env: Path) -> None:
    clock = VirtualClock()
    fake = make_fake(edge(), clock)
    settings = settings_for(clean_env, TRAKT_EXPORT_USERNAME="edge-user")
    cold = run_movies(settings, options(fake.transport(), clock))
    entries = cold.stats.requests - 2  # the re-check reads page 1 of both listings again
    assert entries > 0
    fake.stats.reset()
    warm = run_movies(settings, options(fake.transport(), clock))
    assert fake.stats.total == warm.stats.requests == 0
    assert warm.stats.cache_hits == entries

    clock.now += 23 * 3600
    assert cache_stats(settings, clock)["expired"] == 0
    clock.now += 2 * 3600  # past the 24 h TTL of sync data
    assert cache_stats(settings, clock)["expired"] == entries
    late = run_movies(settings, options(fake.transport(), clock))
    assert fake.stats.total == late.stats.requests == entries + 2
    assert cache_stats(settings, clock)["expired"] == 0


def test_refresh_refetches_and_restores_and_off_bypasses(clean_env: Path) -> None:
    clock = VirtualClock()
    fake = make_fake(edge(), clock)
    token = fake.issue_token("edge-user").access_token
    settings = settings_for(clean_env, token)
    cold = run_movies(settings, options(fake.transport(), clock, cache_mode="off"))
    assert not settings.paths.cache_dir.exists(), "--no-cache must not even create the cache"
    again = run_movies(settings, options(fake.transport(), clock, cache_mode="off"))
    assert again.stats.requests == cold.stats.requests
    refreshed = run_movies(settings, options(fake.transport(), clock, cache_mode="refresh"))
    assert refreshed.stats.requests == cold.stats.requests
    assert refreshed.stats.cache_hits == 0
    figures = cache_stats(settings, clock)
    assert figures["entries"] == cold.stats.requests - 3  # activities, settings, re-check
    assert (figures["hits"], figures["misses"]) == (0, 0)
    fake.stats.reset()
    run_movies(settings, options(fake.transport(), clock))
    assert fake.stats.total == 2


def test_directors_are_cached_as_people_for_a_week(clean_env: Path) -> None:
    clock = VirtualClock()
    fake = make_fake(edge(), clock)
    token = fake.issue_token("edge-user", lifetime=30 * 24 * 3600).access_token
    settings = settings_for(clean_env, token, TRAKT_EXPORT_EXPORT_DIRECTORS="all")
    cold = run_movies(settings, options(fake.transport(), clock))
    people = sum(n for path, n in fake.stats.by_path.items() if path.endswith("/people"))
    assert people > 3
    fake.stats.reset()
    run_movies(settings, options(fake.transport(), clock))
    assert fake.stats.total == 2
    clock.now += 8 * 24 * 3600
    figures = cache_stats(settings, clock)
    assert figures["by_kind"]["people"]["entries"] == people
    assert figures["by_kind"]["people"]["expired"] == people
    assert figures["by_kind"]["sync"]["expired"] == cold.stats.requests - 3 - people
    fake.stats.reset()
    run_movies(settings, options(fake.transport(), clock))
    # Past ttl_hours.validated (a week) sync data expires too, though its stamps are unchanged:
    # everything is read again, plus the consistency re-check.
    assert fake.stats.total == cold.stats.requests


def test_prune_drops_only_expired_entries_and_clear_drops_everything(clean_env: Path) -> None:
    from trakt_export.transport.cache import APICache, entry_of

    clock = VirtualClock()
    fake = make_fake(edge(), clock)
    settings = settings_for(clean_env, TRAKT_EXPORT_USERNAME="edge-user")
    run_movies(settings, options(fake.transport(), clock))
    cache = APICache(settings.paths.cache_dir, settings.cache.ttl_hours, now=clock)
    total = cache.stats()["entries"]
    assert cache.prune() == 0
    clock.now += 25 * 3600
    cache.put("keep-me-not", entry_of({"kind": "people"}, httpx.Response(200, json=[]), clock.now))
    assert cache.prune() == total
    assert cache.stats()["entries"] == 1
    assert cache.clear() == 1
    figures = cache.stats()
    assert (figures["entries"], figures["hits"], figures["misses"]) == (0, 0, 0)
    assert figures["by_kind"] == {}
    cache.close()


# ----- cache commands ---------------------------------------------------------------------


def test_cache_commands_report_what_the_runs_did(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from trakt_export.cli.app import app

    runner = CliRunner()
    missing = runner.invoke(app, ["cache", "stats", "--json"])
    assert missing.exit_code == 0, missing.stderr
    assert json.loads(missing.stdout) == {
        "entries": 0,
        "size_bytes": 0,
        "hits": 0,
        "misses": 0,
        "hit_rate": 0.0,
        "expired": 0,
        "by_kind": {},
    }
    settings = settings_for(clean_env, TRAKT_EXPORT_USERNAME="edge-user")
    assert not settings.paths.cache_dir.exists(), "stats must not create the cache"

    # Stored 25 hours ago (real time, as the commands use it): past the 24 h TTL of sync data.
    clock = VirtualClock(time.time() - 25 * 3600)
    fake = make_fake(edge(), clock)
    cold = run_movies(settings, options(fake.transport(), clock))
    warm = run_movies(settings, options(fake.transport(), clock))
    entries = cold.stats.requests - 2  # the re-check reads page 1 of both listings again
    assert warm.stats.cache_hits == entries > 0

    result = runner.invoke(app, ["cache", "stats", "--json"])
    assert result.exit_code == 0, result.stderr
    figures = json.loads(result.stdout)
    assert {k: figures[k] for k in ("entries", "hits", "misses", "hit_rate", "expired")} == {
        "entries": entries,
        "hits": entries,
        "misses": entries,
        "hit_rate": 0.5,
        "expired": entries,
    }
    assert figures["size_bytes"] > 0
    assert figures["by_kind"]["sync"] == {
        "entries": entries,
        "size_bytes": figures["by_kind"]["sync"]["size_bytes"],
        "hits": entries,
        "misses": entries,
        "hit_rate": 0.5,
        "expired": entries,
    }

    human = runner.invoke(app, ["cache", "stats"])
    assert human.exit_code == 0
    lines = human.stdout.splitlines()
    assert lines[0].split() == [
        "kind",
        "entries",
        "size",
        "hits",
        "misses",
        "hit",
        "rate",
        "expired",
    ]
    assert lines[1].split()[0] == "sync" and lines[-1].split()[0] == "total"
    assert lines[-1].split()[-2:] == ["50.0%", str(entries)]

    pruned = runner.invoke(app, ["cache", "prune"])
    assert pruned.exit_code == 0
    assert pruned.stdout == ""
    assert pruned.stderr == f"Removed {entries} expired cache entries.\n"
    after = json.loads(runner.invoke(app, ["cache", "stats", "--json"]).stdout)
    assert (after["entries"], after["expired"], after["hits"]) == (0, 0, entries)

    run_movies(settings, options(fake.transport(), clock))
    cleared = runner.invoke(app, ["cache", "clear"])
    assert cleared.exit_code == 0
    assert cleared.stderr == f"Cleared the cache ({entries} entries removed).\n"
    emptied = json.loads(runner.invoke(app, ["cache", "stats", "--json"]).stdout)
    assert {**emptied, "size_bytes": 0} == json.loads(missing.stdout)
