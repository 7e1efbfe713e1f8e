"""The order a personal list's items are shown in on Trakt (SPEC §1 v2.2, `lists`).

A list carries its own `sort_by`/`sort_how`, and Trakt serves its items in that order; ranks can
repeat or skip. `ordered(items, sort_by, sort_how)` takes the raw items in the order they were
served (API pages, or the ZIP's file) and returns them in the list's order:

- keys the items carry are recomputed: `rank`, `added` (`listed_at`), `title` (case-folded,
  then by code point), `my_rating` (when the items carry it); ascending or descending, items
  without the key last either way, ties by rank, then the film's Trakt id;
- keys the data cannot recompute (`released`, `runtime`, `popularity`, `percentage`, `votes`,
  `watched`, `collected`: the items hold no such figures) keep Trakt's served order;
- `random` and unknown values fall back to rank ascending. The favorites list is by rank.

Pure: no I/O, no parsing beyond reading the fields it sorts by.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

RECOMPUTED = ("rank", "added", "title", "my_rating")
SERVED = ("released", "runtime", "popularity", "percentage", "votes", "watched", "collected")


def _rank(item: Any, position: int) -> int:
    rank = item.get("rank") if isinstance(item, dict) else None
    if isinstance(rank, int) and not isinstance(rank, bool) and rank > 0:
        return rank
    return position + 1  # no usable rank: where it was served


def _film(item: Any) -> dict[str, Any]:
    movie = item.get("movie") if isinstance(item, dict) else None
    return movie if isinstance(movie, dict) else {}


def _trakt_id(item: Any) -> int:
    ids = _film(item).get("ids")
    trakt = ids.get("trakt") if isinstance(ids, dict) else None
    return trakt if isinstance(trakt, int) and not isinstance(trakt, bool) else 0


def _added(item: Any) -> Any:
    value = item.get("listed_at") if isinstance(item, dict) else None
    # Trakt's stamps share one format (`…T12:34:00.000Z`): as strings they sort as times.
    return value if isinstance(value, str) and value else None


def _title(item: Any) -> Any:
    title = _film(item).get("title")
    return (title.casefold(), title) if isinstance(title, str) and title.strip() else None


def _my_rating(item: Any) -> Any:
    rating = item.get("my_rating") if isinstance(item, dict) else None
    return rating if isinstance(rating, int) and not isinstance(rating, bool) else None


_KEYS: dict[str, Callable[[Any], Any]] = {"added": _added, "title": _title, "my_rating": _my_rating}


def ordered(items: Sequence[Any], sort_by: object = "rank", sort_how: object = "asc") -> list[Any]:
    """`items` (as served) in the order the list shows them on Trakt."""
    tie = sorted(range(len(items)), key=lambda i: (_rank(items[i], i), _trakt_id(items[i]), i))
    descending = sort_how == "desc"
    if sort_by in SERVED:
        return list(items)
    if sort_by == "my_rating" and not any(isinstance(i, dict) and "my_rating" in i for i in items):
        return list(items)  # the items carry no rating: Trakt's served order is the order
    if sort_by == "rank":
        if descending:  # rank descending; equal ranks still by Trakt id
            tie = sorted(tie, key=lambda i: (-_rank(items[i], i), _trakt_id(items[i]), i))
        return [items[i] for i in tie]
    key = _KEYS.get(sort_by) if isinstance(sort_by, str) else None
    if key is None:  # random, or a value Trakt added since: rank ascending
        return [items[i] for i in tie]
    values = {i: key(items[i]) for i in tie}
    present = [i for i in tie if values[i] is not None]
    absent = [i for i in tie if values[i] is None]
    # Stable sorts: equal keys keep the rank / Trakt id order in both directions.
    present.sort(key=lambda i: values[i])
    if descending:
        present = _descending(present, values)
    return [items[i] for i in present + absent]


def _descending(indexes: list[int], values: dict[int, Any]) -> list[int]:
    """Groups of equal keys from the largest down, each group still in tie order."""
    groups: list[list[int]] = []
    for i in indexes:  # ascending already
        if groups and values[groups[-1][0]] == values[i]:
            groups[-1].append(i)
        else:
            groups.append([i])
    return [i for group in reversed(groups) for i in group]
