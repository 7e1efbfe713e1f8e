"""Aggregated mode as a view of history (SPEC §5 v2.2): for any history, the aggregated rows
are exactly the last history-mode row of each film; one evening's check-in and scrobble are
one viewing in both modes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from trakt_export.config import Settings, resolve
from trakt_export.letterboxd import rows as letterboxd
from trakt_export.models import FilmData, HistoryEvent, Movie, MovieRating
from trakt_export.run.export import movie_rows

FILMS = [Movie(i, f"Film {i % 3}", 2000 + i % 2 or None, None, i) for i in range(1, 6)]
ZONES = [ZoneInfo(z) for z in ("UTC", "America/Los_Angeles", "Asia/Tokyo", "Pacific/Kiritimati")]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
START = datetime(2023, 3, 24, tzinfo=UTC)  # a DST change nearby in Europe and America

moments = st.one_of(
    st.integers(0, 86399).map(lambda s: EPOCH + timedelta(seconds=s)),  # date unknown
    st.integers(0, 20 * 86400).map(lambda s: START + timedelta(seconds=s)),
    st.integers(0, 3).map(lambda d: START + timedelta(days=d)),  # exactly midnight UTC
)
events = st.lists(
    st.tuples(st.sampled_from(FILMS), moments, st.sampled_from(["scrobble", "checkin", "watch"])),
    max_size=25,
)
ratings = st.lists(
    st.tuples(st.sampled_from(FILMS), st.integers(1, 10), st.none() | moments), max_size=6
)


def settings_in(mode: str, keep_rated: bool) -> Settings:
    return resolve(
        env={
            "TRAKT_EXPORT_EXPORT_MODE": mode,
            "TRAKT_EXPORT_EXPORT_INCLUDE_RATED_UNWATCHED": str(keep_rated).lower(),
        }
    )


def last_row_per_film(history: list[letterboxd.Row]) -> list[letterboxd.Row]:
    """The oracle, written apart from the code: per film, its dated row of the latest date,
    else its (only) undated row; then the usual row order."""
    by_film: dict[int, list[letterboxd.Row]] = {}
    for row in history:
        by_film.setdefault(row.movie.trakt_id, []).append(row)
    chosen = []
    for film_rows in by_film.values():
        dated = [(r.watched, r) for r in film_rows if r.watched is not None]
        chosen.append(max(dated, key=lambda pair: pair[0])[1] if dated else film_rows[0])
    return letterboxd.sort_rows(chosen)


@settings(max_examples=150)
@given(events, ratings, st.sampled_from(ZONES), st.booleans())
def test_aggregated_is_the_last_history_row_per_film(
    plays: list[tuple[Movie, datetime, str]],
    rated: list[tuple[Movie, int, datetime | None]],
    zone: ZoneInfo,
    keep_rated: bool,
) -> None:
    data = FilmData(
        history=[HistoryEvent(i + 1, at, action, m) for i, (m, at, action) in enumerate(plays)],
        ratings=[MovieRating(m, value, at) for m, value, at in rated],
    )
    history = movie_rows(settings_in("history", keep_rated), data, zone)
    aggregated = movie_rows(settings_in("aggregated", keep_rated), data, zone)
    assert aggregated == last_row_per_film(history)
    assert len({r.movie.trakt_id for r in aggregated}) == len(aggregated)  # one row per film


def test_checkin_and_scrobble_of_one_evening_are_one_viewing_in_both_modes() -> None:
    film = FILMS[0]
    evening = [
        HistoryEvent(1, datetime(2023, 5, 6, 18, tzinfo=UTC), "checkin", film),
        HistoryEvent(2, datetime(2023, 5, 6, 20, 40, tzinfo=UTC), "scrobble", film),
    ]
    data = FilmData(history=evening)
    for mode in ("history", "aggregated"):
        (row,) = movie_rows(settings_in(mode, True), data, ZoneInfo("UTC"))
        assert (row.watched.isoformat() if row.watched else None, row.rewatch) == (
            "2023-05-06",
            False,
        )
