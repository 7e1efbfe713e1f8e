"""Deterministic datasets for the fake: edge cases, a demo library, real-Trakt oddities, large and
sized ones.

Every function builds a fresh `Dataset` (mutations on one fake never leak into another).
Times are fixed UTC datetimes; `sized` uses a seeded generator, nothing else is random.
"""

from __future__ import annotations

import functools
import random
import zlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from trakt_fake.records import (
    UNKNOWN_DATE,
    Collected,
    Dataset,
    Episode,
    Film,
    Gone,
    Item,
    Listed,
    Person,
    Rating,
    Season,
    Show,
    UserData,
    Watch,
    utc,
)
from trakt_fake.socialsets import add_edge_social, add_sample_social


@functools.cache
def person(name: str) -> Person:
    # Stable id from the name, so the same director gets the same id everywhere; cached so
    # big synthetic catalogues share one object per director.
    return Person(name, 10_000 + zlib.crc32(name.encode()) % 900_000)


def film(
    trakt: int,
    title: str | None,
    year: int | None,
    imdb: str | None,
    tmdb: int | None,
    *directors: str,
) -> Film:
    return Film(trakt, title, year, imdb, tmdb, tuple(person(d) for d in directors))


class _Log:
    """Builds one user's history with increasing ids in the order events are added."""

    def __init__(self, first_id: int) -> None:
        self.next_id = first_id
        self.events: list[Watch] = []

    def watch(self, item: Film | Episode | Gone, when: datetime, action: str = "watch") -> None:
        self.events.append(Watch(self.next_id, when, action, item))
        self.next_id += 1


def _listed(entries: Sequence[tuple[Item, datetime, str | None]]) -> list[Listed]:
    return [
        Listed(id=500 + rank, rank=rank, listed_at=when, item=item, notes=notes)
        for rank, (item, when, notes) in enumerate(entries, start=1)
    ]


# ----- edge -------------------------------------------------------------------------------

BREAKING_BAD = Show(1388, "Breaking Bad", 2008, "tt0903747", 1396, 81189, 62)
THE_OFFICE = Show(1391, "The Office", 2005, "tt0386676", 2316, 73244, 201)
BB_EPISODES = (
    Episode(73482, BREAKING_BAD, 1, 1, "Pilot", "tt0959621", 62085, 349232),
    Episode(73483, BREAKING_BAD, 1, 2, "Cat's in the Bag...", "tt1054724", 62086, 349235),
    Episode(73484, BREAKING_BAD, 1, 3, "...And the Bag's in the River", "tt1054725", 62087, 349236),
)


