"""Trakt JSON parsers: films only, nullable ids, clear errors on unusable items."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from trakt_export.errors import MalformedDataError
from trakt_export.models import parse_history, parse_ratings, parse_time, parse_watched
from trakt_export.zones import choose_zone, system_zone

MOVIE: dict[str, Any] = {
    "title": "Dune",
    "year": 2021,
    "ids": {"trakt": 1, "slug": "dune-2021", "imdb": "tt1160419", "tmdb": 438631},
}
EPISODE: dict[str, Any] = {
    "id": 9,
    "watched_at": "2024-01-01T10:00:00.000Z",
    "action": "watch",
    "type": "episode",
    "episode": {"season": 1, "number": 1, "title": "Pilot", "ids": {"trakt": 5}},
    "show": {"title": "A Show", "year": 2020, "ids": {"trakt": 6}},
}


def test_history_keeps_films_and_drops_episodes() -> None:
    items = [
        {
            "id": 1,
            "watched_at": "2024-01-02T03:04:05.000Z",
            "action": "checkin",
            "type": "movie",
            "movie": MOVIE,
        },
        EPISODE,
    ]
    (event,) = parse_history(items)
    assert event.watched_at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert event.action == "checkin"
    assert event.movie.imdb == "tt1160419"


def test_null_ids_and_year_become_none() -> None:
    movie = {"title": "Lost", "year": None, "ids": {"trakt": 7, "imdb": None, "tmdb": None}}
    (item,) = parse_watched(
        [{"plays": 2, "last_watched_at": "2024-01-01T00:00:00.000Z", "movie": movie}]
    )
    assert (item.movie.year, item.movie.imdb, item.movie.tmdb) == (None, None, None)


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([{"type": "movie", "movie": MOVIE, "rating": 11}], "rating 11 is not"),
        ([{"type": "movie", "movie": {"title": "x", "ids": {}}, "rating": 5}], "Trakt id"),
        (["nope"], "expected an object"),
    ],
)
def test_bad_items_raise_clear_errors(items: list[Any], message: str) -> None:
    with pytest.raises(MalformedDataError, match=message):
        parse_ratings(items)


def test_parse_time_rejects_garbage() -> None:
    with pytest.raises(MalformedDataError, match="unreadable watched_at"):
        parse_time("yesterday", "watched_at")


def test_timezone_chain() -> None:
    assert choose_zone("Asia/Tokyo", "Europe/Berlin")[1] == "configured"
    zone, source = choose_zone("", "Europe/Berlin")
    assert (str(zone), source) == ("Europe/Berlin", "Trakt account")
    assert choose_zone("", None)[1] == "system"


def test_system_zone_from_tz_then_localtime_link(tmp_path: Path) -> None:
    assert str(system_zone({"TZ": "America/Los_Angeles"})) == "America/Los_Angeles"
    link = tmp_path / "localtime"
    link.symlink_to("/usr/share/zoneinfo/Asia/Tokyo")
    assert str(system_zone({}, link)) == "Asia/Tokyo"
    assert str(system_zone({"TZ": "Not/AZone"}, tmp_path / "missing")) == "UTC"
