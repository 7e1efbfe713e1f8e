"""What is retried and how (SPEC §2 backoff keys, §4 retries, redirects, bounded time), through
the real stack (retry -> limiter -> deadline) against the fake Trakt, in virtual time."""

from __future__ import annotations

import random
import re
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.test_auth import SECRET, save_login
from tests.test_engine import (
    CLIENT,
    START,
    Retries,
    VirtualClock,
    make_fake,
    options,
    settings_for,
)
from trakt_export.config import Settings
from trakt_export.errors import (
    MalformedDataError,
    RateLimitError,
    TraktExportError,
    TraktUnavailableError,
)
from trakt_export.run.export import run_movies
from trakt_export.run.session import Options
from trakt_export.sources.api import TraktAPI
from trakt_export.transport.backoff import STRATEGIES
from trakt_export.transport.circuit import CircuitOpen
from trakt_export.transport.client import build_client
from trakt_export.transport.metrics import Metrics
from trakt_export.transport.policy import GiveUp, Outcome, Retry, RetryPolicy, decide
from trakt_fake import FakeTrakt, edge, sized


async def get(
    home: Path,
    fake: FakeTrakt,
    clock: VirtualClock,
    path: str = "/sync/last_activities",
    params: dict[str, Any] | None = None,
    observer: Retries | None = None,
    **env: str,
) -> tuple[httpx.Response, Metrics]:
    stats = Metrics()
    token = fake.issue_token("edge-user").access_token
    async with build_client(
        settings_for(home, token, **env),
        transport=fake.transport(),
        metrics=stats,
        observer=observer,
        sleep=clock.sleep,
        clock=clock,
        cache_mode="off",
    ) as http:
        response = await TraktAPI(http, user=None, concurrency=1).get(path, params)
    return response, stats


# ----- bodies that are not the JSON expected -------------------------------------------------


@pytest.mark.parametrize("lying", [False, True], ids=["text/html", "application/json"])
async def test_a_200_html_challenge_is_retried_whatever_its_content_type(
    clean_env: Path, lying: bool
) -> None:
    clock = VirtualClock()
    fake = make_fake(edge(), clock)
    fake.faults.html_challenge(2, lying=lying)
    observer = Retries()
    response, stats = await get(
        clean_env, fake, clock, "/sync/history/movies", {"page": 1, "limit": 250}, observer
    )
    assert response.status_code == 200
    assert isinstance(response.json(), list)
    assert fake.stats.faults["challenge"] == 2
    assert stats.retries == 2 and fake.stats.total == 3
    assert [reason for _, _, reason in observer.calls] == ["an HTML page instead of JSON"] * 2


async def test_html_pages_outlasting_the_tries_are_exit_4_saying_so(clean_env: Path) -> None:
    clock = VirtualClock()
    fake = make_fake(edge(), clock)
    fake.faults.html_challenge(100, lying=True)
    with pytest.raises(MalformedDataError) as caught:
        await get(clean_env, fake, clock)
    assert caught.value.exit_code == 4
    assert caught.value.message == (
        "Trakt sent an HTML page instead of JSON at /sync/last_activities (5 tries; "
        "a Cloudflare challenge or a proxy in the way)."
    )
    assert fake.stats.total == 5


async def test_an_object_where_a_page_is_due_is_retried(clean_env: Path) -> None:
    clock = VirtualClock()
    answers = [httpx.Response(200, json={"error": "not a page"}), httpx.Response(200, json=[])]
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url.params))
        return answers.pop(0)

    async with build_client(
        settings_for(clean_env, "tok"),
        transport=httpx.MockTransport(handler),
        sleep=clock.sleep,
        clock=clock,
        cache_mode="off",
    ) as http:
        response = await http.get("/sync/history/movies", params={"page": 1, "limit": 250})
    assert response.json() == []
    assert len(sent) == 2


