"""Comments and lists from Trakt's data-export ZIP (`--from-zip`): `comments-movies*.json`,
`lists-lists.json`, `lists-list-<id>-<slug>*.json` and `lists-favorites*.json`.

Members are found in every layout the export has used: at the root or under one `<username>/`
folder, flat or in numbered pages (`-1.json`, `-2.json`, ...), or in category folders
(`lists/lists.json`, `lists/list-4001-top.json`, `comments/comments-movies.json`); names in any
case, `__MACOSX/` ignored: the finding and loading are `sources/ziparchive.py`'s (`find_members`,
`load_list`). A list's file is recognised by the id and slug `lists-lists.json` names.
"""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path
from typing import Any

from trakt_export.errors import InputError
from trakt_export.sources.ziparchive import (
    DOWNLOAD_HINT,
    find_members,
    load_list,
    members,
    open_zip,
)

log = logging.getLogger(__name__)


def _load(path: Path, archive: zipfile.ZipFile, found: list[str]) -> list[Any]:
    """The items of every member of one kind, in page order."""
    return [item for member in found for item in load_list(path, archive, member)]


def read_comments(path: Path) -> list[Any]:
    """The user's top-level film comments (models.FilmComment); a warning when none are there."""
    from trakt_export.models import parse_comments

    with open_zip(path) as archive:
        found = find_members(members(archive), "comments-movies")
        if not found:
            log.warning(f"Warning: {path} holds no comments-movies.json: no reviews to add.")
            return []
        return parse_comments(_load(path, archive, found))


def read_lists(path: Path) -> tuple[list[tuple[dict[str, Any], list[Any]]], list[Any]]:
    """([(list JSON, its items)], favorites items) of the ZIP."""
    with open_zip(path) as archive:
        names = members(archive)
        found = find_members(names, "lists-lists")
        if not found:
            raise InputError(f"{path} holds no lists-lists.json (the Trakt lists).", DOWNLOAD_HINT)
        lists: list[tuple[dict[str, Any], list[Any]]] = []
        for entry in _load(path, archive, found):
            ids = entry.get("ids") if isinstance(entry, dict) else None
            if not isinstance(ids, dict):
                continue
            trakt, slug = ids.get("trakt"), ids.get("slug")
            items = find_members(names, f"lists-list-{trakt}-{slug}")
            if not items:
                log.warning(f"Warning: {path} holds no items file for the list {slug!r}.")
            lists.append((entry, _load(path, archive, items)))
        return lists, _load(path, archive, find_members(names, "lists-favorites"))
