"""POST writes, the way Trakt takes them (trakt/trakt-api `contracts/sync`, `contracts/users`).

- `/sync/history`, `/sync/ratings`, `/sync/watchlist`, `/sync/collection`, `/sync/favorites`,
  `/users/hidden/{section}`, `POST /users/{id}/lists` and `/users/{id}/lists/{id}/items`.
- The write limit: 1 POST per second per user (`AUTHED_API_POST_LIMIT`); a faster one is
  answered 429 with `Retry-After: 1` and changes nothing.
- A body that is not a JSON object: 400; one that breaks the contract (a rating outside 1..10,
  a list without a name, an unknown privacy, a bad timestamp): 422. (412 for a body without a
  JSON content type is checked in `server.py` for every request.)
- History plays are never de-duplicated: every entry sent adds a play.
- Answers are 201 with `added` / `updated` / `existing` / `not_found` (items echoed by type) and,
  for list-like writes, `list {updated_at, item_count}`.
- A free account (`UserData.vip` False) passing a limit is answered 420 with `X-Upgrade-URL`,
  `X-VIP-User` and `X-Account-Limit`, and nothing of that request is applied: watchlist 250,
  5 personal lists of 250 items, 1,000 collected items. `upgrade(username)` is the VIP knob.
- Activity stamps move past the clock, so later reads see the writes.
- `log` records every write request (user, path, status, parsed body, counts) for tests.
- Fault knobs: `cut_after(n, kind)` applies the next n writes and then times out, resets the
  connection or answers 500 (the outcome is unknown to the client); `burst_429(n)` answers the
  next n writes 429 without applying them; `lag` seconds of stale reads after a write (GETs
  answered from the account as it was before, stamps included: eventual consistency).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import httpx

from trakt_fake.account import HIDDEN_SECTIONS
from trakt_fake.catalog import Catalog, build
from trakt_fake.listpages import error, not_found, unauthorized
from trakt_fake.records import (
    Token,
    UserData,
    Watch,
)
from trakt_fake.writeapply import Apply, Invalid, Limit

if TYPE_CHECKING:
    from trakt_fake.server import FakeTrakt

CUT = "trakt_fake_cut"  # response extension: the server times out / resets after applying
UPGRADE_URL = "https://trakt.tv/vip"
FREE_LIMITS = {"watchlist": 250, "lists": 5, "list_items": 250, "collection": 1000}
WRITE_INTERVAL = 1.0  # seconds between two writes of one user


@dataclass(slots=True)
class WriteRecord:
    username: str
    path: str
    status: int
    body: Any
    counts: dict[str, Any] = field(default_factory=dict)


class Writes:
    """The write side of one FakeTrakt: limiter, limits, catalogue, faults and the log."""

    def __init__(self, fake: FakeTrakt) -> None:
        self.fake = fake
        self.log: list[WriteRecord] = []
        self.limits = dict(FREE_LIMITS)
        self.interval = WRITE_INTERVAL
        self._last: dict[str, float] = {}
        self._catalog: Catalog | None = None
        self._cuts: list[tuple[str, str]] = []  # (kind, path prefix)
        self._burst = 0
        self._guard = threading.Lock()
        self.lag = 0.0  # seconds during which reads still show the account before a write
        self._stale: dict[str, tuple[float, UserData]] = {}  # username -> (until, snapshot)

    # ----- knobs --------------------------------------------------------------------------

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = build(self.fake.dataset)
        return self._catalog

    def empty_account(self, username: str) -> None:
        """Remove every record of a user (the catalogue keeps knowing its items)."""
        _ = self.catalog
        with self.fake.lock:
            user = self.fake._user(username)
            for name in ("history", "ratings", "collection", "watchlist", "lists", "favorites"):
                getattr(user, name).clear()
            user.hidden.clear()
            user.comments.clear()
            user.playback.clear()
            user.notes.clear()
            user.changed()

    def upgrade(self, username: str) -> None:
        """The account becomes VIP: no more 420."""
        with self.fake.lock:
            self.fake._user(username).vip = True

    def cut_after(self, n: int, kind: str = "timeout", path_prefix: str = "/") -> None:
        """The next n matching writes are applied, then answered by a timeout, a reset
        connection or a 500: the client cannot know they were applied."""
        with self._guard:
            self._cuts += [(kind, path_prefix)] * n

    def burst_429(self, n: int) -> None:
        with self._guard:
            self._burst += n

    def plays(self, username: str) -> list[Watch]:
        return list(self.fake._user(username).history)

    @contextlib.contextmanager
    def reads(self, method: str) -> Iterator[None]:
        """With `lag`: a GET within `lag` seconds of a user's last write is answered from the
        account as it was before the writes (stale reads, stamps included). Under the lock."""
        now = self.fake.clock()
        live = {n: snap for n, (until, snap) in self._stale.items() if now < until}
        if method != "GET" or not live:
            yield
            return
        users = self.fake.dataset.users
        kept = {name: users[name] for name in live}
        users.update(live)
        try:
            yield
        finally:
            users.update(kept)

    def _before_write(self, user: UserData, now: float) -> UserData | None:
        if self.lag <= 0:
            return None
        current = self._stale.get(user.username)
        if current is not None and now < current[0]:
            return current[1]  # reads stay at the state before the first write of the window
        return _snapshot(user)

    def _after_write(self, user: UserData, now: float, snapshot: UserData | None) -> None:
        if snapshot is not None:
            self._stale[user.username] = (now + self.lag, snapshot)

    # ----- the request ---------------------------------------------------------------------

    def handle(self, request: httpx.Request, path: str, token: Token | None) -> httpx.Response:
        if token is None:
            return unauthorized()
        user = self.fake._user(token.username)
        apply = Apply(self.fake, self.catalog, self.limits, user)
        route = self._route(path, user, apply)
        if route is None:
            return not_found()
        now = self.fake.clock()
        with self._guard:
            if self._burst > 0:
                self._burst -= 1
                return self._too_fast()
            last = self._last.get(user.username)
            if last is not None and now - last < self.interval:
                return self._too_fast()
            self._last[user.username] = now
        try:
            body = json.loads(request.content or b"null")
        except ValueError:
            return error(400, "bad_request", "Request body is not valid JSON")
        if not isinstance(body, dict):
            return error(400, "bad_request", "Request body must be a JSON object")
        snapshot = self._before_write(user, now)
        try:
            response = route(body)
            apply.finish()
            self._after_write(user, now, snapshot)
        except Invalid as exc:
            response = error(422, "unprocessable_entity", str(exc))
        except Limit as exc:
            response = error(
                420,
                "account_limit_exceeded",
                "Account limit exceeded",
                **{
                    "X-Upgrade-URL": UPGRADE_URL,
                    "X-VIP-User": "false",
                    "X-Account-Limit": str(exc.limit),
                },
            )
        counts = {}
        if response.status_code == 201:
            counts = json.loads(response.content)
        self.log.append(WriteRecord(user.username, path, response.status_code, body, counts))
        if response.status_code in (200, 201):
            with self._guard:
                cut = next((c for c in self._cuts if path.startswith(c[1])), None)
                if cut is not None:
                    self._cuts.remove(cut)
            if cut is not None and cut[0] in ("timeout", "reset"):
                response.extensions[CUT] = cut[0]
            elif cut is not None:
                return error(500, "server_error", "Internal Server Error")
        return response

    @staticmethod
    def _too_fast() -> httpx.Response:
        return error(
            429,
            "rate_limit_exceeded",
            "AUTHED_API_POST_LIMIT: 1 write per second",
            **{"Retry-After": "1"},
        )

    def _route(
        self, path: str, user: UserData, apply: Apply
    ) -> Callable[[dict[str, Any]], httpx.Response] | None:
        parts = path.strip("/").split("/")
        if parts[0] == "sync" and len(parts) == 2:
            return {
                "history": apply.history,
                "ratings": apply.ratings,
                "watchlist": apply.watchlist,
                "collection": apply.collection,
                "favorites": apply.favorites,
            }.get(parts[1])
        if parts[:2] == ["users", "hidden"] and len(parts) == 3:
            section = parts[2]
            return (
                (lambda body: apply.hidden(section, body)) if section in HIDDEN_SECTIONS else None
            )
        if parts[0] == "users" and len(parts) >= 3 and parts[2] == "lists":
            if parts[1] not in ("me", user.slug, user.username):
                return None  # only the owner writes its lists
            if len(parts) == 3:
                return apply.create_list
            if len(parts) == 5 and parts[4] == "items":
                key = parts[3]
                return lambda body: apply.list_items(key, body)
        return None


def _snapshot(user: UserData) -> UserData:
    """A copy of the user's records as they are now (records themselves are not mutated)."""
    return replace(
        user,
        history=list(user.history),
        ratings=list(user.ratings),
        collection=list(user.collection),
        watchlist=list(user.watchlist),
        lists=[replace(lst, items=list(lst.items)) for lst in user.lists],
        favorites=list(user.favorites),
        hidden=list(user.hidden),
        bumped=dict(user.bumped),
        derived={},
    )
