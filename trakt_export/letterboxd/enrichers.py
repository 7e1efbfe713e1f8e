"""What `movies` adds to the plain rows, one object per extra: Reviews, Tags, Since, Directors.

Each enricher owns, in one place:

    need()              what it asks the source for (a models.Need, merged into the run's)
    step(rows, data)    its one pass over the rows of the whole history (run once, logged)
    column(data)        the column it adds to the CSV, if any
    commit()            what it keeps once the output is complete (Since: the `last` mark)

`enrichers_for` checks the choices before any request and returns the active ones in the
order their steps run: Reviews first (placed over every row, so a review finds its day),
Since after the columns that need the whole history, Directors last (fewer rows by then).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from trakt_export.config import Settings
from trakt_export.letterboxd.rows import Row, with_directors, with_tags
from trakt_export.letterboxd.since import Since, load_mark, mark_path, now_utc, parse_since
from trakt_export.models import FilmData, HistoryEvent, Movie, MovieRating, Need

log = logging.getLogger(__name__)

# The optional columns, in the order Letterboxd's importer documents them (rows.movie_lines).
DIRECTORS, TAGS, REVIEW = "Directors", "Tags", "Review"


class Enricher(Protocol):
    name: str
    filters: bool  # its step may drop rows: none left means nothing new to write

    def need(self) -> Need: ...

    def step(self, rows: list[Row], data: FilmData, zone: ZoneInfo) -> list[Row]: ...

    def column(self, data: FilmData) -> str | None: ...

    def commit(self) -> None: ...


class Reviews:
    """The user's own film comments in `Review` (reviews.py places them)."""

    name = "reviews"
    filters = False

    def need(self) -> Need:
        return Need(comments=True)

    def step(self, rows: list[Row], data: FilmData, zone: ZoneInfo) -> list[Row]:
        if not data.comments:
            return rows
        from trakt_export.letterboxd.reviews import with_reviews

        return with_reviews(rows, data.comments, zone)

    def column(self, data: FilmData) -> str | None:
        return REVIEW

    def commit(self) -> None:
        return None


def normal_tags(raw: str) -> str:
    """`"a, b ,,c"` -> `"a, b, c"` (Letterboxd's Tags cell is comma-separated)."""
    return ", ".join(t.strip() for t in raw.split(",") if t.strip())


class Tags:
    """The same Tags on every row with a WatchedDate."""

    name = "tags"
    filters = False

    def __init__(self, text: str) -> None:
        self.text = text

    def need(self) -> Need:
        return Need()

    def step(self, rows: list[Row], data: FilmData, zone: ZoneInfo) -> list[Row]:
        return with_tags(rows, self.text)

    def column(self, data: FilmData) -> str | None:
        return TAGS

    def commit(self) -> None:
        return None


class Directors:
    """Director names per film, from the source's people (`all`, or `missing`: only films
    without IMDb/TMDB id, the rows Letterboxd matches by director). The column is there
    whenever it is on (SPEC §5), empty where the source knows no name (the ZIP knows none)."""

    name = "directors"
    filters = False

    def __init__(self, mode: str, include_rated_unwatched: bool) -> None:
        self.mode = mode
        self.include_rated_unwatched = include_rated_unwatched

    def need(self) -> Need:
        return Need(people=self.films)

    def films(self, data: FilmData) -> Iterable[int]:
        """The Trakt ids whose directors it wants, among the films the source read."""
        films: dict[int, Movie] = {e.movie.trakt_id: e.movie for e in data.history}
        films |= {w.movie.trakt_id: w.movie for w in data.watched}
        if self.include_rated_unwatched:
            films |= {r.movie.trakt_id: r.movie for r in data.ratings}
        every = self.mode == "all"
        return [i for i, m in films.items() if every or (m.imdb is None and m.tmdb is None)]

    def step(self, rows: list[Row], data: FilmData, zone: ZoneInfo) -> list[Row]:
        return with_directors(rows, data.directors or {})

    def column(self, data: FilmData) -> str | None:
        return DIRECTORS

    def commit(self) -> None:
        return None


class SinceStep:
    """`--since DATE|last` (since.py): keeps the new rows; `last` advances its mark on commit."""

    name = "since"
    filters = True

    def __init__(
        self, since: Since, data_dir: Path, username: str, date_only_midnight: bool = True
    ) -> None:
        self.since = since
        self.data_dir = data_dir
        self.username = username
        self.date_only_midnight = date_only_midnight
        self._pending: tuple[Path, list[HistoryEvent], datetime, list[MovieRating]] | None = None

    def need(self) -> Need:
        return Need(listings=("history/movies", "ratings/movies"))

    def step(self, rows: list[Row], data: FilmData, zone: ZoneInfo) -> list[Row]:
        from trakt_export.letterboxd.since import select

        started = now_utc()
        mark = None
        if self.since.last:
            account = data.account or f"zip-{self.username or 'offline'}"
            path = mark_path(self.data_dir, account)
            mark = load_mark(path)
            self._pending = (path, list(data.history), started, list(data.ratings))
        return select(
            rows, data.history, data.ratings, zone, self.since, mark, self.date_only_midnight
        )

    def column(self, data: FilmData) -> str | None:
        return None

    def commit(self) -> None:
        if self._pending is not None:
            from trakt_export.letterboxd.since import save_mark

            path, events, started, ratings = self._pending
            save_mark(path, events, started, ratings)
            self._pending = None


def enrichers_for(settings: Settings, since: str | None) -> list[Enricher]:
    """The active enrichers, in step order; a bad `--since` is refused here, before any read."""
    chosen = parse_since(since, settings.export.mode)
    export = settings.export
    out: list[Enricher] = []
    if export.reviews:
        out.append(Reviews())
    tags = normal_tags(export.tags)
    if tags:
        out.append(Tags(tags))
    if chosen is not None:
        out.append(
            SinceStep(
                chosen,
                settings.paths.data_dir,
                settings.trakt.username,
                settings.export.date_only_midnight,
            )
        )
    if export.directors != "off":
        out.append(Directors(export.directors, export.include_rated_unwatched))
    return out


def run_steps(
    enrichers: Sequence[Enricher], rows: list[Row], data: FilmData, zone: ZoneInfo
) -> list[Row]:
    """Each enricher's step, once, in order (one debug line each: `step NAME: N -> M rows`)."""
    for enricher in enrichers:
        before = len(rows)
        rows = enricher.step(rows, data, zone)
        log.debug("step %s: %d -> %d rows", enricher.name, before, len(rows))
    return rows
