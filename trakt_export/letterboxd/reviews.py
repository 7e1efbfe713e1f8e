"""Reviews (SPEC §5): the user's own film comments placed into the `Review` column.

Each comment goes to the row of its `created_at` local date, else the film's latest dated row,
else its undated row; a film with no row gets none (a counted warning: importing such a row would
mark the film watched). Several comments on one row: oldest first, a blank line between them.
Letterboxd reads `Review` as HTML: `&`, `<`, `>` escaped; line breaks kept.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from trakt_export.letterboxd.rows import Row, local_date
from trakt_export.models import FilmComment, Films, parse_comments

log = logging.getLogger(__name__)

SPOILER_LINE = "(Contains spoilers)"


def escape(text: str) -> str:
    """HTML-escape `&`, `<`, `>` (quotes stay: Letterboxd shows them as typed); CRLF -> LF."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def review_text(comment: FilmComment) -> str:
    body = escape(comment.text.strip("\n"))
    return f"{SPOILER_LINE}\n{body}" if comment.spoiler else body


def with_reviews(rows: Sequence[Row], comments: Iterable[FilmComment], zone: ZoneInfo) -> list[Row]:
    """Rows with `review` filled; warns once with the count of films that have no row."""
    by_film: dict[int, list[int]] = {}
    for index, row in enumerate(rows):
        by_film.setdefault(row.movie.trakt_id, []).append(index)
    placed: dict[int, list[FilmComment]] = {}
    orphans: set[int] = set()
    for comment in comments:
        indexes = by_film.get(comment.movie.trakt_id)
        if not indexes:
            orphans.add(comment.movie.trakt_id)
            continue
        placed.setdefault(_place(rows, indexes, comment, zone), []).append(comment)
    if orphans:
        n = len(orphans)
        log.warning(
            f"Warning: {n} film{'s' if n != 1 else ''} with a comment but no watch or rating "
            "got no row (importing one would mark it watched)."
        )
    out = list(rows)
    for index, chosen in placed.items():
        chosen.sort(key=lambda c: (c.created_at, c.comment_id))
        out[index] = out[index]._replace(review="\n\n".join(review_text(c) for c in chosen))
    return out


def _place(rows: Sequence[Row], indexes: list[int], comment: FilmComment, zone: ZoneInfo) -> int:
    day = local_date(comment.created_at, zone)
    dated: list[tuple[date, int]] = [(d, i) for i in indexes if (d := rows[i].watched) is not None]
    for d, i in dated:
        if d == day:
            return i
    if dated:
        return max(dated)[1]
    return indexes[0]


def comments_from(raw: list[Any], films: Films | None = None) -> list[FilmComment]:
    return parse_comments(raw, films)
