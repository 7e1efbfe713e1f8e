"""TraktAPI: the endpoints an export reads, complete pagination through one shared worker pool.

Token mode reads `/sync/...` (and `/sync/last_activities` + `/users/settings`, always live);
public-profile mode reads `/users/NAME/...` with the client id only. Every list endpoint is
read completely: page 1 gives `X-Pagination-Page-Count`, then pages 2..N run concurrently under
the same semaphore as every other request of the run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from trakt_export.client import decode_json, error_for_status
from trakt_export.errors import (
    IncompleteDataError,
    MalformedDataError,
    PrivateProfileError,
    TraktExportError,
)
from trakt_export.progress import NullObserver, Observer

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
}

# Endpoints whose pages Trakt caps below PAGE_LIMIT.
PAGE_CAPS = {"watched/shows": 100}


def activity_stamp(activities: Mapping[str, Any], endpoint: str) -> str | None:
    """The joined timestamps that change whenever `endpoint`'s data changes (None: unknown)."""
    keys = ACTIVITY_KEYS.get(endpoint)
    if not keys:
        return None
    values = []
    for dotted in keys:
        node: Any = activities
        for part in dotted.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        values.append(str(node))
    return "|".join(values)


@dataclass(slots=True)
class Listing:
    """All items of one endpoint, with what Trakt announced about it."""

    endpoint: str
    items: list[Any]
    announced: int | None  # X-Pagination-Item-Count, when sent
    pages: int


class TraktAPI:
    """Reads Trakt for one account; `user=None` means token mode (`/sync`)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        user: str | None,
        concurrency: int,
        observer: Observer | None = None,
    ) -> None:
        self.http = http
        self.user = user
        self.account = user or ""
        self.activities: Mapping[str, Any] = {}
        self._pool = asyncio.Semaphore(max(concurrency, 1))
        self._observer = observer or NullObserver()

    @property
    def public(self) -> bool:
        return self.user is not None

    def _path(self, endpoint: str) -> str:
        return f"/users/{self.user}/{endpoint}" if self.public else f"/sync/{endpoint}"

    async def get(
        self, path: str, params: Mapping[str, Any] | None = None, hint: dict[str, Any] | None = None
    ) -> httpx.Response:
        """One GET through the worker pool; non-2xx become domain errors."""
        async with self._pool:
            response = await self.http.get(
                path, params=params, extensions={"trakt_export": hint} if hint else None
            )
        error = error_for_status(response)
        if error is not None:
            if self.public and response.status_code == 401:
                raise PrivateProfileError(
                    f"the Trakt profile {self.user!r} is private.",
                    "Log in with `trakt-export auth login`, or make the profile public on Trakt.",
                ) from None
            raise error
        return response

    async def start(self) -> Mapping[str, Any] | None:
        """Token mode: read last_activities and settings (always live). Returns the settings."""
        if self.public:
            return None
        activities_response, settings_response = await asyncio.gather(
            self.get("/sync/last_activities"), self.get("/users/settings")
        )
        activities = decode_json(activities_response)
        settings = decode_json(settings_response)
        if not isinstance(activities, Mapping) or not isinstance(settings, Mapping):
            raise MalformedDataError("Trakt sent unexpected last_activities/settings data.")
        self.activities = activities
        user = settings.get("user")
        ids = user.get("ids") if isinstance(user, Mapping) else None
        slug = ids.get("slug") if isinstance(ids, Mapping) else None
        name = user.get("username") if isinstance(user, Mapping) else None
        self.account = str(slug or name or "me")
        return settings

    def _hint(self, endpoint: str) -> dict[str, Any]:
        if self.public:
            return {"kind": "sync", "account": f"user:{self.user}", "activity": None}
        return {
            "kind": "sync",
            "account": self.account,
            "activity": activity_stamp(self.activities, endpoint),
        }

    async def _page(self, endpoint: str, page: int, limit: int) -> tuple[list[Any], httpx.Response]:
        response = await self.get(
            self._path(endpoint), {"page": page, "limit": limit}, self._hint(endpoint)
        )
        data = decode_json(response)
        if not isinstance(data, list):
            raise MalformedDataError(f"Trakt sent a non-list page for {endpoint}.")
        return data, response

    async def listing(self, endpoint: str, parse: PageParser | None = None) -> Listing:
        """Every item of a paginated endpoint, in Trakt's order. With `parse`, each page is
        turned into models as it arrives, so raw JSON never piles up (SPEC §7 memory target);
        the announced count is checked against the raw items served."""
        limit = min(PAGE_LIMIT, PAGE_CAPS.get(endpoint, PAGE_LIMIT))
        served = 0

        async def fetch(page: int) -> tuple[list[Any], httpx.Response]:
            nonlocal served
            raw, response = await self._page(endpoint, page, limit)
            served += len(raw)
            self._observer.advance(endpoint)
            return (parse(raw) if parse else raw), response

        first, response = await fetch(1)
        page_count = _int_header(response, "X-Pagination-Page-Count") or 1
        announced = _int_header(response, "X-Pagination-Item-Count")
        self._observer.start(endpoint, page_count)
        del response

        async def rest(page: int) -> list[Any]:
            return (await fetch(page))[0]

        pages = [first, *await gather_all(rest(p) for p in range(2, page_count + 1))]
        items = [item for page in pages for item in page]
        if announced is not None and served != announced:
            raise IncompleteDataError(
                f"Trakt announced {announced} items for {endpoint} but served {served}.",
                "Nothing was written; try again later.",
            )
        return Listing(endpoint, items, announced, page_count)

    async def directors(self, films: list[int]) -> dict[int, str]:
        """Director names per film from `/movies/{id}/people` (cached as kind `people`)."""
        hint = {"kind": "people", "account": "", "activity": None}

        async def one(film: int) -> str:
            response = await self.get(f"/movies/{film}/people", None, hint)
            self._observer.advance("people")
            return director_names(decode_json(response))

        self._observer.start("people", len(films))  # the per-film bar (SPEC §1)
        names = await gather_all(one(film) for film in films)
        return dict(zip(films, names, strict=True))

    async def listings(
        self, *endpoints: str, parsers: Mapping[str, PageParser] | None = None
    ) -> dict[str, Listing]:
        """Several endpoints at once: every page-1 first, then all remaining pages."""
        parsers = parsers or {}
        results = await gather_all(self.listing(e, parsers.get(e)) for e in endpoints)
        return dict(zip(endpoints, results, strict=True))


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
