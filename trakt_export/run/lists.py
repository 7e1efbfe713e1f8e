"""The `lists` command (SPEC §1): one Letterboxd list-import CSV per personal Trakt list
(`<slug>.csv`) plus `_favorites.csv`, in DIR (default `letterboxd-lists/`).

Columns `Position,Title,Year,imdbID,tmdbID,Review` (Review = the item's notes, escaped like
reviews); films only, in the list's own order (`letterboxd/listorder.py`); Position 1..n over
the films, continuing across split parts. The same path as the film exports, with no
enrichers: the run's source (API: token mode `/users/me/lists...`, public
`/users/NAME/lists...`; or the ZIP, `sources/zipsocial.py`) gives the raw lists, chosen in one
place (`session.open_source`); here they become rows and files. Should two outputs want the
same file name, the list with the larger Trakt id takes its id as a suffix
(`top-01-4242.csv`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trakt_export.config import Settings
from trakt_export.errors import UsageError
from trakt_export.letterboxd import rows as letterboxd
from trakt_export.letterboxd.listorder import ordered
from trakt_export.letterboxd.reviews import escape
from trakt_export.models import Films, Movie, matchable_film
from trakt_export.output import part_paths, write_parts
from trakt_export.run.lifecycle import lifecycle
from trakt_export.run.session import Options
from trakt_export.sources.base import RawLists, list_ids
from trakt_export.transport.metrics import Metrics

log = logging.getLogger(__name__)

HEADER = ("Position", "Title", "Year", "imdbID", "tmdbID", "Review")
FAVORITES = "_favorites"
DEFAULT_DIR = "letterboxd-lists"
IMPORT_PAGE = "a Letterboxd list's import (letterboxd.com/list/new/, then Import)"


@dataclass(slots=True)
class FilmList:
    trakt_id: int  # 0 for the favorites
    slug: str
    films: list[tuple[Movie, str | None]] = field(default_factory=list)  # the list's order, notes


def parse_items(
    raw: Sequence[Any], films: Films | None = None, entry: Any = None
) -> list[tuple[Movie, str | None]]:
    """Film items in the list's own order (`entry`'s sort_by/sort_how, see listorder.py; the
    favorites, entry None: by rank) with their notes; other media dropped."""
    sort = entry if isinstance(entry, dict) else {}
    films_only = [
        item
        for item in raw
        if isinstance(item, dict)
        and item.get("type", "movie") == "movie"
        # a null film (TRAKT-REALITY): nothing to import
        and isinstance(item.get("movie"), dict)
    ]
    seen: set[int] = set()
    out = []
    for item in ordered(films_only, sort.get("sort_by", "rank"), sort.get("sort_how", "asc")):
        film = matchable_film(item["movie"], films)
        if film is None:
            continue  # unreadable, or no title and no id: Letterboxd could not match it
        notes = item.get("notes")
        if film.trakt_id not in seen:
            seen.add(film.trakt_id)
            out.append((film, notes if isinstance(notes, str) and notes else None))
    return out


def film_lists(raw: RawLists) -> list[FilmList]:
    """The lists (and the favorites, last) as films in rank order with their notes."""
    lists, favorites = raw
    films: Films = {}  # one Movie per film across every list
    out = [
        FilmList(ids[0], ids[1], parse_items(items, films, entry))
        for entry, items in lists
        if (ids := list_ids(entry)) is not None
    ]
    out.append(FilmList(0, FAVORITES, parse_items(favorites, films)))
    return out


def _rows(films: list[tuple[Movie, str | None]]) -> list[str]:
    return [
        letterboxd._csv_line(
            [
                str(position),
                m.title,
                "" if m.year is None else str(m.year),
                m.imdb or "",
                "" if m.tmdb is None else str(m.tmdb),
                escape(notes) if notes else "",
            ]
        )
        for position, (m, notes) in enumerate(films, start=1)
    ]


def plan_names(parts: dict[int, tuple[str, int]]) -> dict[int, str]:
    """{list id: stem} from {list id: (slug, part count)}, resolving file-name collisions: of
    two lists wanting one file name, the one with the larger Trakt id takes `-<id>`."""
    stems = {trakt: slug for trakt, (slug, _) in parts.items()}
    while True:
        owner: dict[str, int] = {}
        moved = False
        for trakt in sorted(stems):
            names = [p.name for p in part_paths(Path(stems[trakt] + ".csv"), parts[trakt][1])]
            for name in names:
                other = owner.get(name)
                if other is not None and other != trakt:
                    loser = max(other, trakt)
                    stems[loser] = f"{parts[loser][0]}-{loser}"
                    moved = True
                    break
                owner[name] = trakt
            if moved:
                break
        if not moved:
            return stems


@dataclass(slots=True)
class ListsResult:
    lists: int
    rows: int
    files: list[Path]
    stats: Metrics
    elapsed: float

    def summary(self, warnings: int = 0) -> str:
        from trakt_export.run.export import shown_paths
        from trakt_export.transport.metrics import plural, summary_tail

        where = shown_paths(self.files)
        return (
            f"Exported {plural(self.lists, 'list')} ({plural(self.rows, 'row')}) to {where} "
            f"({plural(len(self.files), 'file')}) - import each through {IMPORT_PAGE}; "
            f"{summary_tail(self.stats, warnings, self.elapsed)}"
        )


def run_lists(settings: Settings, options: Options, slugs: Sequence[str] = ()) -> ListsResult:
    with lifecycle(settings, options) as run:
        found = film_lists(run.read(lambda source: source.lists()))
        if slugs:
            known = {fl.slug for fl in found}
            unknown = [s for s in slugs if s not in known]
            if unknown:
                raise UsageError(
                    f"no list with the slug {', '.join(repr(s) for s in unknown)}.",
                    f"The lists are: {', '.join(sorted(known))}.",
                )
            found = [fl for fl in found if fl.slug in set(slugs)]
        chosen: dict[int, tuple[FilmList, list[str]]] = {}
        for fl in found:
            if not fl.films:
                log.warning(f"Warning: the list {fl.slug!r} holds no films: no file written.")
                continue
            header = letterboxd._csv_line(HEADER)
            parts = letterboxd.split_parts(
                header, _rows(fl.films), settings.export.max_rows, settings.export.max_bytes
            )
            chosen[fl.trakt_id] = (fl, parts)
        stems = plan_names({t: (fl.slug, len(p)) for t, (fl, p) in chosen.items()})
        folder = (
            Path(options.output).expanduser()
            if options.output
            else Path(settings.export.output_dir).expanduser() / DEFAULT_DIR
        )
        files: list[Path] = []
        # Shorter stems first: a later `top-01` list is never removed as a stale part of `top`.
        for trakt in sorted(chosen, key=lambda t: (len(stems[t]), stems[t])):
            files += write_parts(folder / f"{stems[trakt]}.csv", chosen[trakt][1])
        rows = sum(len(fl.films) for fl, _ in chosen.values())
    return ListsResult(len(chosen), rows, sorted(files), run.metrics, run.elapsed)
