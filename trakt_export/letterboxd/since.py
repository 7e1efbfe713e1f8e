"""Only new rows (SPEC §5): `--since DATE` and `--since last`, history mode only.

`--since DATE` keeps rows dated on or after DATE (export timezone) plus rated-unwatched rows
rated on or after it. `--since last` keeps the rows holding a play whose history id was not in
the previous `--since last` export of the same account, plus rated-unwatched rows rated since
then. The mark (every history id of the export, and when it ran) lives in the data dir, one file
per account, and is advanced by `save_mark` only once the output is complete.
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
from trakt_export.letterboxd.rows import Row, local_date
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


@dataclass(frozen=True, slots=True)
class Mark:
    ids: frozenset[int]
    at: datetime  # when that export ran (UTC)


def load_mark(path: Path) -> Mark | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Mark(frozenset(int(i) for i in raw["ids"]), datetime.fromisoformat(raw["at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # none yet (or unreadable): the first --since last run writes everything


def save_mark(path: Path, events: Iterable[HistoryEvent], at: datetime) -> None:
    body = {"ids": sorted({e.history_id for e in events}), "at": at.isoformat()}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(body, separators=(",", ":")).encode())


def _day(event: HistoryEvent, zone: ZoneInfo) -> date | None:
    if is_unknown_date(event.watched_at):
        return None  # "watched, date unknown" (SPEC §5): the film's undated row
    return local_date(event.watched_at, zone)


def select(
    rows: Sequence[Row],
    events: Sequence[HistoryEvent],
    ratings: Sequence[MovieRating],
    zone: ZoneInfo,
    since: Since,
    mark: Mark | None,
) -> list[Row]:
    """The rows `since` asks for (Rewatch, computed over the whole history, is kept as is)."""
    if since.last and mark is None:
        return list(rows)
    watched = {e.movie.trakt_id for e in events}
    rated_at: dict[int, datetime] = {}
    for r in ratings:
        if r.rated_at is not None:
            before = rated_at.get(r.movie.trakt_id)
            rated_at[r.movie.trakt_id] = max(r.rated_at, before) if before else r.rated_at
    new_days: set[tuple[int, date | None]] = set()
    if since.last:
        assert mark is not None
        new_days = {
            (e.movie.trakt_id, _day(e, zone)) for e in events if e.history_id not in mark.ids
        }

    def rated_since(film: int) -> bool:
        when = rated_at.get(film)
        if when is None:
            return False
        if since.day is not None:
            return local_date(when, zone) >= since.day
        assert mark is not None
        return when > mark.at

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
