"""The `lists` command (SPEC §1): one Letterboxd list-import CSV per personal Trakt list
(`<slug>.csv`) plus `_favorites.csv`, in DIR (default `letterboxd-lists/`).

Columns `Position,Title,Year,imdbID,tmdbID,Review` (Review = the item's notes, escaped like
reviews); films only, in the list's rank order; Position 1..n over the films, continuing across
split parts. From the API (token mode: `/users/me/lists...`; public: `/users/NAME/lists...`) or
the ZIP (zipsocial.py). Should two outputs want the same file name, the list with the larger
Trakt id takes its id as a suffix (`top-01-4242.csv`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trakt_export.config import Settings
from trakt_export.errors import UsageError
from trakt_export.letterboxd import rows as letterboxd
from trakt_export.letterboxd.reviews import escape
from trakt_export.models import Films, Movie, _opt_int, matchable_film
from trakt_export.output import part_paths, write_parts
from trakt_export.progress import RunStats
from trakt_export.run.session import Options, connect, locked

log = logging.getLogger(__name__)

HEADER = ("Position", "Title", "Year", "imdbID", "tmdbID", "Review")
FAVORITES = "_favorites"
DEFAULT_DIR = "letterboxd-lists"
IMPORT_PAGE = "a Letterboxd list's import (letterboxd.com/list/new/, then Import)"


@dataclass(slots=True)
class FilmList:
    trakt_id: int  # 0 for the favorites
    slug: str
    films: list[tuple[Movie, str | None]] = field(default_factory=list)  # rank order, notes


def parse_items(raw: Sequence[Any], films: Films | None = None) -> list[tuple[Movie, str | None]]:
    """Film items in rank order (ties by item id) with their notes; other media dropped."""
    keyed: list[tuple[int, int, int, Movie, str | None]] = []
    for position, item in enumerate(raw):
        if not isinstance(item, dict) or item.get("type", "movie") != "movie":
            continue
        movie = item.get("movie")
        if not isinstance(movie, dict):
            continue  # a null film (TRAKT-REALITY): nothing to import
        film = matchable_film(movie, films)
        if film is None:
            continue  # unreadable, or no title and no id: Letterboxd could not match it
        notes = item.get("notes")
        rank = _opt_int(item.get("rank")) or position + 1
        keyed.append((rank, _opt_int(item.get("id")) or 0, position, film, notes or None))
    keyed.sort(key=lambda k: k[:3])
    seen: set[int] = set()
    out = []
    for *_, film, notes in keyed:
        if film.trakt_id not in seen:
            seen.add(film.trakt_id)
            out.append((film, notes if isinstance(notes, str) else None))
    return out


def _list_ids(entry: Any) -> tuple[int, str] | None:
    ids = entry.get("ids") if isinstance(entry, dict) else None
    if not isinstance(ids, dict):
        return None
    trakt, slug = ids.get("trakt"), ids.get("slug")
    if not isinstance(trakt, int) or not isinstance(slug, str) or not slug:
        return None
    return trakt, slug


async def _from_api(settings: Settings, options: Options, stats: RunStats) -> list[FilmList]:
    async with connect(settings, options, stats) as api:
        await api.start()
        listing = await api.listing("lists")
        wanted = [ids for entry in listing.items if (ids := _list_ids(entry)) is not None]
        films: Films = {}
        endpoints = [f"lists/{trakt}/items" for trakt, _ in wanted]
        results = await api.listings(*endpoints, "favorites")
        out = [
            FilmList(trakt, slug, parse_items(results[f"lists/{trakt}/items"].items, films))
            for trakt, slug in wanted
        ]
        out.append(FilmList(0, FAVORITES, parse_items(results["favorites"].items, films)))
        return out


def _from_zip(path: Path) -> list[FilmList]:
    from trakt_export.sources.zipsocial import read_lists

    lists, favorites = read_lists(path)
    films: Films = {}
    out = [
        FilmList(ids[0], ids[1], parse_items(items, films))
        for entry, items in lists
        if (ids := _list_ids(entry)) is not None
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
    stats: RunStats
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
    started = time.perf_counter()
    stats = RunStats()
    with locked(settings):
        if options.zip_path is not None:
            found = _from_zip(options.zip_path)
        else:
            found = asyncio.run(_from_api(settings, options, stats))
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
    return ListsResult(len(chosen), rows, sorted(files), stats, time.perf_counter() - started)
