"""The fake's data model: catalogue items, per-user records, datasets and OAuth tokens.

Records hold references to catalogue objects (a `Watch` points at its `Film`), so pages are
rendered by slicing a list and turning only that slice into JSON.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

_SLUG_JUNK = re.compile(r"[^0-9a-z]+")


def slugify(text: str) -> str:
    """Trakt-like slug: lowercase ASCII words joined by dashes (non-ASCII titles keep their id)."""
    return _SLUG_JUNK.sub("-", text.lower()).strip("-")


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def as_utc(moment: datetime) -> datetime:
    """Aware UTC datetime; naive input is taken as UTC (how Trakt reads timestamps without zone)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """Trakt's timestamp format: `2014-09-01T09:10:11.000Z` (UTC, milliseconds, `Z`)."""
    moment = as_utc(moment)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def iso_minute(moment: datetime) -> str:
    """A watch time as Trakt serves it: stored to the minute, `2014-09-01T09:10:00.000Z`."""
    return f"{as_utc(moment):%Y-%m-%dT%H:%M}:00.000Z"


MILLISECOND = timedelta(milliseconds=1)

# "Watched, date unknown" (Trakt, since October 2025): such a play is stored and served at the
# Unix epoch, `1970-01-01T00:00:00.000Z`. Give it as a Watch's `watched_at`.
UNKNOWN_DATE = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    trakt: int

    @property
    def slug(self) -> str:
        return slugify(self.name) or str(self.trakt)


@dataclass(frozen=True, slots=True)
class Film:
    """A catalogue film. Trakt can serve `title: null` (and `year: null`) for films it has ids
    for but whose metadata is gone; a film may also lack both IMDb and TMDB ids."""

    trakt: int
    title: str | None
    year: int | None
    imdb: str | None
    tmdb: int | None
    directors: tuple[Person, ...] = ()

    @property
    def slug(self) -> str:
        base = slugify(self.title or "") or str(self.trakt)
        return f"{base}-{self.year}" if self.year else base


@dataclass(frozen=True, slots=True)
class Show:
    trakt: int
    title: str
    year: int | None
    imdb: str | None
    tmdb: int | None
    tvdb: int | None
    aired_episodes: int = 0

    @property
    def slug(self) -> str:
        return slugify(self.title) or str(self.trakt)


@dataclass(frozen=True, slots=True)
class Season:
    show: Show
    number: int
    aired_episodes: int = 0

    @property
    def trakt(self) -> int:
        # Derived so seasons need no table of their own; stable across runs.
        return self.show.trakt * 100 + self.number


@dataclass(frozen=True, slots=True)
class Episode:
    trakt: int
    show: Show
    season: int
    number: int
    title: str
    imdb: str | None = None
    tmdb: int | None = None
    tvdb: int | None = None


@dataclass(frozen=True, slots=True)
class Gone:
    """A media object Trakt serves as null (`"movie": null`, the contract's `nullish()`): the
    item was removed from the catalogue, but the user's record of it stays and keeps its type."""

    kind: str = "movie"  # movie | show | season | episode

    @property
    def trakt(self) -> int:
        """No id survives: 0 never matches a real item (Trakt ids start at 1)."""
        return 0


Item = Film | Show | Season | Episode | Gone


@dataclass(slots=True)
class Watch:
    """One history event (a play of a film or an episode); `UNKNOWN_DATE` = date unknown."""

    id: int
    watched_at: datetime
    action: str  # scrobble | checkin | watch
    item: Film | Episode | Gone

    @property
    def unknown_date(self) -> bool:
        return self.watched_at == UNKNOWN_DATE


@dataclass(slots=True)
class Rating:
    rated_at: datetime
    rating: int  # 1..10
    item: Item


@dataclass(slots=True)
class Collected:
    collected_at: datetime
    item: Film | Episode
    updated_at: datetime | None = None


@dataclass(slots=True)
class Listed:
    """One watchlist entry; `id` is the list-item id Trakt gives every entry."""

    id: int
    rank: int
    listed_at: datetime
    item: Item
    notes: str | None = None


