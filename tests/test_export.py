"""Whole exports through the real client stack against the fake Trakt (in-process transport)."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from trakt_export.config import Settings, resolve
from trakt_export.errors import AuthError, PrivateProfileError
from trakt_export.run.export import run_movies, run_watchlist
from trakt_export.run.session import Options
from trakt_export.sources.api import TraktAPI
from trakt_export.transport.client import build_client
from trakt_fake import FakeTrakt, edge, large

CLIENT = "test-client"
SYNC_ENDPOINTS = (
    "history",
    "history/movies",
    "watched/movies",
    "ratings",
    "ratings/movies",
    "collection/movies",
    "watchlist",
    "watchlist/movies",
)


def settings_for(home: Path, **env: str) -> Settings:
    return resolve(env={"TRAKT_EXPORT_HOME": str(home), "TRAKT_EXPORT_CLIENT_ID": CLIENT, **env})


def read_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _key(item: dict[str, Any]) -> tuple[str, int | None]:
    return (item["movie"]["title"], item["movie"]["year"])


def test_every_item_of_every_endpoint_is_read(clean_env: Path) -> None:
    fake = FakeTrakt(large(), client_id=CLIENT)
    token = fake.issue_token("big-user").access_token
    settings = settings_for(clean_env, TRAKT_EXPORT_ACCESS_TOKEN=token)

    async def read_all() -> dict[str, list[Any]]:
        async with build_client(settings, transport=fake.transport(), cache_mode="off") as http:
            api = TraktAPI(http, user=None, concurrency=4)
            await api.start()
            listings = await api.listings(*SYNC_ENDPOINTS)
        return {name: listing.items for name, listing in listings.items()}

    got = asyncio.run(read_all())
    for endpoint in SYNC_ENDPOINTS:
        expected = fake.user_json("big-user", endpoint)
        assert len(expected) > 250, f"the large set must span several pages of {endpoint}"
        assert got[endpoint] == expected, f"{endpoint}: items lost or reordered"


def test_large_history_export_has_every_film_day_and_no_show(
    clean_env: Path, tmp_path: Path
) -> None:
    fake = FakeTrakt(large(), client_id=CLIENT)
    token = fake.issue_token("big-user").access_token
    settings = settings_for(
        clean_env,
        TRAKT_EXPORT_ACCESS_TOKEN=token,
        TRAKT_EXPORT_EXPORT_MODE="history",
        TRAKT_EXPORT_EXPORT_TIMEZONE="UTC",
        TRAKT_EXPORT_EXPORT_MAX_ROWS="0",
        TRAKT_EXPORT_EXPORT_MAX_BYTES="0",
    )
    out = tmp_path / "h.csv"
    run_movies(settings, Options(output=str(out), transport=fake.transport()))
    rows = read_rows(out)
    history = fake.user_json("big-user", "history/movies")
    expected_days = {(*_key(i), i["watched_at"][:10]) for i in history}
    got_days = {(r["Title"], int(r["Year"]) if r["Year"] else None, r["WatchedDate"]) for r in rows}
    assert expected_days <= got_days
    shows = fake.user_json("big-user", "history/shows")
    show_titles = {i["show"]["title"] for i in shows} | {i["episode"]["title"] for i in shows}
    assert show_titles, "the large set has episodes in its history"
    assert not show_titles & {r["Title"] for r in rows}


def test_cold_run_makes_minimum_requests_and_warm_run_at_most_two(
    clean_env: Path, tmp_path: Path
) -> None:
    fake = FakeTrakt(large(), client_id=CLIENT)
    token = fake.issue_token("big-user").access_token
    settings = settings_for(clean_env, TRAKT_EXPORT_ACCESS_TOKEN=token)
    out = tmp_path / "a.csv"
    cold = run_movies(settings, Options(output=str(out), transport=fake.transport()))
    pages = sum(
        -(-len(fake.user_json("big-user", e)) // 250) for e in ("history/movies", "ratings/movies")
    )
    assert cold.stats.requests == fake.stats.total == pages + 2 + 1  # + the re-check
    first = out.read_bytes()
    fake.stats.reset()
    warm = run_movies(settings, Options(output=str(out), transport=fake.transport()))
    assert fake.stats.total <= 2
    assert warm.stats.cache_hits == 1  # the stored result (run/results.py), no page read again
    assert out.read_bytes() == first


def test_history_of_a_film_added_later_is_fetched_again(clean_env: Path, tmp_path: Path) -> None:
    fake = FakeTrakt(edge(), client_id=CLIENT)
    token = fake.issue_token("edge-user").access_token
    settings = settings_for(
        clean_env, TRAKT_EXPORT_ACCESS_TOKEN=token, TRAKT_EXPORT_EXPORT_MODE="history"
    )
    out = tmp_path / "h.csv"
    run_movies(settings, Options(output=str(out), transport=fake.transport()))
    before = len(read_rows(out))
    film = fake.user_json("edge-user", "ratings/movies")[0]["movie"]["ids"]["trakt"]
    fake.add_history("edge-user", film, datetime(2030, 1, 1, 12, tzinfo=UTC))
    run_movies(settings, Options(output=str(out), transport=fake.transport()))
    rows = read_rows(out)
    assert len(rows) == before + 1
    assert any(r["WatchedDate"] == "2030-01-01" for r in rows)


def test_watchlist_has_films_only(clean_env: Path, tmp_path: Path) -> None:
    fake = FakeTrakt(edge(), client_id=CLIENT)
    token = fake.issue_token("edge-user").access_token
    out = tmp_path / "w.csv"
    run_watchlist(
        settings_for(clean_env, TRAKT_EXPORT_ACCESS_TOKEN=token),
        Options(output=str(out), transport=fake.transport()),
    )
    items = fake.user_json("edge-user", "watchlist")
    films = [
        i["movie"]["title"] for i in sorted(items, key=lambda i: i["rank"]) if i["type"] == "movie"
    ]
    assert [r["Title"] for r in read_rows(out)] == films
    assert any(i["type"] == "show" for i in items)


def test_public_profile_equals_token_export(clean_env: Path, tmp_path: Path) -> None:
    fake = FakeTrakt(edge(), client_id=CLIENT)
    token = fake.issue_token("edge-user").access_token
    zone = {"TRAKT_EXPORT_EXPORT_TIMEZONE": "Asia/Tokyo"}
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    run_movies(
        settings_for(clean_env, TRAKT_EXPORT_ACCESS_TOKEN=token, **zone),
        Options(output=str(a), transport=fake.transport()),
    )
    run_movies(
        settings_for(clean_env, TRAKT_EXPORT_USERNAME="edge-user", **zone),
        Options(output=str(b), transport=fake.transport(), cache_mode="off"),
    )
    assert a.read_bytes() == b.read_bytes()


def test_private_profile_is_an_auth_error_and_writes_nothing(
    clean_env: Path, tmp_path: Path
) -> None:
    fake = FakeTrakt(edge(), client_id=CLIENT)
    out = tmp_path / "p.csv"
    with pytest.raises(PrivateProfileError, match="'private-user' is private"):
        run_movies(
            settings_for(clean_env, TRAKT_EXPORT_USERNAME="private-user"),
            Options(output=str(out), transport=fake.transport()),
        )
    assert not out.exists()


def test_no_credentials_lists_the_three_ways(clean_env: Path) -> None:
    with pytest.raises(AuthError) as info:
        run_movies(settings_for(clean_env), Options(transport=FakeTrakt(edge()).transport()))
    assert info.value.exit_code == 3
    assert "auth login" in str(info.value.hint)
    assert "--user NAME" in str(info.value.hint)
    assert "--from-zip" in str(info.value.hint)


def test_stats_count_every_request(clean_env: Path, tmp_path: Path) -> None:
    fake = FakeTrakt(edge(), client_id=CLIENT)
    token = fake.issue_token("edge-user").access_token
    result = run_movies(
        settings_for(clean_env, TRAKT_EXPORT_ACCESS_TOKEN=token),
        Options(output=str(tmp_path / "x.csv"), transport=fake.transport()),
    )
    # the run's one collector (transport/metrics.py), per endpoint
    assert result.stats.of("/sync/history/movies").requests == 1
    # activities, settings, 2 endpoints, the consistency re-check
    assert result.stats.requests == fake.stats.total == 5
    assert "5 HTTP requests, 0 cache hits, 0 retries" in result.summary()
    warm = run_movies(
        settings_for(clean_env, TRAKT_EXPORT_ACCESS_TOKEN=token),
        Options(output=str(tmp_path / "x.csv"), transport=fake.transport()),
    )
    # nothing changed: activities and settings live, the stored result answers (results.py)
    assert warm.stats.requests == fake.stats.total - 5 == 2
    assert "2 HTTP requests, 1 cache hit, 0 retries" in warm.summary()