def edge() -> Dataset:
    """`edge-user` (public, Europe/Berlin) with every awkward case, plus `private-user`."""
    f = {
        1: film(1, "Crouching Tiger, Hidden Dragon", 2000, "tt0190332", 146, "Ang Lee"),
        2: film(2, '"Crocodile" Dundee', 1986, "tt0090555", 9671, "Peter Faiman"),
        3: film(3, "Schindler's List", 1993, "tt0108052", 424, "Steven Spielberg"),
        4: film(4, "千と千尋の神隠し", 2001, "tt0245429", 129, "Hayao Miyazaki"),
        5: film(5, "Брат", 1997, "tt0118767", 20992, "Aleksei Balabanov"),
        6: film(6, "🎬🍿 Popcorn Night", 2021, "tt9999901", 999901),  # no director known
        7: film(7, "=SUM(A1:A9)", 2019, "tt9999902", 999902, "Ada Formula"),
        8: film(8, "Lost in the Archive", 2015, None, 888001, "Nia Nullimdb"),
        9: film(9, "Only on IMDb", 2016, "tt9999903", None, "Tom Nulltmdb"),
        10: film(10, "Basement Tapes", 2018, None, None, "Bo Bothnull"),
        11: film(11, "Untitled Project", None, "tt9999904", 999904, "Yan Noyear"),
        12: film(12, "Groundhog Day", 1993, "tt0107048", 137, "Harold Ramis"),
        13: film(13, "Inception", 2010, "tt1375666", 27205, "Christopher Nolan"),
        14: film(14, "Night on Earth", 1991, "tt0102536", 339, "Jim Jarmusch"),
        15: film(15, "After Hours", 1985, "tt0088680", 10843, "Martin Scorsese"),
        16: film(16, "Run Lola Run", 1998, "tt0130827", 104, "Tom Tykwer"),
        17: film(17, "Collateral", 2004, "tt0369339", 1538, "Michael Mann"),
        18: film(18, "Citizen Kane", 1941, "tt0033467", 15, "Orson Welles"),
        19: film(19, "Paddington 2", 2017, "tt4468740", 346648, "Paul King"),
        20: film(
            20, "Le Fabuleux Destin d'Amélie Poulain", 2001, "tt0211915", 194, "Jean-Pierre Jeunet"
        ),
        21: film(21, "Cats", 2019, "tt5697572", 536869, "Tom Hooper"),
        22: film(22, "The Room", 2003, "tt0368226", 17473, "Tommy Wiseau"),
        23: film(23, "Alien", 1979, "tt0078748", 348, "Ridley Scott"),
        24: film(24, "Parasite", 2019, "tt6751668", 496243, "Bong Joon-ho"),
        25: film(25, "Mad Max: Fury Road", 2015, "tt1392190", 76341, "George Miller"),
        26: film(26, "Stalker", 1979, "tt0079944", 1398, "Andrei Tarkovsky"),
        # Two directors: the directors column must join them.
        27: film(27, "No Country for Old Men", 2007, "tt0477348", 6977, "Joel Coen", "Ethan Coen"),
    }
    log = _Log(1001)
    plan: list[tuple[int, datetime, str]] = [
        (1, utc(2023, 1, 5, 20), "watch"),
        (2, utc(2023, 1, 12, 19, 15), "scrobble"),
        (3, utc(2023, 2, 1, 18), "checkin"),
        (12, utc(2023, 2, 2, 19), "scrobble"),  # Groundhog Day, first of three days
        (4, utc(2023, 2, 10, 12), "scrobble"),
        (5, utc(2023, 2, 14, 21), "watch"),
        (6, utc(2023, 2, 20, 20), "scrobble"),
        (7, utc(2023, 2, 25, 20), "watch"),
        (8, utc(2023, 3, 1, 20), "scrobble"),
        (9, utc(2023, 3, 2, 20), "scrobble"),
        (10, utc(2023, 3, 3, 20), "watch"),
        (11, utc(2023, 3, 4, 20), "watch"),
        # 00:30 PDT on 13 March (DST began 12 March); a fixed -08:00 would say the 12th.
        (17, utc(2023, 3, 13, 7, 30), "scrobble"),
        # 00:30 CEST on 27 March (DST began 26 March); a fixed +01:00 would say the 26th.
        (16, utc(2023, 3, 26, 22, 30), "scrobble"),
        (12, utc(2023, 4, 2, 19), "scrobble"),
        # Check-in and scrobble of the same film on the same local day (any zone).
        (13, utc(2023, 5, 6, 18), "checkin"),
        (13, utc(2023, 5, 6, 20, 40), "scrobble"),
        # 23:30 UTC: next day in Tokyo; 00:30 UTC: previous day in Los Angeles.
        (14, utc(2023, 6, 10, 23, 30), "watch"),
        (15, utc(2023, 6, 11, 0, 30), "watch"),
        (19, utc(2023, 7, 1, 15), "watch"),
        (20, utc(2023, 7, 14, 19), "scrobble"),
        (21, utc(2023, 8, 1, 20), "watch"),
        (22, utc(2023, 8, 2, 20), "watch"),
        (23, utc(2023, 9, 1, 21), "scrobble"),
        (24, utc(2023, 10, 1, 19), "scrobble"),
        (23, utc(2023, 10, 31, 22), "scrobble"),
        (25, utc(2023, 11, 1, 20), "checkin"),
        (27, utc(2023, 11, 20, 20), "watch"),
        (12, utc(2024, 2, 2, 19), "watch"),
    ]
    episode_plan: list[tuple[Film | Episode, datetime, str]] = [
        (BB_EPISODES[0], utc(2023, 4, 10, 20), "scrobble"),
        (BB_EPISODES[1], utc(2023, 4, 11, 20), "scrobble"),
        (BB_EPISODES[2], utc(2023, 4, 12, 20), "watch"),
        (BB_EPISODES[0], utc(2023, 12, 1, 20), "watch"),
    ]
    merged = [(f[trakt], when, action) for trakt, when, action in plan] + episode_plan
    for item, when, action in sorted(merged, key=lambda e: e[1]):
        log.watch(item, when, action)

    rated_at = utc(2023, 12, 20, 10)
    movie_ratings = {
        21: 1, 22: 2, 10: 3, 7: 4, 2: 5, 11: 6, 14: 7, 1: 8, 13: 9, 3: 10,
        18: 10,  # rated, never watched
        4: 10, 12: 8, 5: 7, 8: 6, 9: 5, 16: 9, 17: 7, 20: 8, 23: 9, 24: 10,
        25: 8, 15: 6, 6: 4, 27: 9,
        # 19 (Paddington 2) is watched but unrated
    }  # fmt: skip
    ratings = [
        Rating(rated_at + timedelta(minutes=i), value, f[trakt])
        for i, (trakt, value) in enumerate(movie_ratings.items())
    ]
    ratings += [
        Rating(utc(2023, 4, 13, 9), 10, BREAKING_BAD),
        Rating(utc(2023, 4, 13, 9, 1), 9, Season(BREAKING_BAD, 1, aired_episodes=7)),
        Rating(utc(2023, 4, 13, 9, 2), 8, BB_EPISODES[0]),
    ]
    watchlist = _listed(
        [
            (f[26], utc(2023, 5, 1, 8), 'Anna says: slow, "hypnotic", worth it'),
            (THE_OFFICE, utc(2023, 5, 2, 8), None),
            (f[10], utc(2023, 5, 3, 8), None),  # a film with neither IMDb nor TMDB id
            (f[18], utc(2023, 5, 4, 8), None),
            (f[11], utc(2023, 5, 5, 8), "no year yet"),
        ]
    )
    collection = [
        Collected(utc(2022, 12, 24, 18), f[3]),
        Collected(utc(2022, 12, 24, 18, 5), f[23], utc(2023, 1, 2, 10)),
        Collected(utc(2023, 3, 1, 12), f[10]),
        Collected(utc(2023, 4, 9, 12), BB_EPISODES[0]),
        Collected(utc(2023, 4, 9, 12), BB_EPISODES[1]),
    ]
    edge_user = UserData(
        username="edge-user",
        name="Edge Case",
        timezone="Europe/Berlin",
        history=log.events,
        ratings=ratings,
        collection=collection,
        watchlist=watchlist,
    )
    add_edge_social(edge_user, f, BREAKING_BAD, THE_OFFICE, BB_EPISODES)

    private_log = _Log(9001)
    private_log.watch(f[13], utc(2023, 2, 3, 20), "scrobble")
    private_log.watch(f[24], utc(2023, 2, 4, 20), "watch")
    private_log.watch(f[13], utc(2023, 6, 3, 20), "checkin")
    private_user = UserData(
        username="private-user",
        private=True,
        name="Private Person",
        timezone="America/New_York",
        history=private_log.events,
        ratings=[Rating(utc(2023, 6, 4, 9), 9, f[13])],
        watchlist=_listed([(f[26], utc(2023, 6, 5, 9), None)]),
    )
    return Dataset(
        users={"edge-user": edge_user, "private-user": private_user},
        films=f,
        shows={s.trakt: s for s in (BREAKING_BAD, THE_OFFICE)},
    )


