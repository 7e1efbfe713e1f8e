"""What `movies` adds to the plain rows: Review (`letterboxd/reviews.py`), Tags, and `--since`
(`letterboxd/since.py`).

`Extras.parse` checks the choices before any request; `apply` runs on the rows of the whole
history (so Rewatch stays computed over all of it), `done` advances the `--since last` mark once
the output is complete.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from trakt_export.config import Settings
from trakt_export.letterboxd import rows as letterboxd
from trakt_export.letterboxd.since import (
    Since,
    load_mark,
    mark_path,
    now_utc,
    parse_since,
    save_mark,
)
from trakt_export.models import FilmData, HistoryEvent, MovieRating


def normal_tags(raw: str) -> str:
    """`"a, b ,,c"` -> `"a, b, c"` (Letterboxd's Tags cell is comma-separated)."""
    return ", ".join(t.strip() for t in raw.split(",") if t.strip())


@dataclass(slots=True)
class Extras:
    settings: Settings
    since: Since | None
    tag_text: str
    _pending: tuple[Path, list[HistoryEvent], list[MovieRating]] | None = field(default=None)
    _started: datetime = field(default_factory=now_utc)

    @classmethod
    def parse(cls, settings: Settings, since: str | None) -> Extras:
        return cls(
            settings, parse_since(since, settings.export.mode), normal_tags(settings.export.tags)
        )

    @property
    def tags(self) -> bool:
        return bool(self.tag_text)

    @property
    def reviews(self) -> bool:
        return self.settings.export.reviews

    def apply(
        self, rows: list[letterboxd.Row], data: FilmData, zone: ZoneInfo
    ) -> list[letterboxd.Row]:
        if self.reviews and data.comments:
            from trakt_export.letterboxd.reviews import with_reviews

            rows = with_reviews(rows, data.comments, zone)
        if self.tag_text:
            rows = letterboxd.with_tags(rows, self.tag_text)
        if self.since is None:
            return rows
        started = now_utc()
        mark = None
        if self.since.last:
            account = data.account or f"zip-{self.settings.trakt.username or 'offline'}"
            path = mark_path(self.settings.paths.data_dir, account)
            mark = load_mark(path)
            self._pending = (path, list(data.history), list(data.ratings))
        from trakt_export.letterboxd.since import select

        self._started = started
        date_only = self.settings.export.date_only_midnight
        return select(rows, data.history, data.ratings, zone, self.since, mark, date_only)

    def nothing_new(self, rows: Sequence[letterboxd.Row]) -> bool:
        return self.since is not None and not rows

    def done(self) -> None:
        if self._pending is not None:
            path, events, ratings = self._pending
            save_mark(path, events, self._started, ratings)
            self._pending = None
