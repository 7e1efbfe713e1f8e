"""Letterboxd mapping rules of SPEC §5 on hand-built items (the goldens cover whole datasets)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from trakt_export.letterboxd import rows as letterboxd
from trakt_export.models import HistoryEvent, Movie, MovieRating, WatchedMovie, WatchlistMovie

UTCZ = ZoneInfo("UTC")
LA = ZoneInfo("America/Los_Angeles")
TOKYO = ZoneInfo("Asia/Tokyo")

DUNE = Movie(1, "Dune", 2021, "tt1160419", 438631)
NOIDS = Movie(2, 'Obscure, "Quoted" Film', None, None, None)
ALIEN = Movie(3, "Alien", 1979, "tt0078748", 348)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def event(movie: Movie, when: str, action: str = "watch", hid: int = 0) -> HistoryEvent:
    return HistoryEvent(hid, at(when), action, movie)


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_same_local_day_collapses_and_later_days_are_rewatches() -> None:
    events = [
        event(DUNE, "2024-03-01T20:00:00", "scrobble"),
        event(DUNE, "2024-03-01T21:00:00", "checkin"),
        event(DUNE, "2024-03-05T10:00:00"),
    ]
    rows = letterboxd.history_rows(events, [], UTCZ)
    assert [(r.watched, r.rewatch) for r in rows] == [
        (date(2024, 3, 1), False),
        (date(2024, 3, 5), True),
    ]


def test_local_day_depends_on_zone() -> None:
    late = [event(DUNE, "2024-06-01T23:30:00")]
    early = [event(ALIEN, "2024-06-02T00:30:00")]
    assert letterboxd.history_rows(late, [], TOKYO)[0].watched == date(2024, 6, 2)
    assert letterboxd.history_rows(early, [], LA)[0].watched == date(2024, 6, 1)
    assert letterboxd.history_rows(early, [], UTCZ)[0].watched == date(2024, 6, 2)


def test_dst_offset_of_each_date_is_used() -> None:
    # 07:30 UTC is 23:30 PST on 10 March (UTC-8) but 00:30 PDT on 11 March (UTC-7).
    winter = event(DUNE, "2024-03-10T07:30:00")
    summer = event(ALIEN, "2024-03-11T07:30:00")
    rows = letterboxd.history_rows([winter, summer], [], LA)
    assert {r.movie.title: r.watched for r in rows} == {
        "Dune": date(2024, 3, 9),
        "Alien": date(2024, 3, 11),
    }


def test_rating_on_every_row_joined_by_trakt_id_even_without_imdb() -> None:
    events = [event(NOIDS, "2024-01-01T12:00:00"), event(NOIDS, "2024-02-01T12:00:00")]
    ratings = [MovieRating(NOIDS, 7, None)]
    rows = letterboxd.history_rows(events, ratings, UTCZ)
    assert [r.rating for r in rows] == [7, 7]


def test_rated_unwatched_rows_only_when_enabled() -> None:
    ratings = [MovieRating(ALIEN, 9, None), MovieRating(DUNE, 8, None)]
    watched = [WatchedMovie(DUNE, 3, at("2024-01-01T12:00:00"))]
    rows = letterboxd.aggregated_rows(watched, ratings, UTCZ)
    assert [(r.movie.title, r.watched, r.rating, r.rewatch) for r in rows] == [
        ("Dune", date(2024, 1, 1), 8, True),
        ("Alien", None, 9, None),
    ]
    without = letterboxd.aggregated_rows(watched, ratings, UTCZ, include_rated_unwatched=False)
    assert [r.movie.title for r in without] == ["Dune"]


def test_aggregated_single_play_is_not_a_rewatch() -> None:
    rows = letterboxd.aggregated_rows([WatchedMovie(DUNE, 1, at("2024-01-01T00:00:00"))], [], LA)
    assert rows[0].rewatch is False
    assert rows[0].watched == date(2023, 12, 31)


def test_order_is_date_then_title_then_year_with_undated_last() -> None:
    a2 = Movie(10, "Alpha", 2002, None, None)
    a1 = Movie(11, "Alpha", 1999, None, None)
    b = Movie(12, "beta", 2000, None, None)
    z = Movie(13, "Zulu", 2000, None, None)
    events = [event(b, "2024-01-01T10:00:00"), event(a2, "2024-01-01T10:00:00")]
    events += [event(a1, "2024-01-01T11:00:00"), event(z, "2023-12-31T10:00:00")]
    rated = [MovieRating(Movie(14, "Omega", None, None, None), 5, None)]
    rated.append(MovieRating(Movie(15, "Aardvark", 2010, None, None), 6, None))
    rows = letterboxd.history_rows(events, rated, UTCZ)
    assert [(r.movie.title, r.movie.year) for r in rows] == [
        ("Zulu", 2000),
        ("Alpha", 1999),
        ("Alpha", 2002),
        ("beta", 2000),
        ("Aardvark", 2010),
        ("Omega", None),
    ]


def test_csv_cells_quoting_and_empty_values() -> None:
    rows = letterboxd.history_rows([event(NOIDS, "2024-01-01T12:00:00")], [], UTCZ)
    header, lines = letterboxd.movie_lines(rows)
    assert header == "Title,Year,imdbID,tmdbID,WatchedDate,Rating10,Rewatch\r\n"
    assert lines == ['"Obscure, ""Quoted"" Film",,,,2024-01-01,,false\r\n']
    assert parse(header + lines[0])[1][0] == 'Obscure, "Quoted" Film'


def test_directors_column_is_last_and_one_field() -> None:
    rows = letterboxd.with_directors(
        letterboxd.history_rows([event(DUNE, "2024-01-01T12:00:00")], [], UTCZ),
        {1: "Lana Wachowski, Lilly Wachowski"},
    )
    header, lines = letterboxd.movie_lines(rows, directors=True)
    parsed = parse(header + "".join(lines))
    assert parsed[0][-1] == "Directors"
    assert parsed[1][-1] == "Lana Wachowski, Lilly Wachowski"


def test_watchlist_rank_order_films_only() -> None:
    items = [WatchlistMovie(ALIEN, 2, None), WatchlistMovie(DUNE, 1, None)]
    header, lines = letterboxd.watchlist_lines(items)
    assert header == "Title,Year,imdbID,tmdbID\r\n"
    assert lines == ["Dune,2021,tt1160419,438631\r\n", "Alien,1979,tt0078748,348\r\n"]


@pytest.mark.parametrize(("max_rows", "max_bytes"), [(3, 0), (0, 120), (2, 100), (1, 0)])
def test_split_respects_both_limits_and_keeps_every_row(max_rows: int, max_bytes: int) -> None:
    header = "Title,Year\r\n"
    lines = [f"Film {i},{2000 + i}\r\n" for i in range(10)]
    parts = letterboxd.split_parts(header, lines, max_rows, max_bytes)
    assert len(parts) > 1
    rebuilt = []
    for part in parts:
        assert part.startswith(header)
        body = part[len(header) :].splitlines(keepends=True)
        assert body, "no empty parts"
        if max_rows:
            assert len(body) <= max_rows
        if max_bytes:
            assert len(part.encode()) <= max_bytes
        rebuilt += body
    assert rebuilt == lines


def test_split_single_part_when_within_limits() -> None:
    assert letterboxd.split_parts("H\r\n", ["a\r\n"], 1900, 900000) == ["H\r\na\r\n"]
    assert letterboxd.split_parts("H\r\n", [], 1, 1) == ["H\r\n"]


def test_a_row_larger_than_max_bytes_gets_a_part_of_its_own_and_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    lines = ["a\r\n", "A very long review\r\n", "b\r\n", "c\r\n"]
    parts = letterboxd.split_parts("H\r\n", lines, 0, 10)
    assert parts == ["H\r\na\r\n", "H\r\nA very long review\r\n", "H\r\nb\r\nc\r\n"]
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warned) == 1 and warned[0].startswith("1 row larger than max_bytes (10 bytes")
    assert letterboxd.split_parts("H\r\n", ["A very long review\r\n"], 0, 10) == [
        "H\r\nA very long review\r\n"
    ]
