"""TraktAPI: the endpoints an export reads, complete pagination through one shared worker pool.

Token mode reads `/sync/...` (and `/sync/last_activities` + `/users/settings`, always live);
public-profile mode reads `/users/NAME/...` with the client id only. Every list endpoint is
read completely: page 1 gives `X-Pagination-Page-Count`, then pages 2..N run concurrently under
the same semaphore as every other request of the run.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

import httpx

from trakt_export.errors import (
    DataChangingError,
    MalformedDataError,
    PrivateProfileError,
    TraktExportError,
)
from trakt_export.progress import NullObserver, Observer
from trakt_export.sources.snapshot import item_keys, model_keys, signature
from trakt_export.transport.client import decode_json, error_for_status
from trakt_export.transport.extensions import HINT, deferred, from_cache
from trakt_export.transport.stage import Stage

log = logging.getLogger(__name__)

T = TypeVar("T")
PageParser = Callable[[list[Any]], list[Any]]

PAGE_LIMIT = 250  # Trakt clamps larger values silently

# Which last_activities stamps tell whether a sync endpoint may have changed.
ACTIVITY_KEYS: dict[str, tuple[str, ...]] = {
    "history": ("movies.watched_at", "episodes.watched_at"),
    "history/movies": ("movies.watched_at",),
    "history/shows": ("episodes.watched_at",),
    "history/episodes": ("episodes.watched_at",),
    "watched/movies": ("movies.watched_at",),
    "watched/shows": ("episodes.watched_at", "shows.hidden_at"),
    "ratings": (
        "movies.rated_at",
        "shows.rated_at",
        "seasons.rated_at",
        "episodes.rated_at",
    ),
    "ratings/movies": ("movies.rated_at",),
    "ratings/shows": ("shows.rated_at",),
    "ratings/seasons": ("seasons.rated_at",),
    "ratings/episodes": ("episodes.rated_at",),
    "collection/movies": ("movies.collected_at",),
    "collection/shows": ("episodes.collected_at",),
    "watchlist": ("movies.watchlisted_at", "shows.watchlisted_at", "watchlist.updated_at"),
    "watchlist/movies": ("movies.watchlisted_at", "watchlist.updated_at"),
    "watchlist/shows": ("shows.watchlisted_at", "watchlist.updated_at"),
    "comments/all/movies?include_replies=false": ("movies.commented_at",),  # reviews.py
    "lists": ("lists.updated_at",),  # also every `lists/{id}/items` (see activity_stamp)
    "favorites": ("favorites.updated_at",),
}
# Endpoints that live under /users/{id}/ in token mode too (`/users/me/...`).
USER_ENDPOINTS = frozenset({"comments", "lists", "favorites"})

# Endpoints whose pages Trakt caps below PAGE_LIMIT.
PAGE_CAPS = {"watched/shows": 100}


def activity_stamp(
    activities: Mapping[str, Any], endpoint: str, keys: tuple[str, ...] | None = None
) -> str | None:
    """The joined timestamps that change whenever `endpoint`'s data changes (None: unknown)."""
    keys = (
        keys
        if keys is not None
        else (ACTIVITY_KEYS.get(endpoint) or ACTIVITY_KEYS.get(endpoint.split("/")[0]))
    )
    if not keys:
        return None
    return "|".join(str(activity_value(activities, dotted)) for dotted in keys)


def activity_value(activities: Mapping[str, Any], dotted: str) -> Any:
    """One last_activities stamp by its dotted key (`movies.watched_at`); None when absent."""
    node: Any = activities
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


@dataclass(frozen=True, slots=True)
class Route:
    """A listing outside the usual `/sync`/`/users/NAME` scheme (registered by `backup`):
    its absolute path (query included), its last_activities keys (empty: no stamp), page cap."""

    path: str
    keys: tuple[str, ...] = ()
    cap: int = PAGE_LIMIT


@dataclass(slots=True)
class Listing:
    """All items of one endpoint, with what Trakt announced about it."""

    endpoint: str
    items: list[Any]
    announced: int | None  # X-Pagination-Item-Count, when sent
    pages: int
    served: int = 0  # distinct items Trakt served (counts are advisory, SPEC §4)
    live: bool = True  # some page came from Trakt, not from the cache
    doubled: int = 0  # items Trakt served again on a later page (its paging duplicates)


