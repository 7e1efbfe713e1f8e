"""Trakt's account budget (SPEC §4, TRAKT-REALITY.md: 500 GET per sliding 5 minutes, Cloudflare's
HTML 429 with Retry-After): the sliding-window limiter at default settings, its record in the
data dir shared by consecutive runs, server-requested pauses, in virtual time."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.test_engine import (
    START,
    Recorder,
    Retries,
    VirtualClock,
    make_fake,
    options,
    settings_for,
)
from trakt_export.config import Settings
from trakt_export.errors import RateLimitError
from trakt_export.run.export import run_movies
from trakt_export.transport.budget import BUDGET_FILE
from trakt_fake import FakeTrakt, edge, sized


def directors_run(home: Path, token: str, **env: str) -> Settings:
    return settings_for(home, token, TRAKT_EXPORT_EXPORT_DIRECTORS="all", **env)


def max_in_any_window(stamps: list[float], window: float) -> int:
    """The most requests any interval of `window` seconds holds (a sliding window)."""
    stamps = sorted(stamps)
    best, first = 0, 0
    for last, stamp in enumerate(stamps):
        while stamps[first] <= stamp - window:
            first += 1
        best = max(best, last - first + 1)
    return best


def test_a_three_window_run_meets_no_429_and_never_bursts_past_the_window(
    clean_env: Path,
) -> None:
    clock = VirtualClock()
    fake = make_fake(sized(3030), clock)
    fake.faults.account_budget(500, 300)
    token = fake.issue_token("bench").access_token
    recorder, observer = Recorder(fake, clock), Retries()
    run_movies(
        directors_run(clean_env, token),
        options(recorder, clock, cache_mode="off", observer=observer),
    )
    assert recorder.sent > 900  # more than two windows' worth of 450
    assert fake.stats.served_429 == 0 and fake.stats.budget_refused == 0
    assert max_in_any_window([e.sent for e in recorder.log], 300) <= 450
    assert clock.now - START >= 600  # it took three windows
    # the waits for the client-side limit were shown
    assert len(observer.pauses) == 2
    assert all("450 requests per 300 s" in reason for _, reason in observer.pauses)


def test_consecutive_runs_share_the_budget_through_the_data_dir(clean_env: Path) -> None:
    clock = VirtualClock()
    fake = make_fake(sized(1200), clock)  # ~400 films: each run about 410 requests
    fake.faults.account_budget(500, 300)
    token = fake.issue_token("bench").access_token
    settings = directors_run(clean_env, token)
    run_movies(settings, options(fake.transport(), clock, cache_mode="off"))
    first = fake.stats.total
    record = (settings.paths.data_dir / BUDGET_FILE).read_text().splitlines()
    assert sum(line.startswith("send ") for line in record) == first
    observer = Retries()
    second_start = clock.now
    run_movies(settings, options(fake.transport(), clock, cache_mode="off", observer=observer))
    assert fake.stats.total >= 2 * first > 500
    assert fake.stats.served_429 == 0
    # the second run knew what the first had sent and waited for the window to slide
    assert clock.now - second_start >= 290
    assert len(observer.pauses) == 1


def test_without_the_record_the_second_run_trips_trakts_budget(clean_env: Path) -> None:
    """The control of the test above (scaled down): the record is what keeps Trakt happy."""
    clock = VirtualClock()
    fake = make_fake(sized(120), clock)  # 40 films: each run about 43 requests
    fake.faults.account_budget(60, 60, retry_after=60)
    token = fake.issue_token("bench").access_token
    env = {
        "TRAKT_EXPORT_NETWORK_REQUESTS_PER_WINDOW": "55",
        "TRAKT_EXPORT_NETWORK_WINDOW_SECONDS": "60",
    }
    settings = directors_run(clean_env, token, **env)
    for forget in (False, True):
        fake.stats.reset()
        clock.now += 120  # a fresh window for each pair of runs
        run_movies(settings, options(fake.transport(), clock, cache_mode="off"))
        if forget:
            (settings.paths.data_dir / BUDGET_FILE).unlink()
        run_movies(settings, options(fake.transport(), clock, cache_mode="off"))
        refused = fake.stats.budget_refused
        assert (refused > 0) if forget else (refused == 0)


def test_cloudflares_html_429_pauses_every_worker_until_retry_after(clean_env: Path) -> None:
    clock = VirtualClock()
    fake = make_fake(sized(240), clock, latency=0.05)  # ~85 requests
    fake.faults.account_budget(40, 60, retry_after=60)  # far below our limiter: Trakt's call
    token = fake.issue_token("bench").access_token
    recorder, observer = Recorder(fake, clock), Retries()
    run_movies(
        directors_run(clean_env, token, TRAKT_EXPORT_NETWORK_CONCURRENCY="8"),
        options(recorder, clock, cache_mode="off", observer=observer),
    )
    refused = [e for e in recorder.log if e.status == 429]
    assert refused and all(e.retry_after is not None for e in refused)
    first = min(e.answered for e in refused)
    assert not [e for e in recorder.log if first < e.sent < first + 59]
    assert observer.pauses and "429" in observer.pauses[0][1]
    assert observer.pauses[0][0] == pytest.approx(first + 60, abs=1)


def test_a_pause_met_by_the_last_run_holds_the_next_or_fails_it_at_once(
    clean_env: Path,
) -> None:
    clock = VirtualClock()
    fake = make_fake(edge(), clock)
    token = fake.issue_token("edge-user").access_token
    settings = settings_for(clean_env, token)
    fake.faults.exhausted_ratelimit(n=None, until_in=120)  # every answer: nothing left
    run_movies(settings, options(fake.transport(), clock, cache_mode="off"))
    fake.faults.exhausted_ratelimit(n=0)
    fake.stats.reset()
    observer, started = Retries(), clock.now
    run_movies(settings, options(fake.transport(), clock, cache_mode="off", observer=observer))
    assert clock.now - started >= 110  # the next run waited out what Trakt had asked
    assert observer.pauses and "earlier run" in observer.pauses[0][1]
    # An hour's block met by one run: the next one fails at once, saying when to retry.
    fake.faults.force_429(1, retry_after=3600)
    with pytest.raises(RateLimitError):
        run_movies(settings, options(fake.transport(), clock, cache_mode="off"))
    fake.stats.reset()
    with pytest.raises(RateLimitError) as caught:
        run_movies(settings, options(fake.transport(), clock, cache_mode="off"))
    assert caught.value.exit_code == 4
    assert "an earlier run" in caught.value.message
    assert caught.value.hint is not None and caught.value.hint.startswith("Try again after ")
    assert fake.stats.total == 0


@pytest.mark.parametrize("damage", ["garbage", "directory", "future"])
def test_a_broken_record_never_stops_a_run(
    clean_env: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock = VirtualClock()
    fake = make_fake(edge(), clock)
    token = fake.issue_token("edge-user").access_token
    settings = settings_for(clean_env, token)
    path = settings.paths.data_dir / BUDGET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    if damage == "garbage":
        path.write_bytes(b"\xff\xfe send nan\nsend inf\npause x\n" + b"send 1e999\n" * 3)
    elif damage == "directory":
        path.mkdir()
    else:  # stamps from a clock far ahead: not taken for a full window
        path.write_text("".join(f"send {START + 10**6 + i}\n" for i in range(1000)))
    with caplog.at_level(logging.WARNING, logger="trakt_export"):
        result = run_movies(settings, options(fake.transport(), clock, cache_mode="off"))
    assert result.rows > 0
    assert clock.now == START  # no wait
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    if damage == "directory":
        assert len(warnings) == 1 and "cannot keep the rate-limit record" in warnings[0]
    else:
        assert warnings == []


def test_a_budget_above_trakts_warns_once(
    clean_env: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = VirtualClock()
    fake: FakeTrakt = make_fake(edge(), clock)
    token = fake.issue_token("edge-user").access_token
    settings = settings_for(clean_env, token, TRAKT_EXPORT_NETWORK_REQUESTS_PER_WINDOW="1000")
    with caplog.at_level(logging.WARNING, logger="trakt_export"):
        run_movies(settings, options(fake.transport(), clock, cache_mode="off"))
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [
        "[network] requests_per_window = 1000 is above Trakt's budget of 500 requests per "
        "5 minutes per account: expect rate-limit pauses (default 450)."
    ]


def test_a_pause_in_force_beyond_max_wait_names_its_length_and_end_and_one_within_is_waited(
    clean_env: Path,
) -> None:
    import re
    from datetime import UTC, datetime

    clock = VirtualClock()
    fake = make_fake(edge(), clock)
    token = fake.issue_token("edge-user").access_token
    settings = settings_for(clean_env, token)
    fake.faults.force_429(1, retry_after=3600)  # met by this run, recorded for the next
    with pytest.raises(RateLimitError):
        run_movies(settings, options(fake.transport(), clock, cache_mode="off"))
    with pytest.raises(RateLimitError) as caught:
        run_movies(settings, options(fake.transport(), clock, cache_mode="off"))
    until = datetime.fromtimestamp(clock.now + 3600, UTC).strftime("%H:%M")
    message = re.fullmatch(
        r"Trakt's rate limit holds every request for (\d+) s more \(until (\d\d:\d\d) UTC; "
        r"(.+)\), longer than max_wait_seconds \(600\)\.",
        caught.value.message,
    )
    assert message is not None, caught.value.message
    assert (message[1], message[2]) == ("3600", until)
    assert "earlier run" in message[3]
    assert (
        caught.value.hint == f"Try again after {until} UTC (or raise [network] max_wait_seconds)."
    )
    assert isinstance(caught.value, RateLimitError)
    assert caught.value.retry_after == pytest.approx(3600)
    # The same pause is waited out when max_wait_seconds allows exactly its length.
    patient = settings_for(clean_env, token, TRAKT_EXPORT_NETWORK_MAX_WAIT_SECONDS="3600")
    started = clock.now
    run_movies(patient, options(fake.transport(), clock, cache_mode="off"))
    assert clock.now - started == pytest.approx(3600, abs=1)
