"""The staged write of one listing's pages into the cache (SPEC §4: only validated data is
stored).

A `Stage` travels in the cache hint (`extensions.CacheHint`, key `stage`) of every page request
of one read of one listing. The
cache transport stores those pages under the stage's token, invisible to lookups, and binds
itself to the stage as its `StageSink`; only `commit()` (called by the source once the listing
passed its checks) makes them the listing's cached snapshot, and `drop()` deletes them. So no
run leaves a bad page behind, and the cache never imports the source that validates.
"""

from __future__ import annotations

import secrets
from typing import Protocol


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
