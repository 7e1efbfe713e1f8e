"""Trakt API v2 JSON shapes: items, list entries per endpoint, last_activities, settings, people.

`listing(user, endpoint)` returns the endpoint's entries in Trakt's order plus the function
that renders one entry, so the server renders only the page it serves. Derived lists are
memoised on the user (`UserData.derived`) until the next mutation. Watch, rating, list and
collection times are rendered to the minute (`iso_minute`), as Trakt stores them;
`last_activities`, `updated_at` and profile stamps keep seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from trakt_fake.records import (
    Collected,
    Episode,
    Film,
    Gone,
    Item,
    Listed,
    Rating,
    Season,
    Show,
    UserData,
    Watch,
    iso,
    iso_minute,
)
from trakt_fake.stamps import record_times

Json = dict[str, Any]
Render = Callable[[Any], Json]

# Every list endpoint the fake serves, in both /sync/... and /users/{slug}/... forms.
LIST_ENDPOINTS = (
    "history",
    "history/movies",
    "history/shows",
    "history/episodes",
    "watched/movies",
    "watched/shows",
    "ratings",
    "ratings/movies",
    "ratings/shows",
    "ratings/seasons",
    "ratings/episodes",
    "collection/movies",
    "collection/shows",
    "watchlist",
    "watchlist/movies",
    "watchlist/shows",
    "watchlist/seasons",
    "watchlist/episodes",
)

_TYPE_OF: dict[type, str] = {Film: "movie", Show: "show", Season: "season", Episode: "episode"}
_PLURAL = {"movies": "movie", "shows": "show", "seasons": "season", "episodes": "episode"}


def movie_json(film: Film) -> Json:
    return {
        "title": film.title,
        "year": film.year,
        "ids": {"trakt": film.trakt, "slug": film.slug, "imdb": film.imdb, "tmdb": film.tmdb}
        if film.trakt
        else dict(_NO_IDS),  # a film object Trakt serves without any id (Film.trakt = 0)
    }


_NO_IDS: Json = {"trakt": None, "slug": None, "imdb": None, "tmdb": None}


def show_json(show: Show) -> Json:
    return {
        "title": show.title,
        "year": show.year,
        "ids": {
            "trakt": show.trakt,
            "slug": show.slug,
            "tvdb": show.tvdb,
            "imdb": show.imdb,
            "tmdb": show.tmdb,
        },
    }


def season_json(season: Season) -> Json:
    return {"number": season.number, "ids": {"trakt": season.trakt, "tvdb": None, "tmdb": None}}


def episode_json(episode: Episode) -> Json:
    return {
        "season": episode.season,
        "number": episode.number,
        "title": episode.title,
        "ids": {
            "trakt": episode.trakt,
            "tvdb": episode.tvdb,
            "imdb": episode.imdb,
            "tmdb": episode.tmdb,
        },
    }


def kind_of(item: Item) -> str:
    """`movie`, `show`, `season` or `episode` (a `Gone` item keeps its kind)."""
    return item.kind if isinstance(item, Gone) else _TYPE_OF[type(item)]


def typed_item(item: Item) -> Json:
    """`{"type": ..., "<type>": {...}}` plus the parent show for seasons and episodes; a `Gone`
    item's media object (and parent show) is null, as Trakt serves removed items."""
    if isinstance(item, Gone):
        body: Json = {"type": item.kind, item.kind: None}
        if item.kind in ("season", "episode"):
            body["show"] = None
        return body
    if isinstance(item, Film):
        return {"type": "movie", "movie": movie_json(item)}
    if isinstance(item, Show):
        return {"type": "show", "show": show_json(item)}
    if isinstance(item, Season):
        return {"type": "season", "season": season_json(item), "show": show_json(item.show)}
    return {"type": "episode", "episode": episode_json(item), "show": show_json(item.show)}


# ----- entry renderers -------------------------------------------------------------------


def history_entry(watch: Watch) -> Json:
    return {"id": watch.id, "watched_at": iso_minute(watch.watched_at), "action": watch.action} | (
        typed_item(watch.item)
    )


def rating_entry(rating: Rating) -> Json:
    body: Json = {"rated_at": iso_minute(rating.rated_at), "rating": rating.rating}
    body |= typed_item(rating.item)
    if isinstance(rating.item, Season):
        # The contract's rated season carries `aired_episodes` (and the episode-style ids).
        body["season"] = body["season"] | {"aired_episodes": rating.item.aired_episodes}
    return body