# How many times a listing whose data changed under the run is read again (SPEC §4).
REREADS = 3
CLOCK_SLACK = 300.0  # seconds of disagreement allowed between our clock and Trakt's stamps


@dataclass(slots=True)
class _Page:
    raw_len: int
    keys: list[object]
    items: list[Any]
    live: bool


class _Read:
    """One read of one listing: its pages, its cache stage, whether it touched the network."""

    def __init__(self, api: TraktAPI, endpoint: str, parse: PageParser | None, lookup: bool):
        self.api = api
        self.endpoint = endpoint
        self.parse = parse
        self.limit = api._limit(endpoint)
        path, query = api._request(endpoint)
        self.stage = Stage(f"{path}?{urlencode({**query, 'limit': self.limit})}")
        self.lookup = lookup
        self.pages: dict[int, _Page] = {}
        self.signature: tuple[object, ...] = ()
        self.announced: int | None = None
        self.page_count: int | None = None
        self.header_limit: int | None = None
        self.listing: Listing | None = None
        self.reread_first = False  # page 1 may predate the activity stamps: read it again

    @property
    def live(self) -> bool:
        return any(page.live for page in self.pages.values())

    def hint(self, probe: bool = False) -> dict[str, Any]:
        hint = self.api._hint(self.endpoint)
        hint.update(listing=self.stage.listing, stage=self.stage, lookup=self.lookup)
        if probe:
            hint["probe"] = True
        return hint

    async def page(self, number: int, probe: bool = False, advance: bool = True) -> _Page | None:
        """Page `number` (None when a probe found the listing cached: read it later)."""
        api = self.api
        path, query = api._request(self.endpoint)
        response = await api.get(
            path,
            {**query, "page": number, "limit": self.limit},
            self.hint(probe and number == 1),
        )
        if deferred(response):
            return None
        raw = decode_json(response)
        if not isinstance(raw, list):
            raise MalformedDataError(f"Trakt sent a non-list page for {self.endpoint}.")
        if number == 1:
            self.page_count = _int_header(response, "X-Pagination-Page-Count")
            self.announced = _int_header(response, "X-Pagination-Item-Count")
            self.header_limit = _int_header(response, "X-Pagination-Limit")
            self.signature = signature(raw, self.announced)
        live = not from_cache(response)
        del response
        keys = item_keys(self.endpoint, raw)
        items = self.parse(raw) if self.parse else raw
        if advance:  # not for public mode's re-check: the bar counts the listing's pages
            api._observer.advance(self.endpoint)
        result = self.pages[number] = _Page(len(raw), keys, items, live)
        return result

    async def complete(self) -> Listing:
        """Page 1 (unless already read), then the rest under the page bounds, then de-dup."""
        first = self.pages.get(1) or await self.page(1)
        assert first is not None
        self.api._observer.start(self.endpoint, self.page_count or 1)
        if self.reread_first:
            # Again, beside pages 2..N (no extra round); its headers may add pages at the end.
            reread = self.page(1)
            await gather_all([reread, self._walk(2, self._last(first))])
            first = self.pages[1]
        else:
            await self._walk(2, self._last(first))
        done = max(self.pages)
        last = self._last(first)
        if done < last and self.pages[done].raw_len > 0:
            await self._walk(done + 1, last)
        self.listing = self._assemble()
        return self.listing

    def _last(self, first: _Page) -> int:
        """The last page worth asking for: the announced page count, but never more than
        item_count / limit + 1 (an absurd page count is not walked); without headers, open."""
        limit = self.header_limit or self.limit
        if first.raw_len == 0:
            return 1
        if self.page_count is not None:
            last = self.page_count
            if self.announced is not None:
                last = min(last, self.announced // limit + 1)
            return last
        if self.announced is not None:
            return self.announced // limit + 1
        return sys.maxsize  # no headers: read until a page comes back empty

    async def _walk(self, start: int, last: int) -> None:
        """Pages start..last through a few workers, in order; none past the first empty page."""
        if start > last:
            return
        state = {"next": start, "stop": last}

        async def worker() -> None:
            while state["next"] <= state["stop"]:
                number = state["next"]
                state["next"] += 1
                page = await self.page(number)
                if page is not None and page.raw_len == 0:
                    state["stop"] = min(state["stop"], number)  # stop at the first empty page

        full = self.pages[1].raw_len >= (self.header_limit or self.limit)
        workers = self.api.concurrency if (self.page_count is not None or full) else 1
        await gather_all(worker() for _ in range(max(1, min(workers, last - start + 1))))

    def _assemble(self) -> Listing:
        """Pages in order, each item once (history by id, others by film): Trakt repeats items
        across pages when data shifts, and sometimes by itself."""
        seen: set[object] = set()
        served = doubled = 0
        for number in sorted(self.pages):
            for key in self.pages[number].keys:
                if key is None or key not in seen:
                    served += 1
                    if key is not None:
                        seen.add(key)
                else:
                    doubled += 1
        keyed = model_keys(self.endpoint) if self.parse else None
        kept: set[object] = set()
        items: list[Any] = []
        for number in sorted(self.pages):
            page = self.pages[number]
            # raw items: the page's keys already; parsed ones: their models' identity
            keys = page.keys if keyed is None else map(keyed, page.items)
            for item, key in zip(page.items, keys, strict=True):
                if key is not None:
                    if key in kept:
                        continue
                    kept.add(key)
                items.append(item)
        pages = len(self.pages)
        self.pages = {n: _Page(p.raw_len, [], [], p.live) for n, p in self.pages.items()}
        return Listing(
            self.endpoint, items, self.announced, pages, served, live=self.live, doubled=doubled
        )


class TraktAPI:
    """Reads Trakt for one account; `user=None` means token mode (`/sync`)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        user: str | None,
        concurrency: int,
        observer: Observer | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.http = http
        self.user = user
        self.clock: Callable[[], float] = clock or time.time  # wall seconds
        self.account = user or ""
        self.activities: Mapping[str, Any] = {}
        self.concurrency = max(concurrency, 1)
        self._pool = asyncio.Semaphore(self.concurrency)
        self._observer = observer or NullObserver()
        self.routes: dict[str, Route] = {}  # endpoint name -> Route, see `Route`
        # Called with the settings answer after a snapshot's first round (token mode), and
        # whether the cache holds every listing asked for: it may raise to end the read there
        # (run/results.py: a stored result the activity stamps vouch for answers the run).
        self.after_round: Callable[[Mapping[str, Any], bool], None] | None = None
        # Called once, in a worker thread, with the listings read while the consistency
        # re-check (token mode) is in flight: the caller may prepare its output meanwhile (off
        # the path after the last page). A re-read brings new Listing objects, so the caller
        # knows by identity whether what it prepared still stands.
        self.while_checking: Callable[[Mapping[str, Listing]], None] | None = None
        self.settings: Mapping[str, Any] | None = None  # the settings answer (token mode)

    @property
    def public(self) -> bool:
        return self.user is not None

    def _path(self, endpoint: str) -> str:
        if endpoint in self.routes:
            return self.routes[endpoint].path
        if self.public:
            return f"/users/{self.user}/{endpoint}"
        if endpoint.split("/")[0] in USER_ENDPOINTS:
            return f"/users/me/{endpoint}"
        return f"/sync/{endpoint}"

    async def get(
        self, path: str, params: Mapping[str, Any] | None = None, hint: dict[str, Any] | None = None
    ) -> httpx.Response:
        """One GET through the worker pool; non-2xx become domain errors."""
        async with self._pool:
            response = await self.http.get(
                path, params=params, extensions={HINT: hint} if hint else None
            )
        error = error_for_status(response)
        if error is not None:
            error.status = response.status_code
            if self.public and response.status_code == 401:
                private = PrivateProfileError(
                    f"the Trakt profile {self.user!r} is private.",
                    "Log in with `trakt-export auth login`, or make the profile public on Trakt.",
                )
                private.status = 401
                raise private from None
            raise error
        return response

    async def start(self) -> Mapping[str, Any] | None:
        """Token mode: read last_activities and settings (always live). Returns the settings."""
        if self.public:
            return None
        activities, settings = await gather_all(
            [self.get("/sync/last_activities"), self.get("/users/settings")]
        )
        return self._begin(activities, settings)

    def _begin(
        self, activities_response: httpx.Response, settings_response: httpx.Response
    ) -> Mapping[str, Any]:
        activities = decode_json(activities_response)
        settings = decode_json(settings_response)
        if not isinstance(activities, Mapping) or not isinstance(settings, Mapping):
            raise MalformedDataError("Trakt sent unexpected last_activities/settings data.")
        self.activities = activities
        self.settings = settings
        user = settings.get("user")
        ids = user.get("ids") if isinstance(user, Mapping) else None
        slug = ids.get("slug") if isinstance(ids, Mapping) else None
        name = user.get("username") if isinstance(user, Mapping) else None
        self.account = str(slug or name or "me")
        return settings

    def _hint(self, endpoint: str) -> dict[str, Any]:
        if self.public:
            return {"kind": "sync", "account": f"user:{self.user}", "activity": None}
        route = self.routes.get(endpoint)
        return {
            "kind": "sync",
            "account": self.account,
            "activity": activity_stamp(self.activities, endpoint, route.keys if route else None),
            "ttl": "validated",
        }

    def _request(self, endpoint: str) -> tuple[str, dict[str, str]]:
        """The path and fixed query of an endpoint: `comments/...?include_replies=false` keeps
        its query; a registered Route carries its own path and query."""
        name, _, query = ("", "", "") if endpoint in self.routes else endpoint.partition("?")
        path, _, route_query = self._path(name or endpoint).partition("?")
        return path, {**dict(parse_qsl(query)), **dict(parse_qsl(route_query))}

    def _limit(self, endpoint: str) -> int:
        """Page size: 250, or the endpoint's own cap (extended=progress: 100; a Route's cap)."""
        limit = min(PAGE_LIMIT, PAGE_CAPS.get(endpoint, PAGE_LIMIT))
        route = self.routes.get(endpoint)
        return min(limit, route.cap) if route else limit

    async def listing(self, endpoint: str, parse: PageParser | None = None) -> Listing:
        """Every item of a paginated endpoint, in Trakt's order, read once (no re-check). With
        `parse`, each page is turned into models as it arrives, so raw JSON never piles up."""
        read = _Read(self, endpoint, parse, lookup=True)
        try:
            listing = await read.complete()
        except BaseException:
            read.stage.drop()
            raise
        read.stage.commit(self._hint(endpoint)["account"], self._stamp(endpoint))
        self._advise(endpoint, listing)
        return listing

    def _advise(self, endpoint: str, listing: Listing) -> None:
        """Counts are advisory (SPEC §4): one warning line when Trakt served fewer items than
        it announced (hidden, adult-reclassified or removed titles stay in its count)."""
        if listing.announced is None or listing.served == listing.announced:
            return
        name = endpoint.split("?")[0]
        if endpoint in self.routes:  # a backup Route: name it like the other endpoints
            name = self.routes[endpoint].path.split("?")[0].removeprefix("/sync/")
            name = name.removeprefix("/users/me/").removeprefix(f"/users/{self.user}/")
        missing = listing.announced - listing.served
        twice = min(listing.doubled, max(missing, 0))  # each took the place of an item
        if twice:  # Trakt's own paging duplicate (TRAKT-REALITY), not a hidden title
            hidden = missing - twice
            also = f"; {hidden} hidden or removed" if hidden > 0 else ""
            log.warning(
                "Trakt announced %d items for %s but served %d: %d served twice across pages "
                "in place of another item%s; exported %d.",
                listing.announced,
                name,
                listing.served,
                twice,
                also,
                listing.served,
            )
            return
        log.warning(
            "Trakt announced %d items for %s but served %d (hidden or removed titles); "
            "exported %d.",
            listing.announced,
            name,
            listing.served,
            listing.served,
        )

    def _stamp(self, endpoint: str) -> str | None:
        if self.public:
            return None
        route = self.routes.get(endpoint)
        return activity_stamp(self.activities, endpoint, route.keys if route else None)

    async def snapshot(
        self, endpoints: tuple[str, ...], parsers: Mapping[str, PageParser] | None = None
    ) -> tuple[Mapping[str, Any] | None, dict[str, Listing]]:
        """The settings (token mode) and a consistent snapshot of every listing. Page 1 of a
        listing the cache holds nothing for goes out in the same round as last_activities."""
        parsers = parsers or {}
        reads = {e: _Read(self, e, parsers.get(e), lookup=True) for e in endpoints}
        settings: Mapping[str, Any] | None = None
        try:
            if not self.public:
                # last_activities goes first: the pool starts requests in order.
                first: list[Coroutine[Any, Any, object]] = [
                    self.get("/sync/last_activities"),
                    self.get("/users/settings"),
                    *(reads[e].page(1, probe=True) for e in endpoints),
                ]
                sent = self.clock()
                activities, account, *_ = await gather_all(first)
                assert isinstance(activities, httpx.Response)
                assert isinstance(account, httpx.Response)
                settings = self._begin(activities, account)
                answered = self.clock()
                if self.after_round is not None:
                    cached = all(1 not in reads[e].pages for e in endpoints)
                    self.after_round(settings, cached)
                for e in endpoints:
                    if 1 not in reads[e].pages:  # cached: look it up with the known stamp
                        reads[e] = _Read(self, e, parsers.get(e), lookup=True)
                    elif self._changed_around(e, sent, answered):
                        reads[e].reread_first = True
            return settings, await self._consistent(reads, parsers)
        except BaseException:
            for read in reads.values():
                read.stage.drop()
            raise

    def _changed_around(self, endpoint: str, sent: float, answered: float) -> bool:
        """Whether `endpoint`'s data changed about when the first round was in flight: page 1
        went out beside last_activities, so a change between the two would go unseen by the
        re-check. Stamps within CLOCK_SLACK of the round (either way: clocks differ) say so."""
        for dotted in ACTIVITY_KEYS.get(endpoint, ()):
            try:
                stamp = datetime.fromisoformat(str(activity_value(self.activities, dotted)))
            except ValueError:
                continue
            moment = stamp.timestamp()
            if sent - CLOCK_SLACK <= moment <= answered + CLOCK_SLACK:
                return True
        return False

    async def listings(
        self, *endpoints: str, parsers: Mapping[str, PageParser] | None = None
    ) -> dict[str, Listing]:
        """Several endpoints at once, as one consistent snapshot (after `start()`)."""
        parsers = parsers or {}
        reads = {e: _Read(self, e, parsers.get(e), lookup=True) for e in endpoints}
        try:
            return await self._consistent(reads, parsers)
        except BaseException:
            for read in reads.values():
                read.stage.drop()
            raise

    async def _consistent(
        self, reads: dict[str, _Read], parsers: Mapping[str, PageParser]
    ) -> dict[str, Listing]:
        """Complete every read, re-check that nothing changed, re-read what did (SPEC §4)."""
        await gather_all(read.complete() for read in reads.values())
        # Page 1 is read at most 1 + REREADS times (SPEC §4): a page 1 read twice in the first
        # round (`reread_first`) spends one re-read; public mode's re-check reads page 1 itself,
        # and that read starts the re-read (`heads`), so one re-read less is verifiable.
        limit = REREADS - any(read.reread_first for read in reads.values()) - self.public
        heads: dict[str, _Read] = {}

        async def changed() -> list[str]:
            if not any(read.live for read in reads.values()):
                return []  # all from the cache: committed together, consistent by construction
            prepare, self.while_checking = self.while_checking, None
            if prepare is None or self.public:
                return await self._changed(reads, parsers, heads)
            listings = {e: read.listing for e, read in reads.items() if read.listing is not None}

            async def prepared() -> list[str]:
                await asyncio.to_thread(prepare, listings)
                return []

            # The re-check's request goes out first (tasks start in order), then the caller's
            # CPU work runs in a thread while it is in flight.
            moved, _ = await gather_all([self._changed(reads, parsers, heads), prepared()])
            return moved

        async def reread(endpoints: list[str]) -> None:
            for endpoint in endpoints:
                reads[endpoint].stage.drop()
                head = heads.pop(endpoint, None)
                reads[endpoint] = head or _Read(self, endpoint, parsers.get(endpoint), lookup=False)
            await gather_all(reads[e].complete() for e in endpoints)

        try:
            await recheck(changed, reread, "read", limit)
        except DataChangingError:
            for unused in heads.values():
                unused.stage.drop()
            raise
        out: dict[str, Listing] = {}
        account = self._hint("").get("account", "")
        for endpoint, read in reads.items():
            listing = read.listing
            assert listing is not None
            read.stage.commit(str(account), self._stamp(endpoint))
            self._advise(endpoint, listing)
            out[endpoint] = listing
        return out

    async def _changed(
        self, reads: dict[str, _Read], parsers: Mapping[str, PageParser], heads: dict[str, _Read]
    ) -> list[str]:
        """Listings whose data moved since they were read: token mode by last_activities (live),
        public mode by page 1 of each listing read from the network (first item, count); that
        page 1 starts the listing's re-read, kept in `heads` when it moved (else dropped)."""
        if not self.public:
            fresh = decode_json(await self.get("/sync/last_activities"))
            if not isinstance(fresh, Mapping):
                raise MalformedDataError("Trakt sent unexpected last_activities data.")
            before = {e: self._stamp(e) for e in reads}
            self.activities = fresh
            return [e for e in reads if self._stamp(e) != before[e]]
        live = [e for e, read in reads.items() if read.live]
        again = {e: _Read(self, e, parsers.get(e), lookup=False) for e in live}
        await gather_all(again[e].page(1, advance=False) for e in live)
        moved = [e for e in live if again[e].signature != reads[e].signature]
        for e in live:
            if e in moved:
                heads[e] = again[e]
            else:
                again[e].stage.drop()
        return moved

    async def directors(self, films: list[int]) -> dict[int, str]:
        """Director names per film from `/movies/{id}/people` (cached as kind `people`)."""
        hint = {"kind": "people", "account": "", "activity": None}

        async def one(film: int) -> str:
            response = await self.get(f"/movies/{film}/people", None, hint)
            self._observer.advance("people")  # per-film progress (SPEC §1)
            return director_names(decode_json(response))

        if films:
            self._observer.start("people", len(films))
        names = await gather_all(one(film) for film in films)
        return dict(zip(films, names, strict=True))


