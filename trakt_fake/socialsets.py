"""Social and account data of the datasets: lists, favorites, comments, playback, hidden, notes.

`add_edge_social` and `add_sample_social` extend the edge and demo users (only records the
tool's current exports never read, so golden files stay as they are); `heavy_tv()` is a heavy
TV account: 300 shows, 20,000 episode plays, 30 lists, comments, built in well under a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from trakt_fake.records import (
    Comment,
    Dataset,
    Episode,
    Film,
    Hidden,
    Item,
    Listed,
    Note,
    Playback,
    Rating,
    Season,
    Show,
    UserData,
    UserList,
    Watch,
    utc,
)

LONG_REVIEW = " ".join(
    ["A slow-burning, claustrophobic masterpiece of dread & craft."] * 4
    + ["word"] * 200  # Trakt counts 200+ words as a review
)
SPOILER_TEXT = "Dreams & layers:\nthe <totem> keeps spinning > or falls?\nCobb's kids at the end!"


def listed(first_id: int, entries: Sequence[tuple[Item, datetime, str | None]]) -> list[Listed]:
    return [
        Listed(id=first_id + rank, rank=rank, listed_at=when, item=item, notes=notes)
        for rank, (item, when, notes) in enumerate(entries, start=1)
    ]


def _list(
    trakt: int,
    name: str,
    slug: str,
    items: list[Listed],
    privacy: str = "public",
    description: str | None = None,
) -> UserList:
    created = min((e.listed_at for e in items), default=utc(2023, 1, 1))
    updated = max((e.listed_at for e in items), default=created)
    return UserList(trakt, name, slug, created, updated, privacy, description, items)


# ----- edge --------------------------------------------------------------------------------


def add_edge_social(
    user: UserData, f: dict[int, Film], show: Show, other: Show, episodes: Sequence[Episode]
) -> None:
    """Every awkward case the `lists` command and reviews meet (dates within 2023)."""
    day = utc(2023, 7, 1, 9)
    top = listed(
        7000,
        [(f[t], day + timedelta(hours=t), None) for t in (3, 13, 24, 1, 23, 26, 18, 12, 25, 4)]
        + [(show, day + timedelta(hours=30), "the best show"), (episodes[0], day, "Pilot!")],
    )
    top[0].notes = 'Masterpiece & "must-see" <3'
    top[1].notes = "Line one\nline two"
    user.lists = [
        _list(4001, "Top", "top", top, description="My favourites, mixed"),
        # A slug like a split part of `top` (SPEC §1 file-name collisions).
        _list(4002, "Top 01", "top-01", listed(7100, [(f[16], day, None), (f[17], day, None)])),
        _list(
            4003,
            "Shows only",
            "shows-only",
            listed(7200, [(show, day, None), (other, day, None), (episodes[1], day, "ep")]),
        ),
        _list(4004, "Secret", "secret", listed(7300, [(f[22], day, "guilty")]), "private"),
        _list(4005, "Empty", "empty", []),
    ]
    user.favorites = listed(
        7400,
        [
            (f[24], utc(2023, 10, 2, 9), "Bong!"),
            (f[13], utc(2023, 10, 2, 10), None),
            (show, utc(2023, 10, 2, 11), "Say my name"),
        ],
    )
    user.comments = [
        Comment(1, utc(2023, 5, 7, 10), f[13], SPOILER_TEXT, spoiler=True, replies=1),
        Comment(2, utc(2023, 5, 8, 11), f[13], "Replying to myself: & still <great>.", parent_id=1),
        Comment(3, utc(2023, 5, 20, 21, 30), f[13], "Second look, different day."),
        Comment(4, utc(2023, 9, 2, 8), f[23], LONG_REVIEW, likes=4),
        Comment(5, utc(2023, 5, 1, 12), f[26], "Never seen it, still commenting."),
        Comment(6, utc(2023, 4, 14, 9), show, "Best pilot & finale."),
        Comment(7, utc(2023, 4, 14, 10), Season(show, 1, 7), "Season one shout."),
        Comment(8, utc(2023, 4, 14, 11), episodes[0], "Pilot shout."),
        Comment(9, utc(2023, 7, 2, 9), user.lists[0], "Comment on my own list."),
    ]
    user.playback = [
        Playback(1, 42.5, utc(2023, 7, 1, 16), f[19]),
        Playback(2, 10.0, utc(2023, 12, 2, 21), episodes[2]),
    ]
    user.hidden = [
        Hidden("progress_watched", utc(2023, 8, 5, 9), other),
        Hidden("progress_collected", utc(2023, 8, 5, 10), Season(show, 1, 7)),
        Hidden("calendar", utc(2023, 8, 5, 11), f[21]),
        Hidden("recommendations", utc(2023, 8, 5, 12), f[22]),
        Hidden("dropped", utc(2023, 8, 5, 13), other),
        Hidden("comments", utc(2023, 8, 5, 14), "troll-user"),
    ]
    user.notes = [
        Note(1, "Watch the director's cut & compare.", utc(2023, 5, 9, 9), f[13]),
        Note(2, "Public note on the show.", utc(2023, 5, 9, 10), show, privacy="public"),
    ]
    user.vip = True


def add_sample_social(user: UserData, watched: Sequence[Film], later: Sequence[Film]) -> None:
    """A demo's lists, favorites and reviews."""
    day = utc(2024, 5, 1, 9)
    user.lists = [
        _list(
            4101,
            "Best of Nolan & friends",
            "best-of-nolan-friends",
            listed(
                7500,
                [(film, day + timedelta(hours=i), None) for i, film in enumerate(watched[2:10])],
            ),
        ),
        _list(4102, "To rewatch", "to-rewatch", listed(7600, [(later[0], day, "with Sam")])),
    ]
    user.favorites = listed(7700, [(watched[0], day, "All-time #1"), (watched[3], day, None)])
    user.comments = [
        Comment(1, utc(2023, 1, 7, 9), watched[0], "Hope is a good thing.\nMaybe the best."),
        Comment(2, utc(2023, 2, 20, 9), watched[4], "First rule & <second> rule.", spoiler=True),
    ]
    user.vip = True