# ----- statuses --------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504, 520, 521, 522, 523, 524])
async def test_each_transient_status_is_retried(clean_env: Path, status: int) -> None:
    clock = VirtualClock()
    fake = make_fake(edge(), clock)
    if status == 429:
        fake.faults.force_429(1, retry_after=3)
    else:
        fake.faults.fail_next(1, status)
    response, stats = await get(clean_env, fake, clock)
    assert response.status_code == 200
    assert fake.stats.by_status[status] == 1 and fake.stats.total == 2
    assert stats.retries == 1


@pytest.mark.parametrize("status", [400, 403, 405, 409, 410, 412, 420, 422, 423, 426])
async def test_other_4xx_are_answered_once(clean_env: Path, status: int) -> None:
    clock = VirtualClock()
    fake = make_fake(edge(), clock)
    fake.faults.fail_next(10, status)
    with pytest.raises(TraktExportError) as caught:
        await get(clean_env, fake, clock)
    assert caught.value.exit_code in (3, 4)
    assert fake.stats.total == 1
    assert clock.now == START


def failing_refresh(clean_env: Path, fault: str) -> tuple[FakeTrakt, Settings]:
    """A saved login inside the refresh margin, and a fake whose refresh POST fails."""
    fake = FakeTrakt(edge(), client_id=CLIENT, client_secret=SECRET)
    settings = settings_for(clean_env, TRAKT_EXPORT_CLIENT_SECRET=SECRET)
    save_login(settings, fake, "edge-user", lifetime=60)  # inside the refresh margin
    if fault == "503":
        fake.faults.fail_next(5, 503, path_prefix="/oauth/token")
    else:
        fake.faults.drop_next(5)
    return fake, settings


def refreshing_client(settings: Settings, fake: FakeTrakt) -> httpx.AsyncClient:
    from trakt_export.auth.tokens import build_auth

    clock = VirtualClock()
    return build_client(
        settings, auth=build_auth(settings), sleep=clock.sleep, transport=fake.transport()
    )


@pytest.mark.parametrize("fault", ["503", "drop"])
async def test_the_refresh_post_is_never_sent_twice(clean_env: Path, fault: str) -> None:
    """The refresh token is single-use: the retry layer never repeats a failed refresh POST
    (nor the GET waiting for it)."""
    fake, settings = failing_refresh(clean_env, fault)
    async with refreshing_client(settings, fake) as http:
        with pytest.raises(TraktUnavailableError) as caught:
            await TraktAPI(http, user=None, concurrency=1).get("/sync/last_activities")
    assert caught.value.exit_code == 4
    assert fake.stats.by_path["POST /oauth/token"] == 1
    assert fake.stats.total == 1


@pytest.mark.parametrize("fault", ["503", "drop"])
async def test_concurrent_requests_never_send_a_failed_refresh_token_again(
    clean_env: Path, fault: str
) -> None:
    """Two requests waiting for the same refresh (last_activities and settings go out together):
    when the refresh POST fails, the second must not send the same single-use token again."""
    fake, settings = failing_refresh(clean_env, fault)
    async with refreshing_client(settings, fake) as http:
        with pytest.raises(TraktUnavailableError):
            await TraktAPI(http, user=None, concurrency=2).start()
    assert fake.stats.by_path["POST /oauth/token"] == 1


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_redirects_are_not_followed_and_name_their_location(
    clean_env: Path, status: int
) -> None:
    clock = VirtualClock()
    fake = make_fake(edge(), clock)
    fake.faults.redirect_next(1, status)
    with pytest.raises(TraktUnavailableError) as caught:
        await get(clean_env, fake, clock)
    error = caught.value
    assert error.exit_code == 4
    assert error.message == (
        f"Trakt answered {status} at GET /sync/last_activities, redirecting to "
        "https://trakt.tv/sync/last_activities (redirects are not followed)."
    )
    assert error.hint is not None and "api_url" in error.hint
    assert fake.stats.total == 1


# ----- backoff strategies ----------------------------------------------------------------


def envelope(strategy: str, initial: float, factor: float, n: int) -> float:
    """SPEC §2, before try n+1, written out independently of the implementation."""
    if strategy == "exponential":
        return initial * factor ** (n - 1)
    if strategy == "linear":
        return initial * n
    return initial