def watchlist_entry(entry: Listed) -> Json:
    return {
        "rank": entry.rank,
        "id": entry.id,
        "listed_at": iso_minute(entry.listed_at),
        "notes": entry.notes,
    } | typed_item(entry.item)


def collected_movie_entry(entry: Collected) -> Json:
    assert isinstance(entry.item, Film)
    return {
        "collected_at": iso_minute(entry.collected_at),
        "updated_at": iso(entry.updated_at or entry.collected_at),
        "type": "movie",
        "movie": movie_json(entry.item),
    }


class WatchedFilm:
    """A /sync/watched/movies entry derived from movie history."""

    __slots__ = ("film", "last_watched_at", "plays")

    def __init__(self, film: Film, plays: int, last_watched_at: datetime) -> None:
        self.film = film
        self.plays = plays
        self.last_watched_at = last_watched_at


def watched_movie_entry(entry: WatchedFilm) -> Json:
    return {
        "plays": entry.plays,
        "last_watched_at": iso_minute(entry.last_watched_at),
        "last_updated_at": iso(entry.last_watched_at),
        "movie": movie_json(entry.film),
    }


class ShowGroup:
    """Episode-level records of one show (watched or collected), grouped for nesting."""

    __slots__ = ("episodes", "latest", "show")

    def __init__(self, show: Show) -> None:
        self.show = show
        self.latest: datetime | None = None
        # (season, number) -> [plays, last time]
        self.episodes: dict[tuple[int, int], list[Any]] = {}

    def add(self, episode: Episode, moment: datetime) -> None:
        key = (episode.season, episode.number)
        slot = self.episodes.setdefault(key, [0, moment])
        slot[0] += 1
        slot[1] = max(slot[1], moment)
        self.latest = moment if self.latest is None else max(self.latest, moment)

    def seasons(self, episode_json: Callable[[int, list[Any]], Json]) -> list[Json]:
        numbers = sorted({season for season, _ in self.episodes})
        return [
            {
                "number": season,
                "episodes": [
                    episode_json(number, slot)
                    for (s, number), slot in sorted(self.episodes.items())
                    if s == season
                ],
            }
            for season in numbers
        ]


def shape_watched_shows(body: list[Json], progress: bool, specials: bool) -> list[Json]:
    """Since 2026-07 seasons come only with `extended=progress`, season 0 only with specials."""
    for item in body:
        if not progress:
            item.pop("seasons", None)
        elif not specials and "seasons" in item:
            item["seasons"] = [s for s in item["seasons"] if s["number"] != 0]
    return body


def watched_show_entry(group: ShowGroup) -> Json:
    assert group.latest is not None
    return {
        "plays": sum(slot[0] for slot in group.episodes.values()),
        "last_watched_at": iso_minute(group.latest),
        "last_updated_at": iso(group.latest),
        "reset_at": None,
        "show": show_json(group.show) | {"aired_episodes": group.show.aired_episodes},
        "seasons": group.seasons(
            lambda number, slot: {
                "number": number,
                "plays": slot[0],
                "last_watched_at": iso_minute(slot[1]),
            }
        ),
    }


def collected_show_entry(group: ShowGroup) -> Json:
    assert group.latest is not None
    return {
        "last_collected_at": iso(group.latest),
        "last_updated_at": iso(group.latest),
        "type": "show",
        "show": show_json(group.show),
        "seasons": group.seasons(
            lambda number, slot: {
                "number": number,
                "collected_at": iso_minute(slot[1]),
                "metadata": {},
            }
        ),
    }


# ----- listings ----------------------------------------------------------------------------


def _history(user: UserData) -> list[Watch]:
    view: list[Watch] | None = user.derived.get("history")
    if view is None:
        # Newest first, like Trakt; ties broken by history id (newer id first).
        view = sorted(user.history, key=lambda w: (w.watched_at, w.id), reverse=True)
        user.derived["history"] = view
    return view


def _by_type(user: UserData, key: str, source: Sequence[Any], wanted: type) -> list[Any]:
    view: list[Any] | None = user.derived.get(key)
    if view is None:
        label = _TYPE_OF[wanted]
        view = [entry for entry in source if kind_of(entry.item) == label]
        user.derived[key] = view
    return view


