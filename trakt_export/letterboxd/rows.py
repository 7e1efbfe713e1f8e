"""Letterboxd CSV semantics (SPEC §5): parsed Trakt items -> rows -> CSV text -> split parts.

Pure functions only; writing files lives in output.py. Ratings and watches are joined by
Trakt id, so films without an IMDb (or TMDB) id keep their rating.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from typing import NamedTuple
from zoneinfo import ZoneInfo

from trakt_export.models import (
    UNKNOWN_DAY_END,
    UNKNOWN_DAY_START,
    HistoryEvent,
    Movie,
    MovieRating,
    WatchedMovie,
    WatchlistMovie,
    is_unknown_date,
)

HEADER = ("Title", "Year", "imdbID", "tmdbID", "WatchedDate", "Rating10", "Rewatch")
WATCHLIST_HEADER = ("Title", "Year", "imdbID", "tmdbID")

log = logging.getLogger(__name__)


class Row(NamedTuple):
    """One CSV row (a NamedTuple: tens of thousands are built per export, and it is cheap)."""

    movie: Movie
    watched: date | None
    rating: int | None
    rewatch: bool | None
    directors: str | None = None
    tags: str | None = None
    review: str | None = None


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar day of an aware UTC moment in an IANA zone (DST of that very date)."""
    return moment.astimezone(zone).date()


_MIDNIGHT = time(0, 0)


def is_date_only(moment: datetime) -> bool:
    """Exactly 00:00:00.000 UTC: how Trakt's Letterboxd/IMDb import and importers such as
    TraktRater store a watch (or rating) that has a date but no time of day (SPEC §5)."""
    return moment.time() == _MIDNIGHT


def is_date_only_play(event: HistoryEvent) -> bool:
    """A marked or imported play (`watch`) at exactly midnight UTC; scrobbles and check-ins
    carry real times, and the epoch ("date unknown") is no date at all."""
    moment = event.watched_at
    return event.action == "watch" and is_date_only(moment) and not is_unknown_date(moment)


def play_date(event: HistoryEvent, zone: ZoneInfo, date_only_midnight: bool = True) -> date:
    """The local date of a dated play: a date-only play keeps its UTC date (west of UTC it would
    land on the day before), unless `date_only_midnight` is off; any other play is converted."""
    if date_only_midnight and is_date_only_play(event):
        return event.watched_at.date()
    return event.watched_at.astimezone(zone).date()


def rated_date(rated_at: datetime, zone: ZoneInfo, date_only_midnight: bool = True) -> date:
    """The local date of a rating; one at exactly midnight UTC was imported with a date only and
    keeps it, like a date-only play (SPEC §5: wherever a play's or a rating's date is used)."""
    if date_only_midnight and is_date_only(rated_at):
        return rated_at.date()
    return rated_at.astimezone(zone).date()


def date_only_plays(events: Iterable[HistoryEvent]) -> int:
    """How many plays are date-only (for `--report`), whatever `date_only_midnight` says."""
    return sum(1 for event in events if is_date_only_play(event))


def _current(ratings: Iterable[MovieRating]) -> dict[int, MovieRating]:
    """The current rating per film: Trakt keeps one, but should a film appear twice the most
    recently rated wins (later in the list on a tie), the same for every row of that film."""
    current: dict[int, MovieRating] = {}
    for r in ratings:
        before = current.get(r.movie.trakt_id)
        if before is None or _rated_key(r) >= _rated_key(before):
            current[r.movie.trakt_id] = r
    return current


def _rated_key(rating: MovieRating) -> float:
    return rating.rated_at.timestamp() if rating.rated_at else float("-inf")


def _rating_of(current: Mapping[int, MovieRating], film: int) -> int | None:
    rating = current.get(film)
    return rating.rating if rating is not None else None


def _rated_unwatched(current: Mapping[int, MovieRating], watched_ids: set[int]) -> list[Row]:
    return [
        Row(r.movie, None, r.rating, None) for film, r in current.items() if film not in watched_ids
    ]