@given(
    strategy=st.sampled_from(STRATEGIES),
    initial=st.floats(0, 30),
    factor=st.floats(1, 5),
    cap=st.floats(0, 120),
    n=st.integers(1, 40),
    seed=st.integers(0, 2**32),
)
def test_waits_are_within_the_cap_and_the_strategys_envelope(
    strategy: str, initial: float, factor: float, cap: float, n: int, seed: int
) -> None:
    policy = RetryPolicy(
        max_attempts=n + 1,
        backoff_strategy=strategy,
        initial_backoff=initial,
        backoff_factor=factor,
        max_backoff=cap,
        max_retry=10**9,
    )
    rng = random.Random(seed)
    decisions = [decide(policy, n, 0.0, Outcome("HTTP 503"), rng.random()) for _ in range(50)]
    draws = [d.after for d in decisions if isinstance(d, Retry)]
    assert len(draws) == 50
    bound = min(envelope(strategy, initial, factor, n), cap)
    assert all(0 <= w <= bound * (1 + 1e-9) for w in draws)
    # full jitter: the whole [0, bound] is used, not a fixed point of it
    if bound > 1e-6:  # (below that, uniform draws are rounding noise)
        assert max(draws) > bound / 2 and min(draws) < bound / 2


@pytest.mark.parametrize(
    ("strategy", "bounds"),
    [("exponential", [3, 9, 27, 50]), ("linear", [3, 6, 9, 12]), ("constant", [3, 3, 3, 3])],
)
async def test_the_configured_strategy_spaces_the_tries(
    clean_env: Path, strategy: str, bounds: list[float]
) -> None:
    clock = VirtualClock()
    fake = make_fake(edge(), clock)
    fake.faults.fail_next(4, 503)
    observer = Retries()
    response, _ = await get(
        clean_env,
        fake,
        clock,
        observer=observer,
        TRAKT_EXPORT_NETWORK_BACKOFF=strategy,
        TRAKT_EXPORT_NETWORK_INITIAL_BACKOFF_SECONDS="3",
        TRAKT_EXPORT_NETWORK_BACKOFF_FACTOR="3",
        TRAKT_EXPORT_NETWORK_MAX_BACKOFF_SECONDS="50",
    )
    assert response.status_code == 200
    waits = [wait for _, wait, _ in observer.calls]
    assert len(waits) == 4
    assert all(0 <= w <= b for w, b in zip(waits, bounds, strict=True))
    assert clock.now - START == pytest.approx(sum(waits))


# ----- bounded time ----------------------------------------------------------------------


def test_a_trickling_body_times_out_in_total_and_a_retry_recovers(clean_env: Path) -> None:
    fake = FakeTrakt(edge(), client_id=CLIENT)
    token = fake.issue_token("edge-user").access_token
    clock = VirtualClock()  # backoff sleeps are virtual; the trickle and the deadline are real

    async def one(url: str) -> httpx.Response:
        settings = settings_for(
            clean_env,
            token,
            TRAKT_EXPORT_API_URL=url,
            TRAKT_EXPORT_NETWORK_TIMEOUT_SECONDS="0.3",
            TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS="2",
        )
        async with build_client(settings, sleep=clock.sleep, cache_mode="off") as http:
            return await TraktAPI(http, user=None, concurrency=1).get("/sync/last_activities")

    import asyncio

    with fake.serve() as url:
        # ~1 KB at one byte per 20 ms: 20 s per body, each read well within httpx's own timeout
        fake.faults.trickle(0.02, path_prefix="/sync/last_activities")
        started = time.monotonic()
        with pytest.raises(TraktUnavailableError) as caught:
            asyncio.run(one(url))
        assert time.monotonic() - started < 3
        assert caught.value.exit_code == 4
        assert "no complete answer within 0.3 s (timeout_seconds)" in caught.value.message
        fake.faults.trickle(0.02, n=1, path_prefix="/sync/last_activities")
        assert asyncio.run(one(url)).json() == fake.user_json("edge-user", "last_activities")