# ----- sample (demo) ------------------------------------------------------------------------

_SAMPLE_FILMS: tuple[tuple[str, int, str, int, str], ...] = (
    ("The Shawshank Redemption", 1994, "tt0111161", 278, "Frank Darabont"),
    ("The Godfather", 1972, "tt0068646", 238, "Francis Ford Coppola"),
    ("The Dark Knight", 2008, "tt0468569", 155, "Christopher Nolan"),
    ("Pulp Fiction", 1994, "tt0110912", 680, "Quentin Tarantino"),
    ("Fight Club", 1999, "tt0137523", 550, "David Fincher"),
    ("Forrest Gump", 1994, "tt0109830", 13, "Robert Zemeckis"),
    ("Inception", 2010, "tt1375666", 27205, "Christopher Nolan"),
    ("The Matrix", 1999, "tt0133093", 603, "Lana Wachowski"),
    ("Goodfellas", 1990, "tt0099685", 769, "Martin Scorsese"),
    ("Interstellar", 2014, "tt0816692", 157336, "Christopher Nolan"),
    ("Parasite", 2019, "tt6751668", 496243, "Bong Joon-ho"),
    ("Spirited Away", 2001, "tt0245429", 129, "Hayao Miyazaki"),
    ("Alien", 1979, "tt0078748", 348, "Ridley Scott"),
    ("Blade Runner", 1982, "tt0083658", 78, "Ridley Scott"),
    ("Casablanca", 1942, "tt0034583", 289, "Michael Curtiz"),
    ("Back to the Future", 1985, "tt0088763", 105, "Robert Zemeckis"),
    ("Jurassic Park", 1993, "tt0107290", 329, "Steven Spielberg"),
    ("Titanic", 1997, "tt0120338", 597, "James Cameron"),
    ("Amélie", 2001, "tt0211915", 194, "Jean-Pierre Jeunet"),
    ("Whiplash", 2014, "tt2582802", 244786, "Damien Chazelle"),
    ("Mad Max: Fury Road", 2015, "tt1392190", 76341, "George Miller"),
    ("Get Out", 2017, "tt5052448", 419430, "Jordan Peele"),
    ("La La Land", 2016, "tt3783958", 313369, "Damien Chazelle"),
    ("Arrival", 2016, "tt2543164", 329865, "Denis Villeneuve"),
    ("The Grand Budapest Hotel", 2014, "tt2278388", 120467, "Wes Anderson"),
    ("Her", 2013, "tt1798709", 152601, "Spike Jonze"),
    ("Moonlight", 2016, "tt4975722", 376867, "Barry Jenkins"),
    ("No Country for Old Men", 2007, "tt0477348", 6977, "Joel Coen"),
    ("There Will Be Blood", 2007, "tt0469494", 7345, "Paul Thomas Anderson"),
    ("Spider-Man: Into the Spider-Verse", 2018, "tt4633694", 324857, "Bob Persichetti"),
    ("Everything Everywhere All at Once", 2022, "tt6710474", 545611, "Daniel Kwan"),
    ("Dune", 2021, "tt1160419", 438631, "Denis Villeneuve"),
    ("Oppenheimer", 2023, "tt15398776", 872585, "Christopher Nolan"),
    ("Barbie", 2023, "tt1517268", 346698, "Greta Gerwig"),
    ("The Social Network", 2010, "tt1285016", 37799, "David Fincher"),
    ("Toy Story", 1995, "tt0114709", 862, "John Lasseter"),
    ("WALL·E", 2008, "tt0910970", 10681, "Andrew Stanton"),
    ("Up", 2009, "tt1049413", 14160, "Pete Docter"),
    ("The Lord of the Rings: The Fellowship of the Ring", 2001, "tt0120737", 120, "Peter Jackson"),
    ("Seven Samurai", 1954, "tt0047478", 346, "Akira Kurosawa"),
    ("Knives Out", 2019, "tt8946378", 546554, "Rian Johnson"),
    ("Paddington 2", 2017, "tt4468740", 346648, "Paul King"),
)


