"""`imported`: an account that came to Trakt from Letterboxd (TRAKT-REALITY.md "Dates", "Lists").

Date-only plays and ratings sit at exactly 00:00:00.000Z with action `watch`, as Trakt's own
Letterboxd/IMDb import and TraktRater store them, beside scrobbles and check-ins at that very
instant (real times); a film object without any id and no title; titles whose order needs
case-folding (`About a Boy`, `About Schmidt`); and personal lists with every `sort_by` in both
directions, whose ranks repeat and skip, served in the list's own order (`listsort.py`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from trakt_fake.listsort import SORT_BY
from trakt_fake.records import (
    UNKNOWN_DATE,
    Collected,
    Comment,
    Dataset,
    Film,
    Listed,
    Rating,
    UserData,
    UserList,
    Watch,
    utc,
)

IMPORTED_ZONE = "America/Los_Angeles"
IMPORTED_USER = "imported-user"

_FILMS = (
    # trakt, title, year, imdb, tmdb
    (5001, "About Schmidt", 2002, "tt0257360", 2755),
    (5002, "About a Boy", 2002, "tt0276751", 245),
    (5003, "Lost in Translation", 2003, "tt0335266", 153),
    (5004, "Midnight Scrobble", 2015, "tt5000004", 500004),
    (5005, "Midnight Check-in", 2016, "tt5000005", 500005),
    (5006, "Unknown Then Imported", 1994, "tt0110912", 680),
    (5007, "One Minute Past", 2018, "tt5000007", 500007),
    (5008, "Two Imports", 1998, "tt0120815", 857),
    (5009, "Imported And Scrobbled", 2001, "tt0250494", 1018),
    (5010, "Rated At Midnight", 1977, "tt0075686", 703),
    (5011, "Rated Before Midnight", 1979, "tt0079470", 583),
    (5012, "the apartment", 1960, "tt0053604", 284),
    (5013, "Zelig", 1983, "tt0086637", 11030),
    (5014, "Éclair", None, "tt5000014", 500014),
)

# A film object Trakt serves with neither a title nor any id (not even a Trakt id).
NAMELESS = Film(0, None, None, None, None)

# Ranks as a real list holds them: some repeat (2, 7), some are skipped (3, 5, 6, 8, 10, 11).
_RANKS = (1, 2, 2, 4, 7, 7, 9, 12, 13)
_LIST_FILMS = (5013, 5002, 5001, 5012, 5014, 5003, 5010, 5008, 5006)


def _plays(f: dict[int, Film]) -> list[tuple[Film, datetime, str]]:
    return [
        (f[5006], UNKNOWN_DATE, "watch"),  # the epoch rule comes first: date unknown
        (f[5003], utc(2024, 1, 1), "watch"),  # imported, date only
        (f[5006], utc(2024, 2, 1), "watch"),
        # The day US clocks change: both imported on 10 March, whatever the zone.
        (f[5001], utc(2024, 3, 10), "watch"),
        (f[5002], utc(2024, 3, 10), "watch"),
        # Scrobbles and check-ins at the very instant carry real times: converted.
        (f[5004], utc(2024, 4, 1), "scrobble"),
        (f[5005], utc(2024, 4, 2), "checkin"),
        (NAMELESS, utc(2024, 4, 3, 20), "watch"),
        (f[5003], utc(2024, 5, 5, 2), "scrobble"),  # 4 May in Los Angeles, 5 May in Tokyo
        (f[5007], utc(2024, 6, 16, 0, 1), "watch"),  # a time of day: converted
        (f[5008], utc(2024, 7, 1), "watch"),
        (f[5008], utc(2024, 7, 2), "watch"),
        (f[5009], utc(2024, 8, 10), "watch"),  # imported, then watched again that day (UTC)
        (f[5009], utc(2024, 8, 10, 20), "scrobble"),  # 13:00 in LA, 11 August in Tokyo
        (f[5012], utc(2024, 9, 1, 19), "checkin"),
        (f[5013], utc(2024, 9, 1, 19, 30), "scrobble"),
    ]


def _ratings(f: dict[int, Film]) -> list[Rating]:
    return [
        Rating(utc(2024, 1, 1), 8, f[5003]),  # imported ratings sit at midnight UTC too
        Rating(utc(2024, 3, 10), 7, f[5001]),
        Rating(utc(2024, 3, 10), 9, f[5002]),
        Rating(utc(2024, 4, 3, 20, 5), 5, NAMELESS),
        Rating(utc(2024, 6, 1), 6, f[5010]),  # rated, never watched: 1 June, any zone
        Rating(utc(2024, 6, 1, 6), 4, f[5011]),  # 23:00 on 31 May in Los Angeles
        Rating(utc(2024, 9, 2, 8), 10, f[5012]),
    ]


def _lists(f: dict[int, Film]) -> list[UserList]:
    start = utc(2024, 2, 1, 12)

    def entries(first_id: int) -> list[Listed]:
        return [
            # Two items share a minute (ties by rank, then Trakt id).
            Listed(first_id + i, rank, start + timedelta(hours=(i * 5) % 7), f[film])
            for i, (rank, film) in enumerate(zip(_RANKS, _LIST_FILMS, strict=True))
        ]

    lists = []
    sorts = [(by, how) for by in SORT_BY for how in ("asc", "desc")] + [("mystery", "desc")]
    for n, (by, how) in enumerate(sorts):
        slug = f"by-{by}-{how}".replace("_", "-")
        items = entries(8000 + 20 * n)
        items[0].notes = f"sorted by {by}, {how}"
        lists.append(
            UserList(6001 + n, f"By {by} {how}", slug, start, start, sort_by=by, sort_how=how)
        )
        lists[-1].items = items
    return lists


def imported() -> Dataset:
    """`imported-user` (Los Angeles): see the module docstring."""
    f = {t: Film(t, title, year, imdb, tmdb) for t, title, year, imdb, tmdb in _FILMS}
    history = [
        Watch(30_001 + i, when, action, item) for i, (item, when, action) in enumerate(_plays(f))
    ]
    user = UserData(
        username=IMPORTED_USER,
        name="Came From Letterboxd",
        timezone=IMPORTED_ZONE,
        history=history,
        ratings=_ratings(f),
        collection=[
            Collected(utc(2023, 12, 24, 18) + timedelta(days=i), f[5001 + i]) for i in (0, 2, 12)
        ],
        lists=_lists(f),
        favorites=[
            Listed(9001, 3, utc(2024, 3, 1), f[5013]),
            Listed(9002, 1, utc(2024, 3, 2), f[5002]),
            Listed(9003, 1, utc(2024, 3, 3), f[5001]),
        ],
        comments=[
            # 21:00 on 9 March in Los Angeles: placed on the film's row, dated 10 March.
            Comment(1, utc(2024, 3, 10, 5), f[5002], "Imported with its date."),
        ],
    )
    return Dataset(users={IMPORTED_USER: user}, films=f)
