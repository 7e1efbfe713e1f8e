"""Typed views of Trakt JSON: parsed items as frozen dataclasses, and FilmData, what every
source (API or ZIP) returns for the film exports.

Runtime checks use `dict` (what JSON gives) rather than the Mapping ABC: an ABC isinstance
costs several times more, and parsers run once per item of a 100k-event history.
Parsers keep films only (shows, seasons and episodes are dropped here, so they can never
reach a film CSV) and raise MalformedDataError naming the item when a field is unusable.

Incomplete items (SPEC §5) are not errors: an item whose film object is null (Trakt no longer
has the film) and a film with neither a title nor an IMDb/TMDB id (Letterboxd could not match
it) are skipped and counted in a `Skipped` (its `warning()` is the one line the sources log); a
film with no title but an id gets an empty title. Plays at the epoch ("watched, date unknown")
are kept as they are: `letterboxd/rows.py` gives them no date (`is_unknown_date`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from trakt_export.errors import MalformedDataError


@dataclass(frozen=True, slots=True)
class Movie:
    trakt_id: int
    title: str
    year: int | None
    imdb: str | None
    tmdb: int | None


class HistoryEvent(NamedTuple):
    """One play (a NamedTuple: a history holds up to 100k of them, built and read fast)."""

    history_id: int
    watched_at: datetime  # aware, UTC
    action: str  # scrobble | checkin | watch
    movie: Movie


@dataclass(frozen=True, slots=True)
class WatchedMovie:
    movie: Movie
    plays: int
    last_watched_at: datetime


@dataclass(frozen=True, slots=True)
class MovieRating:
    movie: Movie
    rating: int  # 1..10
    rated_at: datetime | None


@dataclass(frozen=True, slots=True)
class WatchlistMovie:
    movie: Movie
    rank: int
    listed_at: datetime | None


UNKNOWN_DAY_START = datetime(1970, 1, 1, tzinfo=UTC)
UNKNOWN_DAY_END = datetime(1970, 1, 2, tzinfo=UTC)


def is_unknown_date(moment: datetime) -> bool:
    """Trakt's "watched, date unknown": a play (or last_watched_at) on 1970-01-01 UTC."""
    return UNKNOWN_DAY_START <= moment < UNKNOWN_DAY_END


@dataclass(slots=True)
class Skipped:
    """Items the parsers skipped, by kind (SPEC §5 "Incomplete items"), for one warning line."""

    gone: int = 0  # items whose film object is null
    unmatchable: set[int] = field(default_factory=set)  # Trakt ids: no title, no IMDb/TMDB id
    anonymous: int = 0  # items whose film has no title and no id at all, not even Trakt's

    def warning(self) -> str | None:
        parts = []
        if self.gone:
            s = "s" if self.gone != 1 else ""
            parts.append(f"{self.gone} item{s} whose film Trakt no longer has (null film object)")
        if self.unmatchable:
            n = len(self.unmatchable)
            ids = ", ".join(str(i) for i in sorted(self.unmatchable)[:5])
            more = ", ..." if n > 5 else ""
            parts.append(
                f"{n} film{'s' if n != 1 else ''} with neither a title nor an IMDb/TMDB id "
                f"(Trakt id {ids}{more}; Letterboxd could not match {'them' if n != 1 else 'it'})"
            )
        if self.anonymous:
            n = self.anonymous
            parts.append(f"{n} item{'s' if n != 1 else ''} whose film has no title and no id")
        return f"Skipped {' and '.join(parts)}." if parts else None


def parse_time(value: object, what: str = "timestamp") -> datetime:
    """Parse Trakt's `2014-09-01T09:10:11.000Z` (any ISO 8601 with offset) into aware UTC."""
    if not isinstance(value, str):
        raise MalformedDataError(f"expected a {what} string, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value)  # Python 3.11 reads the trailing "Z" itself
    except ValueError as exc:
        raise MalformedDataError(f"unreadable {what} {value!r}") from exc
    if parsed.tzinfo is UTC:
        return parsed
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _clean_text(text: str) -> str:
    """JSON may carry lone surrogates (`"\\ud800"`), which UTF-8 cannot encode: make them U+FFFD
    so one odd title cannot crash the writer; NUL never belongs in a title either."""
    if text.isascii() and "\0" not in text:
        return text
    fixed = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return fixed.replace("\0", "")


def _opt_str(value: object) -> str | None:
    return _clean_text(value) if isinstance(value, str) and value.strip() else None


def _opt_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value) or None
    return None