def sample() -> Dataset:
    """`demo`: ~40 well-known films over 2023-2024, a few rewatches, ratings and a watchlist."""
    films = {
        # Trakt ids here are plausible, not real: the demo never talks to Trakt.
        100 + i: film(100 + i, title, year, imdb, tmdb, director)
        for i, (title, year, imdb, tmdb, director) in enumerate(_SAMPLE_FILMS)
    }
    ordered = list(films.values())
    watched, watchlisted = ordered[:36], ordered[36:]
    log = _Log(70_001)
    start = utc(2023, 1, 6, 20, 15)
    events: list[tuple[Film, datetime, str]] = []
    for i, item in enumerate(watched):
        # Roughly one film every ten days, evenings UTC, actions cycling like a real account.
        when = start + timedelta(days=10 * i, minutes=37 * (i % 5))
        events.append((item, when, ("scrobble", "checkin", "watch")[i % 3]))
    for i in (2, 6, 9, 12):  # rewatches of a few favourites
        events.append((watched[i], start + timedelta(days=400 + 9 * i, hours=1), "scrobble"))
    for item, when, action in sorted(events, key=lambda e: e[1]):
        log.watch(item, when, action)
    ratings = [
        Rating(utc(2024, 3, 1, 12) + timedelta(hours=i), 10 - (i * 3) % 7, item)
        for i, item in enumerate(watched)
        if i % 4 != 3  # a quarter stays unrated
    ]
    ratings.append(Rating(utc(2024, 3, 9, 12), 8, watchlisted[0]))  # rated without a watch
    watchlist = _listed(
        [(item, utc(2024, 4, 1 + i, 9), None) for i, item in enumerate(watchlisted)]
    )
    watchlist[1].notes = "Friday movie night"
    collection = [
        Collected(utc(2022, 11, 25, 10) + timedelta(days=i), f) for i, f in enumerate(watched[:8])
    ]
    demo = UserData(
        username="demo",
        name="Demo User",
        timezone="Europe/London",
        history=log.events,
        ratings=ratings,
        collection=collection,
        watchlist=watchlist,
    )
    add_sample_social(demo, watched, watchlisted)
    return Dataset(users={"demo": demo}, films=films)