def _watched_films(user: UserData) -> list[WatchedFilm]:
    view: list[WatchedFilm] | None = user.derived.get("watched/movies")
    if view is None:
        groups: dict[int, WatchedFilm] = {}
        for watch in user.history:
            film = watch.item
            if not isinstance(film, Film):
                continue
            entry = groups.get(film.trakt)
            if entry is None:
                groups[film.trakt] = WatchedFilm(film, 1, watch.watched_at)
            else:
                entry.plays += 1
                entry.last_watched_at = max(entry.last_watched_at, watch.watched_at)
        view = sorted(groups.values(), key=lambda e: (e.last_watched_at, e.film.trakt))
        view.reverse()
        user.derived["watched/movies"] = view
    return view


def _show_groups(user: UserData, key: str, records: Sequence[Watch | Collected]) -> list[ShowGroup]:
    view: list[ShowGroup] | None = user.derived.get(key)
    if view is None:
        groups: dict[int, ShowGroup] = {}
        for record in records:
            episode = record.item
            if not isinstance(episode, Episode):
                continue
            moment = record.watched_at if isinstance(record, Watch) else record.collected_at
            groups.setdefault(episode.show.trakt, ShowGroup(episode.show)).add(episode, moment)
        view = sorted(groups.values(), key=lambda g: (g.latest, g.show.trakt), reverse=True)
        user.derived[key] = view
    return view


def _ratings(user: UserData) -> list[Rating]:
    view: list[Rating] | None = user.derived.get("ratings")
    if view is None:
        view = sorted(user.ratings, key=lambda r: (r.rated_at, r.rating), reverse=True)
        user.derived["ratings"] = view
    return view


def _watchlist(user: UserData) -> list[Listed]:
    view: list[Listed] | None = user.derived.get("watchlist")
    if view is None:
        view = sorted(user.watchlist, key=lambda e: (e.rank, e.id))
        user.derived["watchlist"] = view
    return view


def _collected_films(user: UserData) -> list[Collected]:
    view: list[Collected] | None = user.derived.get("collection/movies")
    if view is None:
        films = [c for c in user.collection if isinstance(c.item, Film)]
        view = sorted(films, key=lambda c: (c.collected_at, c.item.trakt), reverse=True)
        user.derived["collection/movies"] = view
    return view


def listing(user: UserData, endpoint: str) -> tuple[Sequence[Any], Render]:
    """Entries of `endpoint` (one of LIST_ENDPOINTS) in Trakt's order, and their renderer."""
    if endpoint == "history":
        return _history(user), history_entry
    if endpoint == "history/movies":
        return _by_type(user, endpoint, _history(user), Film), history_entry
    if endpoint in ("history/shows", "history/episodes"):
        # Trakt answers both with the episode plays (shows have no plays of their own).
        return _by_type(user, "history/episodes", _history(user), Episode), history_entry
    if endpoint == "watched/movies":
        return _watched_films(user), watched_movie_entry
    if endpoint == "watched/shows":
        return _show_groups(user, endpoint, user.history), watched_show_entry
    if endpoint == "ratings":
        return _ratings(user), rating_entry
    if endpoint.startswith("ratings/"):
        kind = _kind(endpoint)
        return _by_type(user, endpoint, _ratings(user), kind), rating_entry
    if endpoint == "collection/movies":
        return _collected_films(user), collected_movie_entry
    if endpoint == "collection/shows":
        return _show_groups(user, endpoint, user.collection), collected_show_entry
    if endpoint == "watchlist":
        return _watchlist(user), watchlist_entry
    if endpoint.startswith("watchlist/"):
        return _by_type(user, endpoint, _watchlist(user), _kind(endpoint)), watchlist_entry
    raise KeyError(endpoint)


def _kind(endpoint: str) -> type:
    name = _PLURAL[endpoint.split("/", 1)[1]]
    return next(cls for cls, label in _TYPE_OF.items() if label == name)


def full_list(user: UserData, endpoint: str) -> list[Json]:
    entries, render = listing(user, endpoint)
    return [render(entry) for entry in entries]


# ----- last_activities, settings, profile, people ------------------------------------------

_ACTIVITY_KEYS: dict[str, tuple[str, ...]] = {
    "movies": (
        "watched_at",
        "collected_at",
        "rated_at",
        "watchlisted_at",
        "favorited_at",
        "commented_at",
        "paused_at",
        "hidden_at",
    ),
    "episodes": (
        "watched_at",
        "collected_at",
        "rated_at",
        "watchlisted_at",
        "commented_at",
        "paused_at",
    ),
    "shows": (
        "rated_at",
        "watchlisted_at",
        "favorited_at",
        "commented_at",
        "hidden_at",
        "dropped_at",
    ),
    "seasons": ("rated_at", "watchlisted_at", "commented_at", "hidden_at"),
    "comments": ("liked_at", "reacted_at", "blocked_at"),
    "lists": ("liked_at", "reacted_at", "updated_at", "commented_at"),
    "watchlist": ("updated_at",),
    "favorites": ("updated_at",),
    "collaborations": ("updated_at",),
    "account": ("settings_at", "followed_at", "following_at", "pending_at", "requested_at"),
    "saved_filters": ("updated_at",),
    "notes": ("updated_at",),
}