@dataclass(slots=True)
class UserList:
    """A personal list; `items` are ranked entries (films, shows, seasons, episodes mixed)."""

    trakt: int
    name: str
    slug: str
    created_at: datetime
    updated_at: datetime
    privacy: str = "public"  # private | public | friends | link
    description: str | None = None
    items: list[Listed] = field(default_factory=list)
    sort_by: str = "rank"
    sort_how: str = "asc"
    likes: int = 0


@dataclass(slots=True)
class Comment:
    """A comment (shout, or review when 200+ words) on an item or a list; replies have a parent."""

    id: int
    created_at: datetime
    item: Item | UserList | None
    text: str
    spoiler: bool = False
    parent_id: int = 0
    replies: int = 0
    likes: int = 0
    updated_at: datetime | None = None

    @property
    def review(self) -> bool:
        return len(self.text.split()) >= 200


@dataclass(slots=True)
class Playback:
    """A paused film or episode (`/sync/playback`); progress in percent."""

    id: int
    progress: float
    paused_at: datetime
    item: Film | Episode


@dataclass(slots=True)
class Hidden:
    """An item hidden from a section (calendar, progress_watched, ..., comments: a username)."""

    section: str
    hidden_at: datetime
    item: Film | Show | Season | str


@dataclass(slots=True)
class Note:
    """A VIP note attached to an item."""

    id: int
    notes: str
    created_at: datetime
    item: Item
    privacy: str = "private"
    spoiler: bool = False
    updated_at: datetime | None = None


@dataclass(slots=True)
class UserData:
    """Everything the fake knows about one user. Lists may be given in any order."""

    username: str
    private: bool = False
    name: str | None = None
    timezone: str = "UTC"
    joined_at: datetime = field(default_factory=lambda: utc(2012, 3, 4, 5, 6, 7))
    vip: bool = False  # False: VIP-only endpoints (see `Access.vip_only`) answer 426
    locked: bool = False  # True: every call made as or about this user answers 423
    history: list[Watch] = field(default_factory=list)
    ratings: list[Rating] = field(default_factory=list)
    collection: list[Collected] = field(default_factory=list)
    watchlist: list[Listed] = field(default_factory=list)
    lists: list[UserList] = field(default_factory=list)
    favorites: list[Listed] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    playback: list[Playback] = field(default_factory=list)
    hidden: list[Hidden] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    # Activity timestamps bumped by mutations, keyed (section, key); max'ed with derived ones.
    bumped: dict[tuple[str, str], datetime] = field(default_factory=dict)
    # Derived views (sorted/filtered lists, last_activities); cleared by every mutation.
    derived: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def slug(self) -> str:
        return slugify(self.username) or self.username

    @property
    def trakt(self) -> int:
        # A stable numeric user id (hash() is salted per process, crc32 is not).
        return zlib.crc32(self.username.encode()) % 10_000_000

    def changed(self) -> None:
        self.derived.clear()


@dataclass(slots=True)
class Dataset:
    """A catalogue and its users. The first user is the dataset's primary (demo) user."""

    users: dict[str, UserData]
    films: dict[int, Film] = field(default_factory=dict)
    shows: dict[int, Show] = field(default_factory=dict)

    @property
    def primary(self) -> str:
        return next(iter(self.users))

    def user(self, name: str) -> UserData | None:
        """Find a user by username or slug, case-insensitively (like Trakt's URLs)."""
        found = self.users.get(name)
        if found is not None:
            return found
        wanted = name.lower()
        for user in self.users.values():
            if wanted in (user.username.lower(), user.slug):
                return user
        return None

    def film(self, key: str | int) -> Film | None:
        """Find a film by Trakt id, slug or IMDb id (the ids Trakt accepts in /movies/{id})."""
        if isinstance(key, int) or key.isdigit():
            return self.films.get(int(key))
        for film in self.films.values():
            if key in (film.slug, film.imdb):
                return film
        return None


@dataclass(frozen=True, slots=True)
class Token:
    access_token: str
    refresh_token: str
    username: str
    created_at: int  # epoch seconds
    expires_in: int  # seconds
    scope: str = "public"

    def expired(self, now: float) -> bool:
        return now >= self.created_at + self.expires_in