# ----- reality ---------------------------------------------------------------------------

REALITY_ZONE = "America/Los_Angeles"


def reality() -> Dataset:
    """`reality-user` (Los Angeles): what real Trakt serves in 2026 and the other datasets lack.

    Unknown-date plays (at the epoch), null media objects, films without title, ids or year,
    and plays around local midnight. See TRAKT-REALITY.md and SPEC §5.
    """
    f = {
        3001: film(3001, "Seen Long Ago", 1984, "tt0087332", 620, "Ivan Reitman"),
        3002: film(3002, "Watched Again", 1999, "tt0133093", 603, "Lana Wachowski"),
        3003: film(3003, "Rated From Memory", 1975, "tt0073486", 510, "Milos Forman"),
        # Trakt has the ids but the metadata is gone: `title: null`.
        3004: film(3004, None, 2011, "tt1568346", 65754),
        # Neither title nor IMDb/TMDB id: Letterboxd could not match it.
        3005: film(3005, None, None, None, None),
        3006: film(3006, "Announced Project", None, "tt9999950", 999950, "Ann Nouncer"),
        3007: film(3007, "Late Show", 2019, "tt8772262", 530385, "Ari Aster"),
        3008: film(3008, "Early Bird", 2017, "tt5580390", 399055, "Guillermo del Toro"),
        3009: film(3009, "Night Owl", 2014, "tt2872718", 242582, "Dan Gilroy"),
        3010: film(3010, "Plain Film", 2002, "tt0280707", 1360, "Someone Plain"),
    }
    removed = Gone("movie")
    log = _Log(40_001)
    # Logged in this order (ids increase); the history serves them newest first.
    plan: list[tuple[Film | Gone, datetime, str]] = [
        (f[3001], UNKNOWN_DATE, "watch"),  # only unknown-date plays, twice
        (f[3001], UNKNOWN_DATE, "watch"),
        (f[3002], UNKNOWN_DATE, "watch"),  # unknown date, then dated rewatches
        (f[3003], UNKNOWN_DATE, "watch"),  # unknown date, and rated
        (f[3010], utc(2024, 1, 20, 20), "watch"),
        (removed, utc(2024, 2, 1, 20), "scrobble"),  # a play of a film Trakt no longer has
        # 10:00 and 19:00 PST on 9 March: one local day, two UTC days.
        (f[3002], utc(2024, 3, 9, 18), "checkin"),
        (f[3002], utc(2024, 3, 10, 3), "scrobble"),
        (f[3004], utc(2024, 4, 2, 20), "watch"),
        (f[3005], utc(2024, 4, 3, 20), "watch"),
        (f[3006], utc(2024, 4, 4, 20), "watch"),
        # 23:59 PDT on 31 May and 00:01 PDT on 1 June (06:59 / 07:01 UTC on 1 June).
        (f[3007], utc(2024, 6, 1, 6, 59), "scrobble"),
        (f[3008], utc(2024, 6, 1, 7, 1), "scrobble"),
        # 23:30 UTC on 15 June: 16:30 in Los Angeles, already 16 June in Berlin and Tokyo.
        (f[3009], utc(2024, 6, 15, 23, 30), "watch"),
        (f[3002], utc(2024, 7, 4, 4, 30), "watch"),  # 21:30 PDT on 3 July
    ]
    for item, when, action in plan:
        log.watch(item, when, action)
    rated = utc(2024, 8, 1, 12)
    ratings = [
        Rating(rated, 9, f[3003]),
        Rating(rated + timedelta(minutes=1), 7, f[3002]),
        Rating(rated + timedelta(minutes=2), 6, f[3004]),
        Rating(rated + timedelta(minutes=3), 4, removed),
        Rating(rated + timedelta(minutes=4), 5, f[3005]),
        Rating(rated + timedelta(minutes=5), 8, f[3010]),
    ]
    watchlist = _listed(
        [
            (f[3006], utc(2024, 5, 1, 8), "no year yet"),
            (removed, utc(2024, 5, 2, 8), None),
            (f[3004], utc(2024, 5, 3, 8), None),
            (f[3005], utc(2024, 5, 4, 8), None),
        ]
    )
    user = UserData(
        username="reality-user",
        name="Real Trakt",
        timezone=REALITY_ZONE,
        history=log.events,
        ratings=ratings,
        collection=[Collected(utc(2023, 12, 24, 18), f[3001])],
        watchlist=watchlist,
    )
    return Dataset(users={"reality-user": user}, films=f)


