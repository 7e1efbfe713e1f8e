"""Offline source: Trakt's own data-export ZIP (`--from-zip`), read with no network at all.

The files sit at the ZIP's root or under one `<username>/` folder. Every file the film exports
need must be there (a missing one would silently drop data), and the history chunks
`watched-history-1.json`, `-2.json`, ... must run without a gap.
"""

from __future__ import annotations

import functools
import json
import re
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from trakt_export.errors import InputError, MalformedDataError
from trakt_export.models import (
    FilmData,
    Films,
    HistoryEvent,
    parse_history,
    parse_ratings,
    parse_watched,
    parse_watchlist,
)

T = TypeVar("T")

WATCHED = "watched-movies.json"
RATINGS = "ratings-movies.json"
WATCHLIST = "lists-watchlist.json"
HISTORY = re.compile(r"^watched-history(?:-(\d+))?\.json$")
DOWNLOAD_HINT = "Download it from trakt.tv Settings > Data > Export, then pass that ZIP."
# Files that mark a folder as holding a Trakt export (any one of them is enough).
MARKERS = frozenset({WATCHED, RATINGS, WATCHLIST})


def _is_export_file(name: str) -> bool:
    return name in MARKERS or HISTORY.match(name) is not None


def _layout(path: Path, names: list[str]) -> str:
    """The folder prefix holding the export ("" for the root)."""
    folders: set[str] = set()
    for name in names:
        pure = PurePosixPath(name)
        if name.endswith("/") or pure.parts[:1] == ("__MACOSX",):
            continue
        if _is_export_file(pure.name) and len(pure.parts) <= 2:
            folders.add(str(pure.parent) if len(pure.parts) == 2 else "")
    if not folders:
        raise InputError(f"{path} is not a Trakt data export: no {WATCHED} found.", DOWNLOAD_HINT)
    if len(folders) > 1:
        listed = ", ".join(sorted(f"{f}/" if f else "(root)" for f in folders))
        raise InputError(
            f"{path} holds more than one Trakt export ({listed}).",
            "Pass a ZIP with one account's export, as downloaded from trakt.tv.",
        )
    folder = folders.pop()
    return f"{folder}/" if folder else ""


def _history_members(path: Path, names: set[str], prefix: str) -> list[str]:
    numbered: dict[int, str] = {}
    plain: str | None = None
    for name in names:
        if not name.startswith(prefix) or "/" in name[len(prefix) :]:
            continue
        match = HISTORY.match(name[len(prefix) :])
        if match is None:
            continue
        if match.group(1) is None:
            plain = name
        else:
            numbered[int(match.group(1))] = name
    if not numbered:
        if plain is not None:
            return [plain]
        raise InputError(
            f"{path} is an incomplete Trakt data export: no watched-history-1.json found.",
            DOWNLOAD_HINT,
        )
    for number in range(1, max(numbered) + 1):
        if number not in numbered:
            raise InputError(
                f"{path} is an incomplete Trakt data export: watched-history-{number}.json "
                f"is missing (the history has {max(numbered)} parts).",
                DOWNLOAD_HINT,
            )
    return [numbered[n] for n in sorted(numbered)]


def _load(path: Path, archive: zipfile.ZipFile, member: str) -> list[Any]:
    try:
        raw = archive.read(member)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        raise InputError(f"{path}: {member} is damaged ({exc}).", DOWNLOAD_HINT) from None
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{path}: {member} is not valid JSON ({exc}).", DOWNLOAD_HINT) from None
    if not isinstance(data, list):
        raise InputError(f"{path}: {member} is not a list of items.", DOWNLOAD_HINT)
    return data


def _parse(
    path: Path, member: str, parser: Callable[[list[Any]], list[T]], data: list[Any]
) -> list[T]:
    try:
        return parser(data)
    except MalformedDataError as exc:
        raise InputError(f"{path}: {member} has an unreadable item: {exc}", DOWNLOAD_HINT) from None


def read_zip(path: Path) -> FilmData:
    """Read the films of a Trakt data-export ZIP (root or `<username>/` layout)."""
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise InputError(f"{path} does not exist.", DOWNLOAD_HINT) from None
    except IsADirectoryError:
        raise InputError(f"{path} is a directory, not a ZIP file.", DOWNLOAD_HINT) from None
    except zipfile.BadZipFile:
        raise InputError(f"{path} is not a ZIP file (or it is damaged).", DOWNLOAD_HINT) from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}.", DOWNLOAD_HINT) from None
    with archive:
        names = archive.namelist()
        prefix = _layout(path, names)
        present = set(names)
        for needed in (WATCHED, RATINGS, WATCHLIST):
            if prefix + needed not in present:
                raise InputError(
                    f"{path} is not a complete Trakt data export: no {needed} found.",
                    DOWNLOAD_HINT,
                )
        films: Films = {}  # one Movie per film across every file, as in the online export

        def read(shown: str, member: str, parser: Callable[..., list[T]]) -> list[T]:
            parse = functools.partial(parser, films=films)
            return _parse(path, shown, parse, _load(path, archive, member))

        history: list[HistoryEvent] = []
        for member in _history_members(path, present, prefix):
            history += read(member, member, parse_history)
        return FilmData(
            history=history,
            watched=read(WATCHED, prefix + WATCHED, parse_watched),
            ratings=read(RATINGS, prefix + RATINGS, parse_ratings),
            watchlist=read(WATCHLIST, prefix + WATCHLIST, parse_watchlist),
        )
