"""Only new rows (SPEC §5): `--since DATE` and `--since last`, history mode only.

`--since DATE` keeps rows dated on or after DATE (export timezone) plus rated-unwatched rows
rated on or after it (a date-only rating, at exactly midnight UTC, keeps its UTC date). `--since
last` keeps the rows holding a play whose history id was not in the previous `--since last`
export of the same account, plus rated-unwatched rows whose rating (film, `rated_at` to the
second, Trakt's precision) that export did not hold. The mark selects by what Trakt's data says,
never by our clock: a rating made in the same second as the previous run is still new. It lives
in the data dir, one file per account (every history id and every rating of the export, and when
it ran, for information), and is advanced by `save_mark` only once the output is complete.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from trakt_export.errors import UsageError
from trakt_export.letterboxd.rows import Row, play_date, rated_date
from trakt_export.models import HistoryEvent, MovieRating, is_unknown_date
from trakt_export.output import write_atomic


@dataclass(frozen=True, slots=True)
class Since:
    day: date | None  # --since DATE
    last: bool  # --since last


def parse_since(value: str | None, mode: str) -> Since | None:
    if value is None:
        return None
    if mode != "history":
        raise UsageError(
            "--since needs history mode.", "Add --mode history (or set [export] mode = history)."
        )
    if value.strip().lower() == "last":
        return Since(None, True)
    try:
        return Since(date.fromisoformat(value.strip()), False)
    except ValueError:
        raise UsageError(
            f"--since {value!r} is neither a date (YYYY-MM-DD) nor 'last'.",
            "Pass e.g. --since 2025-01-31, or --since last for what is new since the last run.",
        ) from None


def mark_path(data_dir: Path, account: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", account) or "account"
    return data_dir / "since" / f"{safe}.json"


Rated = tuple[int, str]  # (Trakt id, rated_at to the second, ISO): one rating as Trakt holds it


@dataclass(frozen=True, slots=True)
class Mark:
    ids: frozenset[int]
    at: datetime  # when that export ran (UTC): only read for marks written before `rated`
    rated: frozenset[Rated] | None = None  # the ratings that export held; None: an older mark


def rated_stamp(rating: MovieRating) -> Rated | None:
    """A rating's identity at Trakt's precision (whole seconds: `…T12:34:56.000Z`)."""
    if rating.rated_at is None:
        return None
    moment = rating.rated_at.astimezone(UTC).replace(microsecond=0, tzinfo=None)
    return rating.movie.trakt_id, moment.isoformat()


def load_mark(path: Path) -> Mark | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        rated = raw.get("rated")
        return Mark(
            frozenset(int(i) for i in raw["ids"]),
            datetime.fromisoformat(raw["at"]),
            None if rated is None else frozenset((int(f), str(t)) for f, t in rated),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # none yet (or unreadable): the first --since last run writes everything


def save_mark(
    path: Path,
    events: Iterable[HistoryEvent],
    at: datetime,
    ratings: Iterable[MovieRating] = (),
) -> None:
    rated = sorted({stamp for r in ratings if (stamp := rated_stamp(r)) is not None})
    body = {
        "ids": sorted({e.history_id for e in events}),
        "at": at.isoformat(),
        "rated": [list(pair) for pair in rated],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(body, separators=(",", ":")).encode())


def _day(event: HistoryEvent, zone: ZoneInfo, date_only_midnight: bool) -> date | None:
    if is_unknown_date(event.watched_at):
        return None  # "watched, date unknown" (SPEC §5): the film's undated row
    return play_date(event, zone, date_only_midnight)  # the same date as the film's row


def select(
    rows: Sequence[Row],
    events: Sequence[HistoryEvent],
    ratings: Sequence[MovieRating],
    zone: ZoneInfo,
    since: Since,
    mark: Mark | None,
    date_only_midnight: bool = True,
) -> list[Row]:
    """The rows `since` asks for (Rewatch, computed over the whole history, is kept as is)."""
    if since.last and mark is None:
        return list(rows)
    watched = {e.movie.trakt_id for e in events}
    latest: dict[int, MovieRating] = {}
    for r in ratings:
        if r.rated_at is not None:
            before = latest.get(r.movie.trakt_id)
            if before is None or before.rated_at is None or r.rated_at > before.rated_at:
                latest[r.movie.trakt_id] = r
    new_days: set[tuple[int, date | None]] = set()
    if since.last:
        assert mark is not None
        new_days = {
            (e.movie.trakt_id, _day(e, zone, date_only_midnight))
            for e in events
            if e.history_id not in mark.ids
        }

    def rated_since(film: int) -> bool:
        rating = latest.get(film)
        if rating is None or rating.rated_at is None:
            return False
        if since.day is not None:
            return rated_date(rating.rated_at, zone, date_only_midnight) >= since.day
        assert mark is not None
        if mark.rated is None:  # a mark from before v2.2 kept no ratings: its time must do
            return rating.rated_at > mark.at
        return rated_stamp(rating) not in mark.rated

    out = []
    for row in rows:
        film = row.movie.trakt_id
        if film not in watched:  # rated-unwatched
            keep = rated_since(film)
        elif since.day is not None:
            keep = row.watched is not None and row.watched >= since.day
        else:
            keep = (film, row.watched) in new_days
        if keep:
            out.append(row)
    return out


def now_utc() -> datetime:
    return datetime.now(UTC)
