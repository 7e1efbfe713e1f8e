"""last_activities stamps derived from the social and account records (lists, comments, ...).

`record_times(user)` yields `(section, key, moment)` for every list, list item, favorite,
comment, playback, hidden item and note; `shapes.activity_times` keeps the newest per key.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from trakt_fake.records import Episode, Film, Season, Show, UserData, UserList

Stamp = tuple[str, str, datetime]


def section_of(item: object) -> str | None:
    """The last_activities section of a media item (`movies`, `shows`, ...), None otherwise."""
    if isinstance(item, Film):
        return "movies"
    if isinstance(item, Show):
        return "shows"
    if isinstance(item, Season):
        return "seasons"
    if isinstance(item, Episode):
        return "episodes"
    if isinstance(item, UserList):
        return "lists"
    return None


def record_times(user: UserData) -> Iterator[Stamp]:
    for lst in user.lists:
        yield "lists", "updated_at", lst.updated_at
        for entry in lst.items:
            yield "lists", "updated_at", entry.listed_at
    for entry in user.favorites:
        yield "favorites", "updated_at", entry.listed_at
        if isinstance(entry.item, Film | Show):
            yield section_of(entry.item) or "movies", "favorited_at", entry.listed_at
    for comment in user.comments:
        section = section_of(comment.item)
        if section is not None:
            yield section, "commented_at", comment.updated_at or comment.created_at
    for paused in user.playback:
        yield section_of(paused.item) or "movies", "paused_at", paused.paused_at
    for hidden in user.hidden:
        if hidden.section == "dropped":
            yield "shows", "dropped_at", hidden.hidden_at
        elif isinstance(hidden.item, str):
            yield "comments", "blocked_at", hidden.hidden_at
        elif not isinstance(hidden.item, Episode):
            yield section_of(hidden.item) or "movies", "hidden_at", hidden.hidden_at
    for note in user.notes:
        yield "notes", "updated_at", note.updated_at or note.created_at
