"""Offline source: Trakt's own data-export ZIP (`--from-zip`), read with no network at all."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from trakt_export.models import HistoryEvent, MovieRating, WatchedMovie, WatchlistMovie


@dataclass(slots=True)
class ZipData:
    """The film data of one Trakt export ZIP."""

    history: list[HistoryEvent] = field(default_factory=list)
    watched: list[WatchedMovie] = field(default_factory=list)
    ratings: list[MovieRating] = field(default_factory=list)
    watchlist: list[WatchlistMovie] = field(default_factory=list)
    username: str | None = None


def read_zip(path: Path) -> ZipData:
    """Read the films of a Trakt data-export ZIP (root or `<username>/` layout)."""
    raise NotImplementedError(f"reading {path} is being written")
