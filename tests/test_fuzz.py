"""Property tests: any Trakt-shaped JSON gives correct rows or a clear MalformedDataError, never a
crash; every CSV line round-trips exactly through Python's csv reader."""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from trakt_export.errors import MalformedDataError
from trakt_export.letterboxd import rows as letterboxd
from trakt_export.models import (
    is_unknown_date,
    parse_history,
    parse_ratings,
    parse_watched,
    parse_watchlist,
)

ZONES = [ZoneInfo(z) for z in ("UTC", "America/Los_Angeles", "Asia/Tokyo", "Pacific/Kiritimati")]

# Any JSON value, including lone surrogates and NUL in strings, huge and negative numbers.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
titles = st.text(alphabet=st.characters(codec=None), max_size=40) | st.sampled_from(
    ["=SUM(A1)", 'Say "hi", Bob', "Amélie", "千と千尋の神隠し", "Брат", "🎬 \r\n x", "\ud800"]
)
ids = st.fixed_dictionaries(
    {"trakt": st.integers(min_value=1, max_value=10**12)},
    optional={
        "imdb": st.none() | st.text(max_size=12),
        "tmdb": st.none() | st.integers(min_value=-5, max_value=10**15) | st.text(max_size=4),
        "slug": st.text(max_size=8),
    },
)
movies = st.fixed_dictionaries(
    {"title": titles, "ids": ids},
    optional={"year": st.none() | st.integers(min_value=-10, max_value=10**6)},
)
stamps = st.datetimes(
    min_value=__import__("datetime").datetime(1900, 1, 2),
    max_value=__import__("datetime").datetime(2100, 1, 1),
).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
history_items = st.fixed_dictionaries(
    {"id": st.integers(min_value=1, max_value=10**12), "watched_at": stamps, "movie": movies},
    optional={
        "action": st.sampled_from(["scrobble", "checkin", "watch"]),
        "type": st.just("movie"),
    },
)
rating_items = st.fixed_dictionaries(
    {"rating": st.integers(min_value=1, max_value=10), "movie": movies, "type": st.just("movie")},
    optional={"rated_at": stamps},
)
watched_items = st.fixed_dictionaries(
    {"plays": st.integers(min_value=1, max_value=10**6), "last_watched_at": stamps, "movie": movies}
)


def roundtrip(header: str, lines: list[str]) -> list[list[str]]:
    return list(csv.reader(io.StringIO(header + "".join(lines), newline="")))


def check_csv(header: str, lines: list[str], rows: list[letterboxd.Row]) -> None:
    parsed = roundtrip(header, lines)
    assert parsed[0] == header.rstrip("\r\n").split(",")
    assert len(parsed) == len(rows) + 1
    for cells, row in zip(parsed[1:], rows, strict=True):
        assert cells[0] == row.movie.title  # exactly, whatever the characters
        assert cells[1] == ("" if row.movie.year is None else str(row.movie.year))
        (header + "".join(lines)).encode("utf-8")  # always encodable


@settings(max_examples=150, deadline=None)
@given(st.lists(json_values, max_size=4))
def test_arbitrary_json_never_crashes_the_parsers(items: list[Any]) -> None:
    for parse in (parse_history, parse_watched, parse_ratings, parse_watchlist):
        try:
            parse(items)
        except MalformedDataError as exc:
            assert exc.exit_code == 4 and exc.message


@settings(max_examples=150, deadline=None)
@given(
    st.lists(history_items, max_size=12),
    st.lists(rating_items, max_size=6),
    st.sampled_from(ZONES),
)
def test_history_rows_roundtrip_exactly(
    history: list[dict[str, Any]], ratings: list[dict[str, Any]], zone: ZoneInfo
) -> None:
    # Through real JSON text, as Trakt sends it.
    events = parse_history(json.loads(json.dumps(history)))
    rated = parse_ratings(json.loads(json.dumps(ratings)))
    rows = letterboxd.history_rows(events, rated, zone)
    header, lines = letterboxd.movie_lines(rows)
    check_csv(header, lines, rows)
    watched_ids = {e.movie.trakt_id for e in events}
    dated_ids = {e.movie.trakt_id for e in events if not is_unknown_date(e.watched_at)}
    assert {r.movie.trakt_id for r in rows if r.watched} == dated_ids
    assert {r.movie.trakt_id for r in rows} >= watched_ids  # unknown-date only: an undated row
    latest: dict[int, Any] = {}
    for r in rated:  # the most recently rated wins; later in the list on a tie
        key = r.rated_at.timestamp() if r.rated_at else float("-inf")
        if r.movie.trakt_id not in latest or key >= latest[r.movie.trakt_id][0]:
            latest[r.movie.trakt_id] = (key, r.rating)
    by_film = {film: rating for film, (_, rating) in latest.items()}
    for row in rows:
        assert row.rating == by_film.get(row.movie.trakt_id)


@settings(max_examples=100, deadline=None)
@given(st.lists(watched_items, max_size=10), st.sampled_from(ZONES))
def test_aggregated_rows_roundtrip_exactly(watched: list[dict[str, Any]], zone: ZoneInfo) -> None:
    parsed = parse_watched(json.loads(json.dumps(watched)))
    rows = letterboxd.aggregated_rows(parsed, [], zone)
    header, lines = letterboxd.movie_lines(rows)
    check_csv(header, lines, rows)
    assert len(rows) == len({w.movie.trakt_id for w in parsed})


@settings(max_examples=100, deadline=None)
@given(st.lists(history_items, min_size=1, max_size=20), st.integers(1, 5), st.integers(0, 3000))
def test_split_parts_keep_every_row_within_limits(
    history: list[dict[str, Any]], max_rows: int, max_bytes: int
) -> None:
    rows = letterboxd.history_rows(parse_history(history), [], ZONES[0])
    header, lines = letterboxd.movie_lines(rows)
    assume(lines)  # films with neither a title nor an id are skipped (SPEC §5): maybe no rows
    parts = letterboxd.split_parts(header, lines, max_rows, max_bytes)
    union: list[str] = []
    for part in parts:
        assert part.startswith(header)
        body = part[len(header) :]
        if max_bytes and len(part.encode()) > max_bytes:  # only an oversized row, alone
            assert body in lines
        parsed = roundtrip("", [part])
        assert len(parsed) - 1 <= max_rows
        union.append(body)
    assert "".join(union) == "".join(lines)