def history_rows(
    events: Iterable[HistoryEvent],
    ratings: Sequence[MovieRating],
    zone: ZoneInfo,
    *,
    include_rated_unwatched: bool = True,
    date_only_midnight: bool = True,
) -> list[Row]:
    """One row per film and local day; Rewatch when the film has a row on an earlier day.

    A play on 1970-01-01 UTC has an unknown date (SPEC §5): it gives no row of its own but
    counts as an earlier viewing; a film with only such plays gets one undated row. A date-only
    play keeps its UTC date (`play_date`)."""
    days: dict[int, set[date]] = {}
    films: dict[int, Movie] = {}
    undated: dict[int, Movie] = {}  # films with an unknown-date play
    for event in events:
        movie = event.movie
        film = movie.trakt_id
        if UNKNOWN_DAY_START <= event.watched_at < UNKNOWN_DAY_END:  # is_unknown_date, inlined
            undated[film] = movie
            continue
        day = play_date(event, zone, date_only_midnight)
        if film in days:
            days[film].add(day)
        else:
            days[film] = {day}
            films[film] = movie
    current = _current(ratings)
    rows = [
        Row(films[film], day, _rating_of(current, film), index > 0 or film in undated)
        for film, film_days in days.items()
        for index, day in enumerate(sorted(film_days))
    ]
    rows += [
        Row(movie, None, _rating_of(current, film), None)
        for film, movie in undated.items()
        if film not in days
    ]
    if include_rated_unwatched:
        rows += _rated_unwatched(current, set(days) | set(undated))
    return sort_rows(rows)


def last_per_film(history: Iterable[Row]) -> list[Row]:
    """Aggregated mode as a view of history (SPEC §5 v2.2): of `history_rows`' result, each
    film's last row — its latest local date with that row's Rewatch, or its undated row when it
    has only unknown-date plays (or only a rating) — so the two modes never disagree."""
    last: dict[int, Row] = {}
    for row in history:
        film = row.movie.trakt_id
        before = last.get(film)
        if before is None or (
            row.watched is not None and (before.watched is None or row.watched > before.watched)
        ):
            last[film] = row
    return sort_rows(last.values())


def aggregated_rows(
    watched: Iterable[WatchedMovie],
    ratings: Sequence[MovieRating],
    zone: ZoneInfo,
    *,
    include_rated_unwatched: bool = True,
) -> list[Row]:
    """One row per watched film: date of last_watched_at, Rewatch when plays > 1; a
    last_watched_at on 1970-01-01 UTC (date unknown) gives an undated row, empty Rewatch."""
    current = _current(ratings)
    rows: dict[int, Row] = {}
    for item in watched:
        unknown = is_unknown_date(item.last_watched_at)
        rows[item.movie.trakt_id] = Row(
            item.movie,
            None if unknown else local_date(item.last_watched_at, zone),
            _rating_of(current, item.movie.trakt_id),
            None if unknown else item.plays > 1,
        )
    result = list(rows.values())
    if include_rated_unwatched:
        result += _rated_unwatched(current, set(rows))
    return sort_rows(result)


_NO_DATE = date.min


def _title_key(movie: Movie) -> tuple[str, str, bool, int, int]:
    return (
        movie.title.casefold(),
        movie.title,
        movie.year is None,
        movie.year or 0,
        movie.trakt_id,
    )


def sort_rows(rows: Iterable[Row]) -> list[Row]:
    """Dated rows by date, Title, Year; undated rows last by Title (ties by Trakt id)."""
    rows = list(rows)
    # Rank each film's title once (a 100k-event diary names far fewer films), so the row sort
    # compares small (date, rank) keys instead of building a title tuple per row.
    films = {r.movie.trakt_id: r.movie for r in rows}
    rank = {film: i for i, film in enumerate(sorted(films, key=lambda f: _title_key(films[f])))}
    rows.sort(key=lambda r: (r.watched is None, r.watched or _NO_DATE, rank[r.movie.trakt_id]))
    return rows


def with_directors(rows: Sequence[Row], directors: Mapping[int, str]) -> list[Row]:
    return [r._replace(directors=directors.get(r.movie.trakt_id, "")) for r in rows]


def with_tags(rows: Sequence[Row], tags: str) -> list[Row]:
    """`tags` on every row with a WatchedDate (Letterboxd ignores tags without a diary entry)."""
    return [r._replace(tags=tags) if r.watched is not None else r for r in rows]