def activity_times(user: UserData) -> dict[tuple[str, str], datetime]:
    """Each (section, key) activity time: the newest matching record, or a bump if later."""
    cached: dict[tuple[str, str], datetime] | None = user.derived.get("activities")
    if cached is not None:
        return cached
    times = {
        (section, key): user.joined_at for section, keys in _ACTIVITY_KEYS.items() for key in keys
    }

    def seen(section: str, key: str, moment: datetime) -> None:
        if moment > times[(section, key)]:
            times[(section, key)] = moment

    for watch in user.history:
        # An unknown-date play sits at the epoch, before joined_at: it never moves the stamp
        # (logging one through the fake bumps `watched_at` to the clock instead).
        seen(kind_of(watch.item) + "s", "watched_at", watch.watched_at)
    for collected in user.collection:
        section = "movies" if isinstance(collected.item, Film) else "episodes"
        seen(section, "collected_at", collected.updated_at or collected.collected_at)
    for rating in user.ratings:
        seen(kind_of(rating.item) + "s", "rated_at", rating.rated_at)
    for entry in user.watchlist:
        seen(kind_of(entry.item) + "s", "watchlisted_at", entry.listed_at)
        seen("watchlist", "updated_at", entry.listed_at)
    for section, key, moment in record_times(user):
        if (section, key) in times:
            seen(section, key, moment)
    for where, moment in user.bumped.items():
        seen(*where, moment)
    user.derived["activities"] = times
    return times


def last_activities(user: UserData) -> Json:
    times = activity_times(user)
    body: Json = {"all": iso(max(times.values()))}
    for section, keys in _ACTIVITY_KEYS.items():
        body[section] = {key: iso(times[(section, key)]) for key in keys}
    return body


def profile(user: UserData, full: bool = False) -> Json:
    body: Json = {
        "username": user.username,
        "private": user.private,
        "deleted": False,
        "name": user.name,
        "vip": user.vip,
        "vip_ep": False,
        "director": False,
        "ids": {"slug": user.slug, "trakt": user.trakt},
    }
    if full:
        body |= {
            "joined_at": iso(user.joined_at),
            "location": None,
            "about": None,
            "gender": None,
            "age": None,
            "images": {
                "avatar": {
                    "full": "https://walter-r2.trakt.tv/hotlink-ok/placeholders/medium/fry.png"
                }
            },
            "vip_og": False,
            "vip_years": 0,
        }
    return body


def settings(user: UserData) -> Json:
    user_part = profile(user, full=True)
    user_part["ids"] |= {"uuid": f"00000000-0000-4000-8000-{user.trakt:012d}"}
    return {
        "user": user_part,
        "account": {
            "timezone": user.timezone,
            "date_format": "dmy",
            "time_24hr": True,
            "cover_image": None,
            "display_ads": False,
        },
        "connections": {
            name: False
            for name in (
                "facebook",
                "twitter",
                "mastodon",
                "google",
                "tumblr",
                "medium",
                "slack",
                "apple",
                "dropbox",
                "microsoft",
            )
        },
        "sharing_text": {
            "watching": "I'm watching [item]",
            "watched": "I just watched [item]",
            "rated": "[item] [stars]",
        },
        "limits": {
            "list": {"count": 2, "item_count": 100},
            "watchlist": {"item_count": 100},
            "favorites": {"item_count": 50},
        },
        "permissions": {"commenting": True, "liking": True, "following": True},
    }


def people(film: Film) -> Json:
    """/movies/{id}/people: no cast in the fake, directors under crew.directing."""
    directing = [
        {
            "jobs": ["Director"],
            "job": "Director",
            "person": {
                "name": person.name,
                "ids": {"trakt": person.trakt, "slug": person.slug, "imdb": None, "tmdb": None},
            },
        }
        for person in film.directors
    ]
    crew: Json = {"directing": directing} if directing else {}
    return {"cast": [], "crew": crew}


def movie_summary(film: Film) -> Json:
    return movie_json(film)