async def recheck(
    changed: Callable[[], Awaitable[list[str]]],
    reread: Callable[[list[str]], Awaitable[None]],
    doing: str,
    limit: int = REREADS,
) -> None:
    """The consistency re-check of SPEC §4, shared by the exports and the backup: ask what
    moved since it was read (`changed`, named), read that again (`reread`), at most `limit`
    times; still moving after that is DataChangingError (nothing is written)."""
    limit = max(limit, 0)
    for attempt in range(limit + 1):
        moved = await changed()
        if not moved:
            return
        if attempt >= limit:
            raise DataChangingError(
                f"your Trakt data kept changing while it was {doing} ({', '.join(moved)}); "
                "nothing was written.",
                "Try again in a moment.",
            )
        log.debug("data changed under the run: reading %s again", ", ".join(moved))
        await reread(moved)


async def gather_all(coroutines: Iterable[Coroutine[Any, Any, T]]) -> list[T]:
    """Run coroutines concurrently, results in order; the first failure cancels the rest and
    is raised alone (a domain error preferred over the cancellations it caused)."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(c) for c in coroutines]
    except BaseExceptionGroup as group_error:
        raise _first_leaf(group_error) from None
    return [t.result() for t in tasks]


def _first_leaf(group_error: BaseExceptionGroup[BaseException]) -> BaseException:
    leaves: list[BaseException] = []

    def walk(error: BaseException) -> None:
        if isinstance(error, BaseExceptionGroup):
            for inner in error.exceptions:
                walk(inner)
        else:
            leaves.append(error)

    walk(group_error)
    for leaf in leaves:
        if isinstance(leaf, TraktExportError):
            return leaf
    return leaves[0]


def director_names(people: Any) -> str:
    """ "A, B" from a people response: crew in the directing department with job Director."""
    crew = people.get("crew") if isinstance(people, Mapping) else None
    directing = crew.get("directing") if isinstance(crew, Mapping) else None
    names: list[str] = []
    for member in directing if isinstance(directing, list) else []:
        if not isinstance(member, Mapping):
            continue
        jobs = member.get("jobs") or ([member["job"]] if "job" in member else [])
        person = member.get("person")
        name = person.get("name") if isinstance(person, Mapping) else None
        if "Director" in jobs and isinstance(name, str) and name and name not in names:
            names.append(name)
    return ", ".join(names)


def _int_header(response: httpx.Response, name: str) -> int | None:
    value = response.headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