def parse_movie(raw: object) -> Movie:
    if not isinstance(raw, dict):
        raise MalformedDataError(f"expected a movie object, got {raw!r:.80}")
    ids = raw.get("ids")
    if not isinstance(ids, dict):
        raise MalformedDataError(f"movie without ids: {raw!r:.80}")
    trakt_id = ids.get("trakt")
    if isinstance(trakt_id, bool) or not isinstance(trakt_id, int):
        raise MalformedDataError(f"movie without a Trakt id: {raw!r:.80}")
    title = raw.get("title")
    if title is not None and not isinstance(title, str):
        raise MalformedDataError(f"movie {trakt_id} has an unreadable title {title!r:.40}")
    title = _clean_text(title) if title else ""  # no title: Letterboxd matches by id
    year = raw.get("year")
    year = year if isinstance(year, int) and not isinstance(year, bool) else None
    return Movie(
        trakt_id=trakt_id,
        title=title,
        year=year,
        imdb=_opt_str(ids.get("imdb")),
        tmdb=_opt_int(ids.get("tmdb")),
    )


def matchable(movie: Movie) -> bool:
    """Letterboxd can match the film: it has a title or an IMDb or TMDB id."""
    return bool(movie.title.strip()) or movie.imdb is not None or movie.tmdb is not None


Films = dict[int, Movie]


def matchable_film(raw: Any, films: Films | None = None) -> Movie | None:
    """The film of a list item or comment, or None to skip it: unreadable, null, or with
    neither a title nor an IMDb/TMDB id (Letterboxd could not match it)."""
    try:
        return _film(raw, films)
    except MalformedDataError:
        return None


def _film(raw: Any, films: Films | None, skipped: Skipped | None = None) -> Movie | None:
    """parse_movie, sharing one Movie per Trakt id across pages when `films` is given (a 100k-
    event history names far fewer films: this keeps memory and parse time down). None for an
    item to skip (null film, or no title and no id), counted in `skipped`."""
    if raw is None:
        if skipped is not None:
            skipped.gone += 1
        return None
    if films is None:
        return None if _skip_anonymous(raw, skipped) else _matchable(parse_movie(raw), skipped)
    try:
        key = raw["ids"]["trakt"]  # the hot path: a film seen before
    except (TypeError, KeyError):
        key = None  # odd shapes get parse_movie's precise error below
    known = films.get(key) if type(key) is int else None  # not bool: True == 1
    if known is None:
        if _skip_anonymous(raw, skipped):
            return None
        parsed = _matchable(parse_movie(raw), skipped)
        if parsed is None:
            return None  # not cached: such films are rare, and each item is counted
        films[parsed.trakt_id] = known = parsed
    return known


def _skip_anonymous(raw: Any, skipped: Skipped | None) -> bool:
    if not _anonymous(raw):
        return False
    if skipped is not None:
        skipped.anonymous += 1
    return True


def _anonymous(raw: Any) -> bool:
    """A film object with no title and no id at all (not even Trakt's): nothing could match
    it, so it is skipped like a film without title and IMDb/TMDB id (SPEC §5), not an error."""
    if not isinstance(raw, dict):
        return False
    ids = raw.get("ids")
    ids = ids if isinstance(ids, dict) else {}
    trakt = ids.get("trakt")
    if isinstance(trakt, int) and not isinstance(trakt, bool):
        return False  # the hot path: every normal film has its Trakt id
    title = raw.get("title")
    if isinstance(title, str) and title.strip():
        return False
    return _opt_str(ids.get("imdb")) is None and _opt_int(ids.get("tmdb")) is None


def _matchable(movie: Movie, skipped: Skipped | None) -> Movie | None:
    if matchable(movie):
        return movie
    if skipped is not None:
        skipped.unmatchable.add(movie.trakt_id)
    return None


def _movie_items(items: Iterable[object]) -> Iterable[Mapping[str, Any]]:
    """Items that are films; anything typed show/season/episode is skipped."""
    for item in items:
        if not isinstance(item, dict):
            raise MalformedDataError(f"expected an object, got {item!r:.80}")
        kind = item.get("type") or ("movie" if "movie" in item else None)
        if kind == "movie":
            yield item  # a null film object is skipped (and counted) by _film


# One shared string per action instead of one per event (memory of a 100k-event history);
# an unknown or missing action is still a watch.
_ACTIONS = {a: a for a in ("scrobble", "checkin", "watch")}


def _action(value: object) -> str:
    return _ACTIONS.get(value, "watch") if isinstance(value, str) else "watch"


def parse_history(
    items: Iterable[object], films: Films | None = None, skipped: Skipped | None = None
) -> list[HistoryEvent]:
    # Positional arguments and one pass: this runs once per play of the whole history.
    out = []
    for item in _movie_items(items):
        movie = _film(item.get("movie"), films, skipped)
        if movie is not None:
            out.append(
                HistoryEvent(
                    _opt_int(item.get("id")) or 0,
                    parse_time(item.get("watched_at"), "watched_at"),
                    _action(item.get("action")),
                    movie,
                )
            )
    return out


