"""Where the data of an export comes from: the `Source` protocol and its two implementations.

`ApiSource` reads Trakt (token mode or a public profile, both through `TraktAPI`); `ZipSource`
reads Trakt's own data-export ZIP and makes no network request. For the film exports both take
a `models.Need` and return one complete, frozen `FilmData`; for `lists` both return the raw
lists. `run.session.open_source` is the one place that picks between them; what a source cannot
give (the ZIP has no people) is its own answer, said once here, never a caller's branch.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from trakt_export.models import (
    FilmData,
    Films,
    Need,
    Skipped,
    parse_history,
    parse_ratings,
    parse_watched,
    parse_watchlist,
)
from trakt_export.models import account_timezone as account_timezone  # re-exported

if TYPE_CHECKING:
    from trakt_export.sources.api import PageParser, TraktAPI

log = logging.getLogger(__name__)

# What an export can ask a source for (endpoints relative to /sync or /users/NAME).
Endpoint = Literal["history/movies", "watched/movies", "ratings/movies", "watchlist/movies"]

# Each page becomes models as it arrives (films only), so raw JSON never piles up.
PARSERS: dict[str, Callable[..., list[Any]]] = {
    "history/movies": parse_history,
    "watched/movies": parse_watched,
    "ratings/movies": parse_ratings,
    "watchlist/movies": parse_watchlist,
}


# The endpoint (relative to /users/{me|NAME}/) of the user's own film comments, replies excluded.
COMMENTS_ENDPOINT = "comments/all/movies?include_replies=false"

NO_PEOPLE_OFFLINE = (
    "Warning: Trakt's export ZIP holds no directors: the Directors column stays empty "
    "(--directors needs the Trakt API)."
)

# The personal lists, raw: [(the list's JSON, its items)], and the favorites' items.
RawLists = tuple[list[tuple[dict[str, Any], list[Any]]], list[Any]]


class Source(Protocol):
    """The reads an export needs, from whichever source."""

    async def film_data(self, need: Need) -> FilmData:
        """Everything `need` asks for, parsed (films only), in one frozen FilmData: listings,
        account timezone when known, comments and directors when asked (a source without
        people answers no names, and says so once)."""

    async def lists(self) -> RawLists:
        """The personal lists (those with a Trakt id and a slug) and the favorites, raw."""


def list_ids(entry: Any) -> tuple[int, str] | None:
    """(Trakt id, slug) of a list's JSON, or None when either is missing."""
    ids = entry.get("ids") if isinstance(entry, dict) else None
    if not isinstance(ids, dict):
        return None
    trakt, slug = ids.get("trakt"), ids.get("slug")
    if not isinstance(trakt, int) or not isinstance(slug, str) or not slug:
        return None
    return trakt, slug


class ApiSource:
    """Trakt's API, in token mode (`/sync`) or public-profile mode (`/users/NAME`)."""

    def __init__(self, api: TraktAPI) -> None:
        self.api = api

    async def film_data(self, need: Need) -> FilmData:
        from trakt_export.models import parse_comments

        films: Films = {}  # one Movie per film across every page and endpoint
        skipped = Skipped()  # incomplete items (SPEC §5), one warning line for the run
        parsers: dict[str, PageParser] = {
            e: functools.partial(PARSERS[e], films=films, skipped=skipped) for e in need.listings
        }
        account, listings = await self.api.snapshot(need.listings, parsers)
        warn_skipped(skipped)
        comments = None
        if need.comments:
            comments = (await self.api.listing(COMMENTS_ENDPOINT, parse_comments)).items
        # `history/movies` -> FilmData.history, and so on
        items: dict[str, Any] = {e.split("/")[0]: listing.items for e, listing in listings.items()}
        data = FilmData(
            **items,
            account_timezone=account_timezone(account),
            account=self.api.account,
            comments=comments,
        )
        if need.people is None:
            return data
        directors = await self.api.directors(sorted(set(need.people(data))))
        return dataclasses.replace(data, directors=directors)

    async def lists(self) -> RawLists:
        await self.api.start()
        listing = await self.api.listing("lists")
        wanted = [(entry, ids) for entry in listing.items if (ids := list_ids(entry)) is not None]
        endpoints = [f"lists/{trakt}/items" for _, (trakt, _) in wanted]
        results = await self.api.listings(*endpoints, "favorites")
        return (
            [(entry, results[f"lists/{trakt}/items"].items) for entry, (trakt, _) in wanted],
            results["favorites"].items,
        )


class ZipSource:
    """Trakt's data-export ZIP (`--from-zip`): the files `need` asks for, no network at all."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def film_data(self, need: Need) -> FilmData:
        from trakt_export.sources.ziparchive import read_zip
        from trakt_export.sources.zipsocial import read_comments

        skipped = Skipped()
        data = read_zip(self.path, need.listings, skipped)
        warn_skipped(skipped)
        if need.comments:
            data = dataclasses.replace(data, comments=read_comments(self.path))
        if need.people is not None:  # the ZIP's answer: no names known (SPEC §5: column kept)
            log.warning("%s", NO_PEOPLE_OFFLINE)
            data = dataclasses.replace(data, directors={})
        return data

    async def lists(self) -> RawLists:
        from trakt_export.sources.zipsocial import read_lists

        lists, favorites = read_lists(self.path)
        return [(e, items) for e, items in lists if list_ids(e) is not None], favorites


def warn_skipped(skipped: Skipped) -> None:
    """The one warning line counting the incomplete items skipped (none stops the export)."""
    line = skipped.warning()
    if line:
        log.warning("%s", line)
