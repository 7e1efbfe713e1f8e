"""The order Trakt serves a personal list's items in: the list's own `sort_by`/`sort_how`
(TRAKT-REALITY.md "Lists"), not its ranks, which may repeat or skip.

Keys the fake's records lack (runtime, popularity, percentage, votes) are stable numbers
derived from the item's Trakt id; `released` is the year. Items without the key (no year, no
rating, never watched or collected) come last either way; ties by rank, then Trakt id.
`random` is a fixed shuffle per list (stable across requests), unknown values are rank order.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from typing import Any

from trakt_fake.records import Listed, UserData, UserList, iso_minute

SORT_BY = (
    "rank",
    "added",
    "title",
    "released",
    "runtime",
    "popularity",
    "percentage",
    "votes",
    "my_rating",
    "watched",
    "collected",
    "random",
)

Key = Callable[[Listed], Any]


def _title(entry: Listed) -> Any:
    title = getattr(entry.item, "title", None)
    return (title.casefold(), title) if title else None


def _synthetic(kind: str) -> Key:
    return lambda entry: zlib.crc32(f"{kind}:{entry.item.trakt}".encode()) % 1000


def _keys(user: UserData) -> dict[str, Key]:
    rated = {(type(r.item), r.item.trakt): r.rating for r in user.ratings}
    watched: dict[tuple[type, int], Any] = {}
    for play in user.history:
        key = (type(play.item), play.item.trakt)
        watched[key] = max(watched.get(key, play.watched_at), play.watched_at)
    collected = {(type(c.item), c.item.trakt): c.collected_at for c in user.collection}

    def of(table: dict[tuple[type, int], Any]) -> Key:
        return lambda entry: table.get((type(entry.item), entry.item.trakt))

    return {
        "rank": lambda entry: entry.rank,
        # Trakt serves (and compares) listed_at to the minute.
        "added": lambda entry: iso_minute(entry.listed_at),
        "title": _title,
        "released": lambda entry: getattr(entry.item, "year", None),
        "runtime": _synthetic("runtime"),
        "popularity": _synthetic("popularity"),
        "percentage": _synthetic("percentage"),
        "votes": _synthetic("votes"),
        "my_rating": of(rated),
        "watched": of(watched),
        "collected": of(collected),
    }


def served(user: UserData, lst: UserList, entries: Sequence[Listed]) -> list[Listed]:
    """`entries` (already filtered by type) in the order Trakt serves `lst`'s items."""
    tie = sorted(entries, key=lambda e: (e.rank, e.item.trakt, e.id))
    if lst.sort_by == "random":
        return sorted(tie, key=lambda e: zlib.crc32(f"{lst.trakt}:{e.id}".encode()))
    key = _keys(user).get(lst.sort_by)
    if key is None or (lst.sort_by == "rank" and lst.sort_how != "desc"):
        return tie
    present = [e for e in tie if key(e) is not None]
    absent = [e for e in tie if key(e) is None]
    # sorted() is stable: equal keys keep the rank/Trakt-id tie order in both directions.
    if lst.sort_how == "desc":
        keyed = sorted(present, key=lambda e: _Desc(key(e)))
    else:
        keyed = sorted(present, key=key)
    return keyed + absent


class _Desc:
    """Reverses one key's order while the stable sort keeps ties in rank order."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Desc) -> bool:
        return bool(self.value > other.value)


def sort_headers(lst: UserList) -> dict[str, str]:
    """Trakt's X-Sort-* headers of a list's items: the sort asked for and the one applied."""
    return {
        "X-Sort-By": lst.sort_by,
        "X-Sort-How": lst.sort_how,
        "X-Applied-Sort-By": lst.sort_by,
        "X-Applied-Sort-How": lst.sort_how,
    }
