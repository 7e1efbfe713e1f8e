"""Where film data comes from: the `Source` protocol and its two implementations.

`ApiSource` reads Trakt (token mode or a public profile, both through `TraktAPI`); `ZipSource`
reads Trakt's own data-export ZIP and makes no network request. Both return `FilmData`;
`run.session.open_source` is the one place that picks between them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from trakt_export.models import (
    FilmData,
    Films,
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


class Source(Protocol):
    """The reads an export needs, from whichever source."""

    @property
    def offline(self) -> bool:
        """True when the source cannot make requests (no directors, no account settings)."""

    async def films(self, needs: Collection[Endpoint]) -> FilmData:
        """The needed listings, parsed (films only), and the account timezone when known."""

    async def directors(self, films: list[int]) -> dict[int, str]:
        """Director names per Trakt film id ("A, B"); empty where none are known."""

    async def comments(self) -> list[Any]:
        """The user's own top-level film comments (models.FilmComment), every page."""


class ApiSource:
    """Trakt's API, in token mode (`/sync`) or public-profile mode (`/users/NAME`)."""

    offline = False

    def __init__(self, api: TraktAPI) -> None:
        self.api = api

    async def films(self, needs: Collection[Endpoint]) -> FilmData:
        films: Films = {}  # one Movie per film across every page and endpoint
        skipped = Skipped()  # incomplete items (SPEC §5), one warning line for the run
        parsers: dict[str, PageParser] = {
            e: functools.partial(PARSERS[e], films=films, skipped=skipped) for e in needs
        }
        account, listings = await self.api.snapshot(tuple(needs), parsers)
        data = FilmData(account_timezone=account_timezone(account), account=self.api.account)
        for name, listing in listings.items():
            setattr(data, name.split("/")[0], listing.items)
        warn_skipped(skipped)
        return data

    async def directors(self, films: list[int]) -> dict[int, str]:
        return await self.api.directors(films)

    async def comments(self) -> list[Any]:
        from trakt_export.models import parse_comments

        return (await self.api.listing(COMMENTS_ENDPOINT, parse_comments)).items


class ZipSource:
    """Trakt's data-export ZIP (`--from-zip`): the files `needs` asks for, no network at all."""

    offline = True

    def __init__(self, path: Path) -> None:
        self.path = path

    async def films(self, needs: Collection[Endpoint]) -> FilmData:
        from trakt_export.sources.ziparchive import read_zip

        skipped = Skipped()
        data = read_zip(self.path, needs, skipped)
        warn_skipped(skipped)
        return data

    async def directors(self, films: list[int]) -> dict[int, str]:
        return {}

    async def comments(self) -> list[Any]:
        from trakt_export.sources.zipsocial import read_comments

        return read_comments(self.path)


def warn_skipped(skipped: Skipped) -> None:
    """The one warning line counting the incomplete items skipped (none stops the export)."""
    line = skipped.warning()
    if line:
        log.warning("%s", line)
