"""The fake's catalogue index for writes: every film, show, season and episode it can match.

Trakt matches a written item by its ids (trakt, slug, imdb, tmdb, tvdb) or, for an episode
given under its show, by season and episode number. The fake knows episodes only through the
records that mention them, so the index is built from the dataset's films and shows plus every
item any user's records hold; it is built once (before an account is emptied, so the emptied
account's items stay known).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from trakt_fake.records import Dataset, Episode, Film, Season, Show


@dataclass(slots=True)
class Catalog:
    films: dict[int, Film] = field(default_factory=dict)
    shows: dict[int, Show] = field(default_factory=dict)
    seasons: dict[int, Season] = field(default_factory=dict)
    episodes: dict[int, Episode] = field(default_factory=dict)
    by_number: dict[tuple[int, int, int], Episode] = field(default_factory=dict)
    _keys: dict[tuple[str, str, str], Any] = field(default_factory=dict)

    def add(self, item: object) -> None:
        if isinstance(item, Film):
            self.films.setdefault(item.trakt, item)
            self._alias("movie", item, slug=item.slug, imdb=item.imdb, tmdb=item.tmdb)
        elif isinstance(item, Show):
            self.shows.setdefault(item.trakt, item)
            self._alias(
                "show", item, slug=item.slug, imdb=item.imdb, tmdb=item.tmdb, tvdb=item.tvdb
            )
        elif isinstance(item, Season):
            self.add(item.show)
            self.seasons.setdefault(item.trakt, item)
        elif isinstance(item, Episode):
            self.add(item.show)
            self.episodes.setdefault(item.trakt, item)
            self.by_number.setdefault((item.show.trakt, item.season, item.number), item)
            self._alias("episode", item, imdb=item.imdb, tmdb=item.tmdb, tvdb=item.tvdb)

    def _alias(self, kind: str, item: object, **ids: object) -> None:
        for name, value in ids.items():
            if value is not None:
                self._keys.setdefault((kind, name, str(value)), item)

    def find(self, kind: str, ids: Any) -> Film | Show | Season | Episode | None:
        """The item a request's `ids` object names, by Trakt id first, then any other id."""
        if not isinstance(ids, Mapping):
            return None
        trakt = ids.get("trakt")
        if isinstance(trakt, int) and not isinstance(trakt, bool):
            tables: dict[str, Mapping[int, Any]] = {
                "movie": self.films,
                "show": self.shows,
                "season": self.seasons,
                "episode": self.episodes,
            }
            found = tables[kind].get(trakt)
            if found is None and kind == "season" and trakt // 100 in self.shows:
                # Seasons are derived (show id * 100 + number): any season of a known show.
                found = Season(self.shows[trakt // 100], trakt % 100)
            return found
        for name in ("slug", "imdb", "tmdb", "tvdb"):
            value = ids.get(name)
            if value is not None:
                found = self._keys.get((kind, name, str(value)))
                if found is not None:
                    return found  # type: ignore[no-any-return]
        return None

    def episode(self, show: Show, season: int, number: int) -> Episode | None:
        return self.by_number.get((show.trakt, season, number))


def build(dataset: Dataset) -> Catalog:
    catalog = Catalog()
    for film in dataset.films.values():
        catalog.add(film)
    for show in dataset.shows.values():
        catalog.add(show)
    for user in dataset.users.values():
        records: Iterable[Any] = [
            *user.history,
            *user.ratings,
            *user.collection,
            *user.watchlist,
            *user.favorites,
            *user.playback,
            *user.notes,
            *(e for lst in user.lists for e in lst.items),
        ]
        for record in records:
            catalog.add(record.item)
        for hidden in user.hidden:
            catalog.add(hidden.item)
    return catalog
