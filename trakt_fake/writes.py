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
  next n writes 429 without applying them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from trakt_fake.account import HIDDEN_SECTIONS
from trakt_fake.catalog import Catalog, build
from trakt_fake.listpages import answer, error, not_found, unauthorized
from trakt_fake.records import (
    UNKNOWN_DATE,
    Collected,
    Episode,
    Film,
    Hidden,
    Listed,
    Rating,
    Season,
    Show,
    Token,
    UserData,
    UserList,
    Watch,
    as_utc,
    iso,
    slugify,
)
from trakt_fake.shapes import activity_times
from trakt_fake.social import list_json

if TYPE_CHECKING:
    from trakt_fake.server import FakeTrakt

CUT = "trakt_fake_cut"  # response extension: the server times out / resets after applying
UPGRADE_URL = "https://trakt.tv/vip"
FREE_LIMITS = {"watchlist": 250, "lists": 5, "list_items": 250, "collection": 1000}
WRITE_INTERVAL = 1.0  # seconds between two writes of one user
PRIVACY = ("private", "link", "friends", "public")
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
    "random",
    "watched",
    "collected",
)
TYPES = ("movies", "shows", "seasons", "episodes")
_KIND = {"movies": "movie", "shows": "show", "seasons": "season", "episodes": "episode"}


class Invalid(Exception):
    """A request body that breaks the contract: 422."""


@dataclass(slots=True)
class WriteRecord:
    username: str
    path: str
    status: int
    body: Any
    counts: dict[str, Any] = field(default_factory=dict)


