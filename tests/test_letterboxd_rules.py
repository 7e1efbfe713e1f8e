"""Letterboxd rules that the mutation run found unheld: exact limits when splitting, which
rating wins, ties in the sort, watchlist duplicates and the cells of an undated row."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from trakt_export.letterboxd import rows as letterboxd
from trakt_export.models import HistoryEvent, Movie, MovieRating, WatchedMovie, WatchlistMovie

UTCZ = ZoneInfo("UTC")
A = Movie(1, "Same", 2000, "tt1", 11)
B = Movie(2, "Same", 2000, "tt2", 22)
C = Movie(3, "same", None, None, None)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_part_may_be_exactly_max_bytes_and_exactly_max_rows() -> None:
    header, lines = "H\r\n", ["a\r\n", "b\r\n", "c\r\n", "d\r\n"]
    assert letterboxd.split_parts(header, lines, 0, 3 + 3 * 3) == [
        "H\r\na\r\nb\r\nc\r\n",
        "H\r\nd\r\n",
    ]
    assert letterboxd.split_parts(header, lines, 2, 0) == ["H\r\na\r\nb\r\n", "H\r\nc\r\nd\r\n"]
    assert letterboxd.split_parts(header, lines, 4, 3 + 4 * 3) == ["H\r\na\r\nb\r\nc\r\nd\r\n"]
    assert letterboxd.split_parts(header, ["ab\r\n"], 0, 7) == ["H\r\nab\r\n"]  # one row, exact


def test_sizes_are_counted_in_bytes_not_characters() -> None:
    header, lines = "H\r\n", ["é\r\n", "é\r\n"]  # 4 bytes each, 3 characters
    assert letterboxd.split_parts(header, lines, 0, 3 + 4 + 3) == ["H\r\né\r\n", "H\r\né\r\n"]


def test_the_latest_rating_wins_and_a_tie_goes_to_the_later_entry() -> None:
    ratings = [
        MovieRating(A, 4, at("2024-01-02T00:00:00")),
        MovieRating(A, 9, at("2024-01-01T00:00:00")),  # older: loses
        MovieRating(B, 3, at("2024-01-01T00:00:00")),
        MovieRating(B, 7, at("2024-01-01T00:00:00")),  # same moment, later in the list: wins
        MovieRating(C, 5, None),
        MovieRating(C, 6, at("1990-01-01T00:00:00")),  # any date beats none
        MovieRating(C, 2, None),
    ]
    rows = letterboxd.aggregated_rows([], ratings, UTCZ)
    assert {r.movie.trakt_id: r.rating for r in rows} == {1: 4, 2: 7, 3: 6}


def test_equal_titles_sort_by_case_then_year_then_trakt_id() -> None:
    day = at("2024-03-03T12:00:00")
    watched = [WatchedMovie(m, 1, day) for m in (B, C, A)]
    rows = letterboxd.aggregated_rows(watched, [], UTCZ)
    assert [r.movie.trakt_id for r in rows] == [1, 2, 3]  # "Same" 2000 (ids 1, 2), then "same"
    undated = letterboxd.aggregated_rows([], [MovieRating(m, 5, None) for m in (C, B, A)], UTCZ)
    assert [r.movie.trakt_id for r in undated] == [1, 2, 3]
    no_year = Movie(4, "Same", None, None, None)
    rows = letterboxd.aggregated_rows([WatchedMovie(m, 1, day) for m in (no_year, A)], [], UTCZ)
    assert [r.movie.trakt_id for r in rows] == [1, 4]  # a known year before none


def test_history_rewatch_and_rating_cells() -> None:
    events = [
        HistoryEvent(1, at("2024-01-01T10:00:00"), "watch", A),
        HistoryEvent(2, at("2024-01-05T10:00:00"), "watch", A),
    ]
    rows = letterboxd.history_rows(events, [MovieRating(A, 8, None)], UTCZ)
    _, lines = letterboxd.movie_lines(rows)
    assert lines == [
        "Same,2000,tt1,11,2024-01-01,8,false\r\n",
        "Same,2000,tt1,11,2024-01-05,8,true\r\n",
    ]
    rows = letterboxd.history_rows([], [MovieRating(C, 10, None)], UTCZ)
    assert letterboxd.movie_lines(rows)[1] == ["same,,,,,10,\r\n"]
    assert (
        letterboxd.history_rows([], [MovieRating(C, 10, None)], UTCZ, include_rated_unwatched=False)
        == []
    )


def test_aggregated_rewatch_is_more_than_one_play() -> None:
    day = at("2024-01-01T23:30:00")
    rows = letterboxd.aggregated_rows(
        [WatchedMovie(A, 2, day), WatchedMovie(B, 1, day)], [], ZoneInfo("Asia/Tokyo")
    )
    assert [
        (r.movie.trakt_id, r.rewatch, r.watched.isoformat() if r.watched else "") for r in rows
    ] == [
        (1, True, "2024-01-02"),
        (2, False, "2024-01-02"),
    ]
    assert (
        letterboxd.aggregated_rows(
            [], [MovieRating(A, 5, None)], UTCZ, include_rated_unwatched=False
        )
        == []
    )


def test_watchlist_keeps_the_first_rank_of_a_film_and_quotes_cells() -> None:
    odd = Movie(5, 'A "quoted", title\nwith a newline', None, None, None)
    items = [
        WatchlistMovie(B, 3, None),
        WatchlistMovie(A, 2, None),
        WatchlistMovie(B, 1, None),
        WatchlistMovie(odd, 2, None),
        WatchlistMovie(C, 9, None),  # after the duplicate: still listed
    ]
    header, lines = letterboxd.watchlist_lines(items)
    assert lines[:2] == ["Same,2000,tt2,22\r\n", "Same,2000,tt1,11\r\n"]
    assert lines[2] == '"A ""quoted"", title\nwith a newline",,,\r\n'
    assert lines[3:] == ["same,,,\r\n"]
    parsed = list(csv.reader(io.StringIO(header + "".join(lines))))
    assert parsed[3] == ['A "quoted", title\nwith a newline', "", "", ""]


def test_directors_cell_is_empty_when_unknown() -> None:
    rows = letterboxd.with_directors(
        letterboxd.aggregated_rows([WatchedMovie(A, 1, at("2024-01-01T00:00:00"))], [], UTCZ), {}
    )
    header, lines = letterboxd.movie_lines(rows, directors=True)
    assert header.endswith(",Rewatch,Directors\r\n")
    assert lines == ["Same,2000,tt1,11,2024-01-01,,false,\r\n"]


def test_a_row_too_big_for_max_bytes_is_alone_and_exactly_fitting_rows_share() -> None:
    # 9 bytes with the header: a part of its own; 8 bytes fits the limit exactly, together.
    assert letterboxd.split_parts("H\r\n", ["abcd\r\n", "ab\r\n", "cd\r\n"], 0, 8) == [
        "H\r\nabcd\r\n",
        "H\r\nab\r\n",
        "H\r\ncd\r\n",
    ]
    assert letterboxd.split_parts("H\r\n", ["a\r\n", "b\r\n"], 0, 9) == ["H\r\na\r\nb\r\n"]
