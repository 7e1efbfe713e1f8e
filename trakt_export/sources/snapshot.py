"""What a consistent snapshot of a listing needs beside its pages: item identities for
de-duplication and the page-1 signature of the public-mode re-check (the pages' cache staging
is `transport.stage`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def _whole(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value else None


def _is_history(endpoint: str) -> bool:
    """`history/movies`, or a backup Route's `/sync/history/movies`."""
    return "history" in endpoint.split("?")[0].split("/")


def item_key(endpoint: str, item: Any) -> object:
    """Identity of a raw listing item: history by its `id`; items carrying their own id (list
    items, playback) by it; comments and notes by theirs; other endpoints by what the item is
    of (type + Trakt id). None when the item has no usable identity (never de-duplicated)."""
    if not isinstance(item, dict):
        return None
    if _is_history(endpoint):
        return _whole(item.get("id"))
    if (ident := _whole(item.get("id"))) is not None:
        return ("id", ident)
    for own in ("comment", "note"):
        body = item.get(own)
        if isinstance(body, dict) and (ident := _whole(body.get("id"))) is not None:
            return (own, ident)
    kind = item.get("type")
    if not isinstance(kind, str):
        kind = next((k for k in ("movie", "show", "season", "episode") if k in item), None)
    media = item.get(kind) if kind else None
    ids = media.get("ids") if isinstance(media, dict) else None
    trakt = ids.get("trakt") if isinstance(ids, dict) else None
    if isinstance(trakt, int) and not isinstance(trakt, bool):
        return (kind, trakt)
    return None


def item_keys(endpoint: str, items: list[Any]) -> list[object]:
    """`item_key` of every item of a page; a history page (the hot path: 100k plays) reads each
    item's `id` directly, the endpoint looked at once per page."""
    if _is_history(endpoint):
        return [_whole(item.get("id")) if isinstance(item, dict) else None for item in items]
    return [item_key(endpoint, item) for item in items]


def model_keys(endpoint: str) -> Callable[[Any], object]:
    """`model_key` bound to one endpoint (looked at once per listing, not once per item)."""
    if _is_history(endpoint):
        return lambda item: getattr(item, "history_id", 0) or None
    return lambda item: model_key(endpoint, item)


def model_key(endpoint: str, item: Any) -> object:
    """The same identity for a parsed item (models.py): history events by id, else the film."""
    if _is_history(endpoint):
        ident = getattr(item, "history_id", 0)
        return ident or None
    if (comment := getattr(item, "comment_id", None)) is not None:
        return ("comment", comment)  # several comments on one film are several items
    movie = getattr(item, "movie", None)
    trakt = getattr(movie, "trakt_id", None)
    return ("movie", trakt) if trakt is not None else None


def signature(first: list[Any], announced: int | None) -> tuple[object, ...]:
    """What the public-mode re-check compares: page 1's first item, its length and the count."""
    head: object = first[0] if first else None
    if isinstance(head, Mapping):
        head = dict(head)
    return (head, len(first), announced)
