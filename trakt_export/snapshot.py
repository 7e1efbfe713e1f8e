"""What a consistent snapshot of a listing needs beside its pages: item identities for
de-duplication, the page-1 signature of the public-mode re-check, and the cache `Stage`.

A `Stage` travels in the cache hint of every page request of one read of one listing. The
cache transport stores those pages under the stage's token, invisible to lookups, and binds
itself to the stage; only `commit()` (called once the listing passed its checks) makes them
the listing's cached snapshot, and `drop()` deletes them. So no run leaves a bad page behind.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, Protocol


class StageSink(Protocol):
    """The cache side of a stage (implemented by `cache.CacheTransport`)."""

    def commit_stage(self, stage: Stage) -> None: ...

    def drop_stage(self, stage: Stage) -> None: ...


class Stage:
    """The pages of one read of one listing, stored but not yet valid."""

    __slots__ = ("account", "activity", "keys", "listing", "sink", "token")

    def __init__(self, listing: str) -> None:
        self.listing = listing
        self.token = secrets.token_hex(8)
        self.keys: list[str] = []
        self.sink: StageSink | None = None
        self.account = ""
        self.activity: str | None = None

    def commit(self, account: str, activity: str | None) -> None:
        """The listing passed every check: its pages become the cached snapshot, vouched by
        `activity` (the last_activities stamp; None in public mode, where the TTL rules)."""
        self.account, self.activity = account, activity
        if self.sink is not None:
            self.sink.commit_stage(self)
            self.sink = None

    def drop(self) -> None:
        """The read was discarded (changed data, a failure): its stored pages go away."""
        if self.sink is not None:
            self.sink.drop_stage(self)
            self.sink = None


def item_key(endpoint: str, item: Any) -> object:
    """Identity of a raw listing item: history by its `id`, other endpoints by what the item
    is of (type + Trakt id). None when the item has no usable identity (never de-duplicated)."""
    if not isinstance(item, dict):
        return None
    if endpoint.startswith("history"):
        ident = item.get("id")
        return ident if isinstance(ident, int) and not isinstance(ident, bool) and ident else None
    kind = item.get("type")
    if not isinstance(kind, str):
        kind = next((k for k in ("movie", "show", "season", "episode") if k in item), None)
    media = item.get(kind) if kind else None
    ids = media.get("ids") if isinstance(media, dict) else None
    trakt = ids.get("trakt") if isinstance(ids, dict) else None
    if isinstance(trakt, int) and not isinstance(trakt, bool):
        return (kind, trakt)
    return None


def model_key(endpoint: str, item: Any) -> object:
    """The same identity for a parsed item (models.py): history events by id, else the film."""
    if endpoint.startswith("history"):
        ident = getattr(item, "history_id", 0)
        return ident or None
    movie = getattr(item, "movie", None)
    trakt = getattr(movie, "trakt_id", None)
    return ("movie", trakt) if trakt is not None else None


def signature(first: list[Any], announced: int | None) -> tuple[object, ...]:
    """What the public-mode re-check compares: page 1's first item, its length and the count."""
    head: object = first[0] if first else None
    if isinstance(head, Mapping):
        head = dict(head)
    return (head, len(first), announced)