def _cells(row: Row, directors: bool, tags: bool = False, review: bool = False) -> list[str]:
    m = row.movie
    cells = [
        m.title,
        "" if m.year is None else str(m.year),
        m.imdb or "",
        "" if m.tmdb is None else str(m.tmdb),
        row.watched.isoformat() if row.watched else "",
        "" if row.rating is None else str(row.rating),
        "" if row.rewatch is None else ("true" if row.rewatch else "false"),
    ]
    if directors:
        cells.append(row.directors or "")
    if tags:
        cells.append(row.tags or "")
    if review:
        cells.append(row.review or "")
    return cells


class _Lines(list[str]):
    """A csv.writer target that keeps each row's text: the C writer hands over one whole line
    per writerow, so one writer serves every row (no StringIO per line)."""

    def write(self, text: str) -> None:
        self.append(text)


def _csv_lines(rows: Iterable[Sequence[str]]) -> list[str]:
    lines = _Lines()
    csv.writer(lines).writerows(rows)  # excel dialect: RFC 4180 quoting, CRLF line ends
    return lines


def _csv_line(cells: Sequence[str]) -> str:
    return _csv_lines([cells])[0]


def movie_lines(
    rows: Sequence[Row], *, directors: bool = False, tags: bool = False, review: bool = False
) -> tuple[str, list[str]]:
    """The header line and one CSV line per row (optional columns: Directors, Tags, Review)."""
    header = (*HEADER, *(name for name, on in _optional(directors, tags, review) if on))
    return _csv_line(header), _csv_lines(_cells(r, directors, tags, review) for r in rows)


def _optional(directors: bool, tags: bool, review: bool) -> tuple[tuple[str, bool], ...]:
    return (("Directors", directors), ("Tags", tags), ("Review", review))


def watchlist_lines(items: Iterable[WatchlistMovie]) -> tuple[str, list[str]]:
    """Films of the watchlist in Trakt rank order (ties by Trakt id)."""
    ordered = sorted(items, key=lambda w: (w.rank, w.movie.trakt_id))
    lines = []
    seen: set[int] = set()
    for item in ordered:
        m = item.movie
        if m.trakt_id in seen:
            continue
        seen.add(m.trakt_id)
        lines.append(
            _csv_line([m.title, "" if m.year is None else str(m.year), m.imdb or "", _s(m.tmdb)])
        )
    return _csv_line(WATCHLIST_HEADER), lines


def _s(value: int | None) -> str:
    return "" if value is None else str(value)


def split_parts(header: str, lines: Sequence[str], max_rows: int, max_bytes: int) -> list[str]:
    """Pack lines into CSV texts, each with the header, within max_rows and max_bytes (0 = none).

    A single part is returned when everything fits. A row that alone with the header is larger
    than max_bytes (a long review) gets a part of its own, and one warning line counts them
    (SPEC §5).
    """
    if (not max_rows or len(lines) <= max_rows) and not max_bytes:
        return [header + "".join(lines)]  # nothing to measure: one part
    header_size = len(header.encode())
    parts: list[list[str]] = [[]]
    size = header_size
    oversized = 0
    for line in lines:
        line_size = len(line) if line.isascii() else len(line.encode())
        alone = bool(max_bytes) and header_size + line_size > max_bytes
        oversized += alone
        current = parts[-1]
        too_many = max_rows and len(current) >= max_rows
        too_big = max_bytes and size + line_size > max_bytes
        if current and (too_many or too_big):
            parts.append([])
            size = header_size
        parts[-1].append(line)
        size += line_size
        if alone:  # nothing may join it: the next row starts a new part
            parts.append([])
            size = header_size
    if len(parts) > 1 and not parts[-1]:
        parts.pop()
    if oversized:
        log.warning(
            "%d row%s larger than max_bytes (%d bytes with the header) got a part of its own; "
            "Letterboxd's importer may refuse such a file (raise --max-bytes, or shorten it).",
            oversized,
            "" if oversized == 1 else "s",
            max_bytes,
        )
    return [header + "".join(part) for part in parts]