def parse_watched(
    items: Iterable[object], films: Films | None = None, skipped: Skipped | None = None
) -> list[WatchedMovie]:
    out = []
    for item in _movie_items(items):
        plays = item.get("plays")
        if isinstance(plays, bool) or not isinstance(plays, int) or plays < 0:
            raise MalformedDataError(f"watched item with bad plays {plays!r}")
        movie = _film(item.get("movie"), films, skipped)
        if movie is None:
            continue
        out.append(
            WatchedMovie(
                movie=movie,
                plays=plays,
                last_watched_at=parse_time(item.get("last_watched_at"), "last_watched_at"),
            )
        )
    return out


def parse_ratings(
    items: Iterable[object], films: Films | None = None, skipped: Skipped | None = None
) -> list[MovieRating]:
    out = []
    for item in _movie_items(items):
        rating = item.get("rating")
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 10:
            raise MalformedDataError(f"rating {rating!r} is not a whole number from 1 to 10")
        rated_at = item.get("rated_at")
        movie = _film(item.get("movie"), films, skipped)
        if movie is None:
            continue
        out.append(
            MovieRating(
                movie=movie,
                rating=rating,
                rated_at=parse_time(rated_at, "rated_at") if rated_at is not None else None,
            )
        )
    return out


def parse_watchlist(
    items: Iterable[object], films: Films | None = None, skipped: Skipped | None = None
) -> list[WatchlistMovie]:
    out = []
    for position, item in enumerate(_movie_items(items), start=1):
        rank = _opt_int(item.get("rank")) or position
        listed_at = item.get("listed_at")
        movie = _film(item.get("movie"), films, skipped)
        if movie is None:
            continue
        out.append(
            WatchlistMovie(
                movie=movie,
                rank=rank,
                listed_at=parse_time(listed_at, "listed_at") if listed_at is not None else None,
            )
        )
    return out


# repr=False: on exit, Python 3.11's asyncio.run formats the main task, result included, and
# a repr of 100,000 parsed events costs most of a second.
@dataclass(frozen=True, slots=True, repr=False)
class FilmData:
    """What the film exports need, complete and frozen, from whichever source (API or ZIP):
    the source fills every field the run's `Need` asked for, once; nothing completes it later."""

    history: list[HistoryEvent] = field(default_factory=list)
    watched: list[WatchedMovie] = field(default_factory=list)
    ratings: list[MovieRating] = field(default_factory=list)
    watchlist: list[WatchlistMovie] = field(default_factory=list)
    account_timezone: str | None = None
    directors: dict[int, str] | None = None  # trakt id -> "A, B", when people were asked for
    comments: list[FilmComment] | None = None  # when comments were asked for
    account: str | None = None  # whose data (token: the slug; public: the name), when known


# Which films' people (directors) a run wants, given the films the source read.
PeopleOf = Callable[[FilmData], Iterable[int]]


@dataclass(frozen=True, slots=True)
class Need:
    """What a command asks its source for: listings (endpoints relative to /sync or
    /users/NAME), the user's own film comments, and the people of the films `people` picks.
    The run's needs are the union of the command's and each enricher's (`|`)."""

    listings: tuple[str, ...] = ()
    comments: bool = False
    people: PeopleOf | None = None

    def __or__(self, other: Need) -> Need:
        listings = self.listings + tuple(e for e in other.listings if e not in self.listings)
        people = self.people
        if other.people is not None:
            people = other.people if people is None else _both(people, other.people)
        return Need(listings, self.comments or other.comments, people)


def _both(first: PeopleOf, second: PeopleOf) -> PeopleOf:
    return lambda data: {*first(data), *second(data)}


def account_timezone(settings: Mapping[str, Any] | None) -> str | None:
    """`account.timezone` of a `/users/settings` payload (or the ZIP's user-settings.json)."""
    account = settings.get("account") if settings else None
    zone = account.get("timezone") if isinstance(account, Mapping) else None
    return zone if isinstance(zone, str) and zone else None


@dataclass(frozen=True, slots=True)
class FilmComment:
    movie: Movie
    created_at: datetime  # aware, UTC
    text: str
    spoiler: bool
    comment_id: int


def parse_comments(items: Iterable[object], films: Films | None = None) -> list[FilmComment]:
    """Top-level comments on films; replies, other media and null films are dropped."""
    out: list[FilmComment] = []
    for item in items:
        if not isinstance(item, dict) or item.get("type", "movie") != "movie":
            continue
        body = item.get("comment")
        movie = item.get("movie")
        if not isinstance(body, dict) or not isinstance(movie, dict):
            continue
        if body.get("parent_id") not in (None, 0):
            continue  # a reply (the ZIP keeps them)
        text = body.get("comment")
        if not isinstance(text, str) or not text.strip():
            continue
        film = matchable_film(movie, films)
        if film is None:
            continue  # unreadable, or no title and no id: Letterboxd could not match it
        identifier = body.get("id")
        out.append(
            FilmComment(
                film,
                parse_time(body.get("created_at"), "created_at"),
                text,
                body.get("spoiler") is True,
                identifier if isinstance(identifier, int) else 0,
            )
        )
    return out