class _Limit(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


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

    # ----- the request ---------------------------------------------------------------------

    def handle(self, request: httpx.Request, path: str, token: Token | None) -> httpx.Response:
        if token is None:
            return unauthorized()
        user = self.fake._user(token.username)
        apply = _Apply(self, user)
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
        try:
            response = route(body)
            apply.finish()
        except Invalid as exc:
            response = error(422, "unprocessable_entity", str(exc))
        except _Limit as exc:
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
        self, path: str, user: UserData, apply: _Apply
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


def _moment(raw: Any, default: datetime) -> datetime:
    if raw is None:
        return default
    if raw in ("unknown", "released"):
        return UNKNOWN_DATE  # "released" needs release dates the fake does not keep
    if not isinstance(raw, str):
        raise Invalid("timestamps are ISO 8601 strings")
    try:
        return as_utc(datetime.fromisoformat(raw.replace("Z", "+00:00")))
    except ValueError:
        raise Invalid(f"invalid timestamp {raw!r}") from None


def _entries(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise Invalid(f"{key} must be an array of objects")
    return value


def _empty_not_found() -> dict[str, list[Any]]:
    return {"movies": [], "shows": [], "seasons": [], "episodes": [], "ids": []}


class _Apply:
    """One write request's changes to one user, under the fake's lock."""

    def __init__(self, writes: Writes, user: UserData) -> None:
        self.writes = writes
        self.fake = writes.fake
        self.user = user
        self.catalog = writes.catalog
        self.now = datetime.fromtimestamp(self.fake.clock(), UTC)
        self.pending: set[tuple[str, str]] = set()

    def _bump(self, *keys: tuple[str, str]) -> None:
        self.pending.update(keys)  # moved once per request, in `finish`

    def finish(self) -> None:
        if self.pending:
            known = activity_times(self.user)
            self.fake._bump(self.user, *(k for k in sorted(self.pending) if k in known))
        self.user.changed()

    def _free(self) -> bool:
        return not (self.user.vip)

    def _items(
        self, body: dict[str, Any], kinds: Iterable[str], not_found: dict[str, list[Any]]
    ) -> list[tuple[str, dict[str, Any], Film | Show | Season | Episode]]:
        """(type, entry, item) for every entry of the given types Trakt can match."""
        found = []
        for key in kinds:
            for entry in _entries(body, key):
                item = self.catalog.find(_KIND[key], entry.get("ids"))
                if item is None:
                    not_found[key].append(entry)
                else:
                    found.append((key, entry, item))
        return found

    def _episodes(
        self, body: dict[str, Any], not_found: dict[str, list[Any]], stamp: str
    ) -> list[tuple[Episode, Any]]:
        """Episodes named in `episodes` or under `shows` (seasons and episode numbers)."""
        out: list[tuple[Episode, Any]] = []
        for _, entry, item in self._items(body, ["episodes"], not_found):
            assert isinstance(item, Episode)
            out.append((item, entry.get(stamp)))
        for entry in _entries(body, "shows"):
            show = self.catalog.find("show", entry.get("ids"))
            if not isinstance(show, Show):
                not_found["shows"].append(entry)
                continue
            for season in entry.get("seasons") or []:
                for ep in season.get("episodes") or []:
                    episode = self.catalog.episode(show, season.get("number"), ep.get("number"))
                    if episode is None:
                        not_found["episodes"].append(ep)
                    else:
                        out.append((episode, ep.get(stamp, season.get(stamp, entry.get(stamp)))))
        return out

    # ----- sync ---------------------------------------------------------------------------

    def history(self, body: dict[str, Any]) -> httpx.Response:
        not_found = _empty_not_found()
        plays: list[tuple[Film | Episode, datetime]] = []
        for _, entry, item in self._items(body, ["movies"], not_found):
            assert isinstance(item, Film)
            plays.append((item, _moment(entry.get("watched_at"), self.now)))
        for episode, raw in self._episodes(body, not_found, "watched_at"):
            plays.append((episode, _moment(raw, self.now)))
        next_id = max((w.id for w in self.user.history), default=0) + 1
        for i, (item, when) in enumerate(plays):
            self.user.history.append(Watch(next_id + i, when, "watch", item))  # never de-duped
        added = {
            "movies": sum(isinstance(i, Film) for i, _ in plays),
            "episodes": sum(isinstance(i, Episode) for i, _ in plays),
        }
        if added["movies"]:
            self._bump(("movies", "watched_at"))
        if added["episodes"]:
            self._bump(("episodes", "watched_at"))
        self.user.changed()
        body_out = {"added": added, "updated": {"movies": 0, "episodes": 0}}
        return answer(201, body_out | {"not_found": not_found})

    def ratings(self, body: dict[str, Any]) -> httpx.Response:
        not_found = _empty_not_found()
        found = self._items(body, TYPES, not_found)
        for _, entry, _ in found:
            rating = entry.get("rating")
            if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 10:
                raise Invalid("rating must be an integer from 1 to 10")
        added = dict.fromkeys(TYPES, 0)
        for key, entry, item in found:
            self.user.ratings = [r for r in self.user.ratings if r.item != item]
            when = _moment(entry.get("rated_at"), self.now)
            self.user.ratings.append(Rating(when, entry["rating"], item))
            added[key] += 1
            self._bump((key, "rated_at"))
        self.user.changed()
        return answer(201, {"added": added, "not_found": not_found})

    def _listed(
        self,
        entries: list[Listed],
        body: dict[str, Any],
        kinds: tuple[str, ...],
        limit: int | None,
        stamp: str = "listed_at",
    ) -> tuple[dict[str, int], dict[str, int], dict[str, list[Any]], list[Listed]]:
        not_found = _empty_not_found()
        found = self._items(body, kinds, not_found)
        have = {(type(e.item), e.item.trakt) for e in entries}
        added, existing = dict.fromkeys(TYPES, 0), dict.fromkeys(TYPES, 0)
        new: list[Listed] = []
        for key, entry, item in found:
            if (type(item), item.trakt) in have:
                existing[key] += 1
                continue
            have.add((type(item), item.trakt))
            notes = entry.get("notes")
            if notes is not None and not isinstance(notes, str):
                raise Invalid("notes must be a string")
            new.append(
                Listed(0, 0, _moment(entry.get(stamp), self.now), item, notes)  # ids set below
            )
            added[key] += 1
        if limit is not None and self._free() and len(entries) + len(new) > limit:
            raise _Limit(limit)
        first_id = max((e.id for e in entries), default=0) + 1
        first_rank = max((e.rank for e in entries), default=0) + 1
        for i, entry_new in enumerate(new):
            entry_new.id, entry_new.rank = first_id + i, first_rank + i
        entries.extend(new)
        return added, existing, not_found, new

    def watchlist(self, body: dict[str, Any]) -> httpx.Response:
        entries = self.user.watchlist
        added, existing, not_found, new = self._listed(
            entries, body, TYPES, self.writes.limits["watchlist"]
        )
        if new:
            self._bump(("watchlist", "updated_at"), *((k, "watchlisted_at") for k in TYPES))
        self.user.changed()
        stamp = iso(max([self.now, *(e.listed_at for e in entries)]))
        return answer(
            201,
            {
                "added": added,
                "existing": existing,
                "not_found": not_found,
                "list": {"updated_at": stamp, "item_count": len(entries)},
            },
        )

    def favorites(self, body: dict[str, Any]) -> httpx.Response:
        entries = self.user.favorites
        added, existing, not_found, new = self._listed(entries, body, ("movies", "shows"), None)
        if new:
            self._bump(("favorites", "updated_at"), ("movies", "favorited_at"))
        self.user.changed()
        return answer(
            201,
            {
                "added": added,
                "existing": existing,
                "not_found": not_found,
                "list": {"updated_at": iso(self.now), "item_count": len(entries)},
            },
        )

    def collection(self, body: dict[str, Any]) -> httpx.Response:
        not_found = _empty_not_found()
        items: list[tuple[Film | Episode, Any]] = []
        for _, entry, item in self._items(body, ["movies"], not_found):
            assert isinstance(item, Film)
            items.append((item, entry.get("collected_at")))
        items += self._episodes(body, not_found, "collected_at")
        have = {(type(c.item), c.item.trakt) for c in self.user.collection}
        added = {"movies": 0, "episodes": 0}
        existing = {"movies": 0, "episodes": 0}
        new: list[Collected] = []
        for item, raw in items:
            key = "movies" if isinstance(item, Film) else "episodes"
            if (type(item), item.trakt) in have:
                existing[key] += 1
                continue
            have.add((type(item), item.trakt))
            new.append(Collected(_moment(raw, self.now), item))
            added[key] += 1
        limit = self.writes.limits["collection"]
        if self._free() and len(self.user.collection) + len(new) > limit:
            raise _Limit(limit)
        self.user.collection.extend(new)
        if new:
            self._bump(("movies", "collected_at"), ("episodes", "collected_at"))
        self.user.changed()
        return answer(
            201,
            {
                "added": added,
                "updated": {"movies": 0, "episodes": 0},
                "existing": existing,
                "not_found": not_found,
            },
        )

    def hidden(self, section: str, body: dict[str, Any]) -> httpx.Response:
        not_found = _empty_not_found() | {"users": []}
        found = self._items(body, ("movies", "shows", "seasons"), not_found)
        have = {
            (h.item if isinstance(h.item, str) else (type(h.item), h.item.trakt))
            for h in self.user.hidden
            if h.section == section
        }
        added = {"movies": 0, "shows": 0, "season": 0, "users": 0}
        for key, entry, item in found:
            if isinstance(item, Episode) or (type(item), item.trakt) in have:
                continue
            have.add((type(item), item.trakt))
            when = _moment(entry.get("hidden_at"), self.now)
            self.user.hidden.append(Hidden(section, when, item))
            added["season" if key == "seasons" else key] += 1
            stamp = ("shows", "dropped_at") if section == "dropped" else (key, "hidden_at")
            self._bump(stamp)
        for entry in _entries(body, "users"):
            ids = entry.get("ids")
            slug = (ids.get("slug") if isinstance(ids, dict) else None) or entry.get("username")
            if not isinstance(slug, str) or section != "comments":
                not_found["users"].append(entry)
            elif slug not in have:
                have.add(slug)
                when = _moment(entry.get("hidden_at"), self.now)
                self.user.hidden.append(Hidden(section, when, slug))
                added["users"] += 1
                self._bump(("comments", "blocked_at"))
        self.user.changed()
        return answer(201, {"added": added, "not_found": not_found})

    # ----- lists --------------------------------------------------------------------------

    def create_list(self, body: dict[str, Any]) -> httpx.Response:
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise Invalid("name is required")
        privacy = body.get("privacy", "private")
        if privacy not in PRIVACY:
            raise Invalid(f"privacy must be one of {', '.join(PRIVACY)}")
        sort_by, sort_how = body.get("sort_by", "rank"), body.get("sort_how", "asc")
        if sort_by not in SORT_BY or sort_how not in ("asc", "desc"):
            raise Invalid("invalid sort_by or sort_how")
        description = body.get("description")
        if description is not None and not isinstance(description, str):
            raise Invalid("description must be a string")
        limit = self.writes.limits["lists"]
        if self._free() and len(self.user.lists) >= limit:
            raise _Limit(limit)
        trakt = max((lst.trakt for lst in self.fake.all_lists()), default=4000) + 1
        slug = slugify(name) or str(trakt)
        if any(lst.slug == slug for lst in self.user.lists):
            slug = f"{slug}-{trakt}"
        lst = UserList(trakt, name, slug, self.now, self.now, privacy, description)
        lst.sort_by, lst.sort_how = sort_by, sort_how
        self.user.lists.append(lst)
        self._bump(("lists", "updated_at"))
        self.user.changed()
        return answer(201, list_json(self.user, lst))

    def list_items(self, key: str, body: dict[str, Any]) -> httpx.Response:
        lst = next((x for x in self.user.lists if key in (str(x.trakt), x.slug)), None)
        if lst is None:
            return not_found("List not found")
        added, existing, missing, new = self._listed(
            lst.items, body, TYPES, self.writes.limits["list_items"]
        )
        if new:
            lst.updated_at = self.now
            self._bump(("lists", "updated_at"))
        self.user.changed()
        return answer(
            201,
            {
                "added": added,
                "existing": existing,
                "not_found": missing,
                "list": {"updated_at": iso(lst.updated_at), "item_count": len(lst.items)},
            },
        )


def handle_write(
    fake: FakeTrakt, request: httpx.Request, path: str, token: Token | None
) -> httpx.Response:
    """The server's entry for every POST (under the fake's lock)."""
    return fake.writes.handle(request, path, token)