async def test_an_hour_of_x_ratelimit_fails_at_once_a_minute_is_waited_out(
    clean_env: Path,
) -> None:
    clock = VirtualClock()
    fake = make_fake(edge(), clock)
    fake.faults.exhausted_ratelimit(n=1, until_in=30)
    observer = Retries()
    await get(clean_env, fake, clock, observer=observer)
    await get(clean_env, fake, clock, observer=observer)
    assert clock.now - START == pytest.approx(30, abs=1)
    assert [until for until, _ in observer.pauses] == [pytest.approx(START + 30, abs=1)]
    fake.faults.exhausted_ratelimit(n=1, until_in=3600)
    await get(clean_env, fake, clock)
    before, now = fake.stats.total, clock.now
    with pytest.raises(RateLimitError) as caught:
        await get(clean_env, fake, clock)
    assert caught.value.exit_code == 4
    assert "longer than max_wait_seconds (600)" in caught.value.message
    assert caught.value.hint is not None and caught.value.hint.startswith("Try again after ")
    assert fake.stats.total == before and clock.now == now  # nothing sent, nothing waited


def dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_dead_server_opens_the_circuit_within_the_threshold(clean_env: Path) -> None:
    clock = VirtualClock()
    settings = settings_for(
        clean_env,
        "tok",
        TRAKT_EXPORT_API_URL=f"http://127.0.0.1:{dead_port()}",
        TRAKT_EXPORT_NETWORK_CONCURRENCY="8",
        TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS="20",  # without the circuit: 2 x 20 tries
    )
    observer = Retries()
    with pytest.raises(CircuitOpen) as caught:
        run_movies(
            settings,
            Options(sleep=clock.sleep, clock=clock, cache_mode="off", observer=observer),
        )
    assert caught.value.exit_code == 4
    assert caught.value.hint is not None
    assert caught.value.hint.startswith("Stopped after 5 network failures in a row")
    # last_activities and settings, then each retry; tries overlapping in flight count once
    tries = 2 + len(observer.calls)
    assert 5 <= tries <= 2 * 5  # not the 2 x 20 tries of max_attempts
    # the failures' backoffs only: at most 1 + 2 + 4 + 8 s (the circuit opens on the 5th)
    assert clock.now - START <= 15


def test_requests_in_flight_together_count_as_one_failure(clean_env: Path) -> None:
    clock = VirtualClock()
    fake = make_fake(sized(6000), clock, latency=0.05)
    token = fake.issue_token("bench").access_token
    # after start (2) and both page 1s (2), the network dies with 8 pages in flight
    fake.faults.mutate_after(4, lambda: fake.faults.drop_next(10**6))
    settings = settings_for(
        clean_env,
        token,
        TRAKT_EXPORT_NETWORK_CONCURRENCY="8",
        TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS="20",
        TRAKT_EXPORT_EXPORT_MODE="history",
    )
    with pytest.raises(CircuitOpen):
        run_movies(settings, options(fake.transport(), clock, cache_mode="off"))
    dropped = fake.stats.total - 4
    # 8 failed together (one failure), then 4 more alone opened the circuit
    assert dropped >= 8 + 4
    assert dropped <= 8 + 8 * 4
    assert clock.now - START <= 20


# ----- the same, as a real process ---------------------------------------------------------


@pytest.mark.e2e
def test_the_cli_against_a_dead_server_is_two_lines_and_exit_4_in_bounded_time(
    clean_env: Path, tmp_path: Path
) -> None:
    from tests.procs import run

    env = {
        "TRAKT_EXPORT_HOME": str(clean_env),
        "TRAKT_EXPORT_CLIENT_ID": CLIENT,
        "TRAKT_EXPORT_ACCESS_TOKEN": "tok",
        "TRAKT_EXPORT_API_URL": f"http://127.0.0.1:{dead_port()}",
        "TRAKT_EXPORT_NETWORK_CONCURRENCY": "8",
        "TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS": "50",
        "TRAKT_EXPORT_NETWORK_INITIAL_BACKOFF_SECONDS": "0.05",
    }
    started = time.monotonic()
    done = run(["movies"], env, tmp_path, timeout=30)
    assert time.monotonic() - started < 10
    assert done.returncode == 4
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in done.stderr
    assert lines[0].startswith("Error: could not reach Trakt at http://127.0.0.1:")
    assert lines[1].startswith("Stopped after 5 network failures in a row")


