"""Where film data comes from: the `Source` protocol and its two implementations.

`ApiSource` reads Trakt (token mode or a public profile, both through `TraktAPI`); `ZipSource`
reads Trakt's own data-export ZIP and makes no network request. Both return `FilmData`;
`session.open_source` is the one place that picks between them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from trakt_export.models import (
    FilmData,
    Films,
    parse_history,
    parse_ratings,
    parse_watched,
    parse_watchlist,
)

if TYPE_CHECKING:
    from trakt_export.trakt import PageParser, TraktAPI

# What an export can ask a source for (endpoints relative to /sync or /users/NAME).
Endpoint = Literal["history/movies", "watched/movies", "ratings/movies", "watchlist/movies"]

# Each page becomes models as it arrives (films only), so raw JSON never piles up.
PARSERS: dict[str, Callable[..., list[Any]]] = {
    "history/movies": parse_history,
    "watched/movies": parse_watched,
    "ratings/movies": parse_ratings,
    "watchlist/movies": parse_watchlist,
}


class Source(Protocol):
    """The reads an export needs, from whichever source."""

    @property
    def offline(self) -> bool:
        """True when the source cannot make requests (no directors, no account settings)."""

    async def films(self, needs: Collection[Endpoint]) -> FilmData:
        """The needed listings, parsed (films only), and the account timezone when known."""

    async def directors(self, films: list[int]) -> dict[int, str]:
        """Director names per Trakt film id ("A, B"); empty where none are known."""


class ApiSource:
    """Trakt's API, in token mode (`/sync`) or public-profile mode (`/users/NAME`)."""

    offline = False

    def __init__(self, api: TraktAPI) -> None:
        self.api = api

    async def films(self, needs: Collection[Endpoint]) -> FilmData:
        films: Films = {}  # one Movie per film across every page and endpoint
        parsers: dict[str, PageParser] = {
            e: functools.partial(PARSERS[e], films=films) for e in needs
        }
        account, listings = await self.api.snapshot(tuple(needs), parsers)
        data = FilmData(account_timezone=account_timezone(account))
        for name, listing in listings.items():
            setattr(data, name.split("/")[0], listing.items)
        return data

    async def directors(self, films: list[int]) -> dict[int, str]:
        return await self.api.directors(films)


class ZipSource:
    """Trakt's data-export ZIP (`--from-zip`): every file read at once, no network at all."""

    offline = True

    def __init__(self, path: Path) -> None:
        self.path = path

    async def films(self, needs: Collection[Endpoint]) -> FilmData:
        from trakt_export.zipsource import read_zip

        return read_zip(self.path)

    async def directors(self, films: list[int]) -> dict[int, str]:
        return {}


def account_timezone(settings: Mapping[str, Any] | None) -> str | None:
    """`account.timezone` of a `/users/settings` payload (or the ZIP's user-settings.json)."""
    account = settings.get("account") if settings else None
    zone = account.get("timezone") if isinstance(account, Mapping) else None
    return zone if isinstance(zone, str) and zone else None