# ----- heavy_tv ----------------------------------------------------------------------------


def heavy_tv() -> Dataset:
    """`tv-fan` (VIP, Asia/Tokyo): 300 shows, 20,000 episode plays, 30 lists, comments."""
    shows: dict[int, Show] = {}
    by_show: dict[int, list[Episode]] = {}
    regular: list[Episode] = []
    for i in range(300):
        trakt = 60_000 + i
        season_count = 1 + i % 4
        show = Show(
            trakt,
            f"Series {i:03d}",
            1995 + i % 30,
            f"tt{7_000_000 + i:08d}",
            500_000 + i,
            200_000 + i,
            aired_episodes=8 * season_count,
        )
        shows[trakt] = show
        numbers = [(s, n) for s in range(1, season_count + 1) for n in range(1, 9)]
        if i % 5 == 0:
            numbers += [(0, 1), (0, 2)]  # specials
        eps = [
            Episode(trakt * 1000 + 10 * s + n, show, s, n, f"Ep {s}x{n:02d}") for s, n in numbers
        ]
        by_show[trakt] = eps
        regular.extend(eps)
    films = {
        t: Film(t, f"TV-fan Film {t}", 2000 + t % 24, f"tt{6_000_000 + t:08d}", 400_000 + t)
        for t in range(1, 41)
    }
    start = utc(2018, 1, 1, 18)
    history = [
        Watch(i + 1, start + timedelta(minutes=150 * i), "scrobble" if i % 3 else "watch", ep)
        for i, ep in enumerate(regular[i % len(regular)] for i in range(20_000))
    ]
    film_list = list(films.values())
    history += [
        Watch(20_001 + i, start + timedelta(days=3 * i, hours=5), "checkin", film_list[i % 40])
        for i in range(60)
    ]
    show_list = list(shows.values())
    rated = utc(2024, 6, 1)
    ratings = [Rating(rated + timedelta(minutes=i), 1 + i % 10, s) for i, s in enumerate(show_list)]
    ratings += [
        Rating(rated + timedelta(days=1, minutes=i), 1 + (i + 2) % 10, Season(s, 1, 8))
        for i, s in enumerate(show_list[:150])
    ]
    ratings += [
        Rating(rated + timedelta(days=2, minutes=i), 1 + (i + 4) % 10, by_show[s.trakt][0])
        for i, s in enumerate(show_list[:200])
    ]
    ratings += [Rating(rated + timedelta(days=3, minutes=i), 7, f) for i, f in enumerate(film_list)]
    listed_at = utc(2024, 1, 1, 12)
    lists: list[UserList] = []
    next_item = 100_000
    for n in range(30):
        entries: list[tuple[Item, datetime, str | None]] = []
        for k in range(10 + n * 3):
            when = listed_at + timedelta(days=n, minutes=k)
            kind = (n + k) % 3
            if n % 10 == 9 and kind == 0:
                kind = 1  # every tenth list holds no film
            if kind == 0:
                entries.append(
                    (film_list[(n + k) % 40], when, "note & <b>" if k % 7 == 0 else None)
                )
            elif kind == 1:
                entries.append((show_list[(n * 7 + k) % 300], when, None))
            else:
                eps = by_show[show_list[(n + k) % 300].trakt]
                entries.append((eps[k % len(eps)], when, "episode note" if k % 5 == 0 else None))
        slug = "top" if n == 0 else ("top-01" if n == 1 else f"list-{n:02d}")
        privacy = "private" if n % 8 == 7 else "public"
        lists.append(
            _list(
                5000 + n, slug.replace("-", " ").title(), slug, listed(next_item, entries), privacy
            )
        )
        next_item += 1000
    comments = [
        Comment(
            i + 1,
            utc(2024, 2, 1, 9) + timedelta(days=i),
            show_list[i * 7] if i % 2 else film_list[i % 40],
            f"Thoughts #{i}:\n<great> & moving" if i % 3 else LONG_REVIEW,
            spoiler=i % 4 == 0,
        )
        for i in range(40)
    ]
    comments.append(Comment(41, utc(2024, 4, 1), film_list[0], "A reply.", parent_id=2))
    comments[1].replies = 1
    user = UserData(
        username="tv-fan",
        name="TV Fan",
        timezone="Asia/Tokyo",
        vip=True,
        history=history,
        ratings=ratings,
        lists=lists,
        favorites=listed(200_000, [(s, listed_at, None) for s in show_list[:20]]),
        comments=comments,
        playback=[
            Playback(i + 1, 5.0 + i, utc(2024, 7, 1) + timedelta(hours=i), regular[i * 13])
            for i in range(25)
        ],
        hidden=[
            Hidden("progress_watched", utc(2024, 8, 1) + timedelta(hours=i), s)
            for i, s in enumerate(show_list[-30:])
        ],
        notes=[
            Note(i + 1, f"Note {i}", utc(2024, 9, 1) + timedelta(hours=i), show_list[i])
            for i in range(12)
        ],
    )
    return Dataset(users={"tv-fan": user}, films=films, shows=shows)
