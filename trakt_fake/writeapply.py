"""How one POST changes one user's records (the handlers of `writes.Writes`), as Trakt does.

Items are matched through the catalogue (`catalog.py`) by any of their ids; unknown ones are
echoed in `not_found` by type. History plays are appended as sent, never de-duplicated; list-like
writes (watchlist, favorites, list items) count `existing` items and change nothing about them;
a free account passing a limit raises `Limit` before anything of the request is applied.
Activity stamps move once per request (`finish`), past the clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from trakt_fake.catalog import Catalog
from trakt_fake.listpages import answer, not_found
from trakt_fake.listsort import SORT_BY  # the sort_by values a list may carry
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

PRIVACY = ("private", "link", "friends", "public")
TYPES = ("movies", "shows", "seasons", "episodes")
_KIND = {"movies": "movie", "shows": "show", "seasons": "season", "episodes": "episode"}


class Invalid(Exception):
    """A request body that breaks the contract: 422."""


class Limit(Exception):
    """A free account's limit passed: 420 with the limit in X-Account-Limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


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


class Apply:
    """One write request's changes to one user, under the fake's lock."""

    def __init__(
        self, fake: FakeTrakt, catalog: Catalog, limits: dict[str, int], user: UserData
    ) -> None:
        self.fake = fake
        self.limits = limits
        self.user = user
        self.catalog = catalog
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
            raise Limit(limit)
        first_id = max((e.id for e in entries), default=0) + 1
        first_rank = max((e.rank for e in entries), default=0) + 1
        for i, entry_new in enumerate(new):
            entry_new.id, entry_new.rank = first_id + i, first_rank + i
        entries.extend(new)
        return added, existing, not_found, new

    def watchlist(self, body: dict[str, Any]) -> httpx.Response:
        entries = self.user.watchlist
        added, existing, not_found, new = self._listed(
            entries, body, TYPES, self.limits["watchlist"]
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
        limit = self.limits["collection"]
        if self._free() and len(self.user.collection) + len(new) > limit:
            raise Limit(limit)
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
        # createListRequestSchema: optional fields, but never null.
        description = body.get("description")
        if "description" in body and not isinstance(description, str):
            raise Invalid("description must be a string")
        for flag in ("display_numbers", "allow_comments"):
            if flag in body and not isinstance(body[flag], bool):
                raise Invalid(f"{flag} must be a boolean")
        limit = self.limits["lists"]
        if self._free() and len(self.user.lists) >= limit:
            raise Limit(limit)
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
            lst.items, body, TYPES, self.limits["list_items"]
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