# ----- bounded by time as well as by tries (SPEC §2 max_retry_seconds) ------------------------


def unavailable(retry_after: str, sent: list[float], clock: VirtualClock) -> httpx.MockTransport:
    """A server that keeps answering 503 with Retry-After, noting when each try arrived."""

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(clock.now)
        return httpx.Response(503, headers={"Retry-After": retry_after}, json={})

    return httpx.MockTransport(handler)


async def test_503s_with_retry_after_stop_at_max_retry_seconds_not_max_attempts(
    clean_env: Path,
) -> None:
    clock = VirtualClock()
    sent: list[float] = []
    observer = Retries()
    settings = settings_for(clean_env, "tok", TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS="100")
    assert settings.network.max_retry_seconds == 900  # the default bound
    async with build_client(
        settings,
        transport=unavailable("120", sent, clock),
        observer=observer,
        sleep=clock.sleep,
        clock=clock,
        cache_mode="off",
    ) as http:
        with pytest.raises(TraktUnavailableError) as caught:
            await TraktAPI(http, user=None, concurrency=1).get("/sync/last_activities")
    # a try every 120 s as asked; the 8th answer's wait would end at 960 s > 900: give up then
    assert [t - START for t in sent] == [120.0 * n for n in range(8)]
    assert clock.now - START == 840.0  # never waited past the bound, nor slept for nothing
    assert len(observer.calls) == 7
    assert caught.value.exit_code == 4
    assert caught.value.message == (
        "Trakt kept failing at GET /sync/last_activities (HTTP 503; 8 tries in 840 s); "
        "waiting 120 s more would pass max_retry_seconds (900)."
    )
    # START + 840 + 120 s = 22:29:20 UTC
    assert caught.value.hint == "Try again after 22:29 UTC (or raise [network] max_retry_seconds)."


@pytest.mark.parametrize(("bound", "tries"), [("100", 2), ("130", 3), ("359", 6), ("360", 7)])
async def test_the_time_bound_counts_every_wait(clean_env: Path, bound: str, tries: int) -> None:
    """A wait that would end past the bound gives up before waiting: with 60 s between tries,
    100 s allow 2 tries (a third would start at 120 s), 130 s three; a wait ending exactly at
    the bound is still waited."""
    clock = VirtualClock()
    sent: list[float] = []
    settings = settings_for(
        clean_env,
        "tok",
        TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS="100",
        TRAKT_EXPORT_NETWORK_MAX_RETRY_SECONDS=bound,
    )
    async with build_client(
        settings,
        transport=unavailable("60", sent, clock),
        sleep=clock.sleep,
        clock=clock,
        cache_mode="off",
    ) as http:
        with pytest.raises(TraktUnavailableError, match=rf"max_retry_seconds \({bound}\)"):
            await http.get("/sync/last_activities")
    assert len(sent) == tries
    assert clock.now - START == 60.0 * (tries - 1) <= float(bound)


