"""Comments and lists from Trakt's data-export ZIP (`--from-zip`): `comments-movies*.json`,
`lists-lists.json`, `lists-list-<id>-<slug>*.json` and `lists-favorites*.json`.

Members are found in every layout the export has used: at the root or under one `<username>/`
folder, flat or in numbered pages (`-1.json`, `-2.json`, ...), or in category folders
(`lists/lists.json`, `lists/list-4001-top.json`, `comments/comments-movies.json`); names in any
case, `__MACOSX/` ignored. A list's file is recognised by the id and slug `lists-lists.json` names.
"""

from __future__ import annotations

import json
import logging
import re
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Any

from trakt_export.errors import InputError
from trakt_export.zipsource import open_zip

log = logging.getLogger(__name__)

HINT = "Download it from trakt.tv Settings > Data > Export, then pass that ZIP."
_CATEGORIES = ("lists", "comments", "watched", "ratings", "collection")
_PAGE = re.compile(r"^(.*)-(\d+)$")


def _stems(names: list[str]) -> dict[str, str]:
    """{normalised stem (lower case, category-prefixed, page suffix kept): member name}."""
    stems: dict[str, str] = {}
    for name in names:
        pure = PurePosixPath(name)
        if name.endswith("/") or not pure.parts or pure.parts[0] == "__MACOSX":
            continue
        if not pure.name.lower().endswith(".json"):
            continue
        stem = pure.name[:-5].lower()
        parent = pure.parent.name.lower()
        if parent in _CATEGORIES and not stem.startswith(parent + "-"):
            stem = f"{parent}-{stem}"
        stems.setdefault(stem, name)
    return stems


def _members(stems: dict[str, str], base: str) -> list[str]:
    """The member(s) holding `base`: `base.json`, or `base-1.json`, `base-2.json`, ... in order."""
    if base in stems:
        return [stems[base]]
    pages: dict[int, str] = {}
    for stem, name in stems.items():
        match = _PAGE.match(stem)
        if match and match.group(1) == base:
            pages[int(match.group(2))] = name
    return [pages[n] for n in sorted(pages)]


def _load(path: Path, archive: zipfile.ZipFile, members: list[str]) -> list[Any]:
    items: list[Any] = []
    for member in members:
        try:
            data = json.loads(archive.read(member).decode("utf-8-sig"))
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
            raise InputError(f"{path}: {member} is damaged ({exc}).", HINT) from None
        except (UnicodeDecodeError, ValueError) as exc:
            raise InputError(f"{path}: {member} is not valid JSON ({exc}).", HINT) from None
        if not isinstance(data, list):
            raise InputError(f"{path}: {member} is not a list of items.", HINT)
        items += data
    return items


def read_comments(path: Path) -> list[Any]:
    """The user's top-level film comments (reviews.FilmComment); a warning when none are there."""
    from trakt_export.reviews import parse_comments

    with open_zip(path) as archive:
        stems = _stems(archive.namelist())
        members = _members(stems, "comments-movies")
        if not members:
            log.warning(f"Warning: {path} holds no comments-movies.json: no reviews to add.")
            return []
        return parse_comments(_load(path, archive, members))


def read_lists(path: Path) -> tuple[list[tuple[dict[str, Any], list[Any]]], list[Any]]:
    """([(list JSON, its items)], favorites items) of the ZIP."""
    with open_zip(path) as archive:
        stems = _stems(archive.namelist())
        members = _members(stems, "lists-lists")
        if not members:
            raise InputError(f"{path} holds no lists-lists.json (the Trakt lists).", HINT)
        lists: list[tuple[dict[str, Any], list[Any]]] = []
        for entry in _load(path, archive, members):
            ids = entry.get("ids") if isinstance(entry, dict) else None
            if not isinstance(ids, dict):
                continue
            trakt, slug = ids.get("trakt"), ids.get("slug")
            found = _members(stems, f"lists-list-{trakt}-{str(slug).lower()}")
            if not found:
                log.warning(f"Warning: {path} holds no items file for the list {slug!r}.")
            lists.append((entry, _load(path, archive, found)))
        favorites = _members(stems, "lists-favorites")
        return lists, _load(path, archive, favorites)