# ----- large and sized --------------------------------------------------------------------


def _synthetic_film(trakt: int) -> Film:
    # Every seventh film lacks an IMDb id and every eleventh a TMDB id, like real catalogues.
    return Film(
        trakt,
        f"Film {trakt:06d}",
        1950 + trakt % 75,
        None if trakt % 7 == 0 else f"tt{9_000_000 + trakt:08d}",
        None if trakt % 11 == 0 else 700_000 + trakt,
        (person(f"Director {trakt % 997:03d}"),),
    )


def _synthetic_show(trakt: int) -> tuple[Show, list[Episode]]:
    show = Show(
        trakt,
        f"Show {trakt:05d}",
        1990 + trakt % 35,
        f"tt{8_000_000 + trakt:08d}",
        600_000 + trakt,
        300_000 + trakt,
        aired_episodes=4,
    )
    episodes = [
        Episode(
            trakt * 100 + 10 * season + number,
            show,
            season,
            number,
            f"Episode {season}x{number:02d}",
        )
        for season in (1, 2)
        for number in (1, 2)
    ]
    return show, episodes


def large() -> Dataset:
    """`big-user`: more than 250 entries in every list endpoint (3+ pages at limit 250)."""
    films = {t: _synthetic_film(t) for t in range(1, 451)}
    shows: dict[int, Show] = {}
    episodes: list[Episode] = []
    for t in range(1, 281):
        show, eps = _synthetic_show(50_000 + t)
        shows[show.trakt] = show
        episodes.extend(eps)
    film_list = list(films.values())
    show_list = list(shows.values())
    start = utc(2016, 1, 1, 19)
    log = _Log(1)
    # 600 film plays over 450 films (150 rewatches) and 300 episode plays over 280 shows.
    for i in range(600):
        log.watch(
            film_list[i % 450],
            start + timedelta(hours=7 * i),
            ("scrobble", "checkin", "watch")[i % 3],
        )
    for i in range(300):
        log.watch(
            episodes[(i % 280) * 4 + (i // 280)], start + timedelta(hours=7 * i + 3), "scrobble"
        )
    rated = utc(2021, 1, 1)
    ratings = [Rating(rated + timedelta(minutes=i), 1 + i % 10, film_list[i]) for i in range(300)]
    ratings += [
        Rating(rated + timedelta(days=1, minutes=i), 1 + (i + 3) % 10, s)
        for i, s in enumerate(show_list[:260])
    ]
    ratings += [
        Rating(rated + timedelta(days=2, minutes=i), 1 + (i + 5) % 10, Season(s, 1, 2))
        for i, s in enumerate(show_list[:260])
    ]
    ratings += [
        Rating(rated + timedelta(days=3, minutes=i), 1 + (i + 7) % 10, episodes[i * 4])
        for i in range(270)
    ]
    collected = utc(2015, 6, 1)
    collection = [Collected(collected + timedelta(hours=i), film_list[i]) for i in range(260)]
    collection += [
        Collected(collected + timedelta(days=30, hours=i), episodes[i * 4]) for i in range(260)
    ]
    listed = utc(2022, 1, 1)
    items: list[tuple[Film | Show | Season | Episode, datetime, str | None]] = [
        (film_list[179 + i], listed + timedelta(hours=i), None) for i in range(270)
    ]
    items += [(show_list[i], listed + timedelta(days=20, hours=i), None) for i in range(260)]
    user = UserData(
        username="big-user",
        timezone="America/Los_Angeles",
        history=log.events,
        ratings=ratings,
        collection=collection,
        watchlist=_listed(items),
    )
    return Dataset(users={"big-user": user}, films=films, shows=shows)


def sized(history_events: int, seed: int = 0) -> Dataset:
    """`bench`: N film plays over ~N/3 films, with ratings and a small watchlist (seeded)."""
    rng = random.Random(seed)
    count = max(1, history_events // 3)
    films = {t: _synthetic_film(t) for t in range(1, count + 1)}
    film_list = list(films.values())
    start = utc(2010, 1, 1)
    span = 15 * 365 * 24 * 3600  # spread over fifteen years
    step = span / max(history_events, 1)
    actions = ("scrobble", "checkin", "watch")
    # Ascending times with jitter; ids in the same order, like events logged as they happen.
    history = [
        Watch(
            i + 1,
            start + timedelta(seconds=int(i * step + rng.random() * step)),
            actions[rng.randrange(3)],
            film_list[i % count if i < count else rng.randrange(count)],
        )
        for i in range(history_events)
    ]
    rated = utc(2025, 1, 1)
    ratings = [
        Rating(rated + timedelta(seconds=i), rng.randint(1, 10), film_list[i])
        for i in range(0, count, 2)
    ]
    watchlist = _listed(
        [(film_list[i], rated + timedelta(hours=i), None) for i in range(min(count, 50))]
    )
    user = UserData(
        username="bench",
        timezone="Europe/Paris",
        history=history,
        ratings=ratings,
        watchlist=watchlist,
    )
    return Dataset(users={"bench": user}, films=films)