async def test_our_own_backoff_is_bounded_by_time_too(clean_env: Path) -> None:
    """No Retry-After: our own waits count as well (constant 10 s waits, full jitter)."""
    clock = VirtualClock()
    sent: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(clock.now)
        raise httpx.ConnectError("refused", request=request)

    settings = settings_for(
        clean_env,
        "tok",
        TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS="1000",
        TRAKT_EXPORT_NETWORK_FAILURE_THRESHOLD="1000",
        TRAKT_EXPORT_NETWORK_BACKOFF="constant",
        TRAKT_EXPORT_NETWORK_INITIAL_BACKOFF_SECONDS="10",
        TRAKT_EXPORT_NETWORK_MAX_RETRY_SECONDS="300",
    )
    async with build_client(
        settings,
        transport=httpx.MockTransport(handler),
        sleep=clock.sleep,
        clock=clock,
        cache_mode="off",
    ) as http:
        with pytest.raises(TraktUnavailableError) as caught:
            await http.get("/sync/last_activities")
    assert clock.now - START <= 300
    assert len(sent) > 30  # ~60 tries of 5 s on average: bounded by time, not by the 1000 tries
    assert "(ConnectError: refused; " in caught.value.message
    assert caught.value.hint is not None and caught.value.hint.startswith("Try again after ")


def test_the_cli_gives_up_at_max_retry_seconds_naming_when_to_retry(
    clean_env: Path, tmp_path: Path
) -> None:
    """Through the CLI against a real loopback server that keeps answering 503 with
    Retry-After 120: with max_retry_seconds 60 the first wait would pass the bound, so the run
    stops at once (nothing really waits): exit 4, two lines, the time to retry."""
    import http.server
    import threading

    from typer.testing import CliRunner

    from trakt_export.cli.app import app

    class Unavailable(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b'{"error":"service_unavailable"}'
            self.send_response(503)
            self.send_header("Retry-After", "120")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            return None  # a request cancelled by the run's failure: a broken pipe, not news

    server = Server(("127.0.0.1", 0), Unavailable)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    env = {
        "TRAKT_EXPORT_CLIENT_ID": CLIENT,
        "TRAKT_EXPORT_ACCESS_TOKEN": "tok",
        "TRAKT_EXPORT_API_URL": f"http://127.0.0.1:{server.server_address[1]}",
        "TRAKT_EXPORT_NETWORK_MAX_RETRY_SECONDS": "60",
    }
    try:
        started = time.monotonic()
        done = CliRunner().invoke(app, ["movies"], env=env)
        took = time.monotonic() - started
    finally:
        server.shutdown()
        server.server_close()
    assert took < 10
    assert done.exit_code == 4, done.output
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith("Error: Trakt kept failing at GET /")  # last_activities or settings
    assert lines[0].endswith(
        "(HTTP 503; 1 try in 0 s); waiting 120 s more would pass max_retry_seconds (60)."
    )
    assert re.fullmatch(
        r"Try again after \d\d:\d\d UTC \(or raise \[network\] max_retry_seconds\)\.", lines[1]
    )
    assert not list(tmp_path.glob("*.csv"))


@pytest.mark.parametrize(
    ("attempt", "elapsed", "outcome", "expected"),
    [
        (1, 0.0, Outcome(None), GiveUp("final")),  # an error of our own: never again
        (1, 0.0, Outcome("HTTP 503", 601.0), GiveUp("too_long", 601.0)),  # > max_wait at once
        (5, 0.0, Outcome("HTTP 503", 601.0), GiveUp("too_long", 601.0)),  # ...even on the last
        (5, 0.0, Outcome("HTTP 503", 1.0), GiveUp("attempts", 1.0)),  # max_attempts tries
        (4, 800.0, Outcome("HTTP 503", 100.0), Retry(100.0)),  # ends exactly at the bound
        (4, 800.5, Outcome("HTTP 503", 100.0), GiveUp("time", 100.0)),  # would end past it
        (4, 0.0, Outcome("HTTP 503", 600.0), Retry(600.0)),  # exactly max_wait is waited
        (2, 0.0, Outcome("timeout (ReadTimeout)"), Retry(1.0)),  # ours: 1 x 2^(2-1), draw 0.5
        (2, 899.5, Outcome("timeout (ReadTimeout)"), GiveUp("time", 1.0)),
    ],
)
def test_the_one_decision(
    attempt: int, elapsed: float, outcome: Outcome, expected: Retry | GiveUp
) -> None:
    assert decide(RetryPolicy(), attempt, elapsed, outcome, 0.5) == expected
