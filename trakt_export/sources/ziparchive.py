"""Offline source: Trakt's own data-export ZIP (`--from-zip`), read with no network at all.

Real exports vary (SPEC §3, TRAKT-REALITY.md), so members are recognised by base name at any
depth, case-insensitively, `__MACOSX/` ignored: `stem.json`, or numbered pages `stem-N.json`
merged in page order, for every kind (`watched-history`, `watched-movies`, `ratings-movies`,
`lists-watchlist`, ...), and the older category-folder names (`watched/watched-movies.json`,
`ratings/ratings-movies.json`, `lists/watchlist.json`, also under `<username>/`).

Reusable by every reader of the ZIP (lists, comments, ...):

    names = members(archive)              # the ZIP's file names, `__MACOSX/` and folders left out
    find_members(names, stem) -> [name]   # the members holding kind `stem`, in page order
    missing_page(found, stem) -> str|None # the first absent page (`stem-N.json`) in a numbered run

`find_members` matches the exact stem: `lists-list-7-best-of-2023` finds that list's files,
while `lists-list-7-best-of` would take `...-2023.json` for page 2023, so list readers pass the
stems `lists-lists.json` names. Only the files a command needs are required (`read_zip(path,
needs)`); `_errors.json` naming a needed kind is exit 2, others a warning; two accounts' exports
in one ZIP are refused; the account timezone comes from `user-settings.json`.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterable
from pathlib import Path, PurePosixPath
from typing import Any, NoReturn, TypeVar

from trakt_export.errors import InputError, MalformedDataError
from trakt_export.models import (
    FilmData,
    Films,
    Skipped,
    account_timezone,
    parse_history,
    parse_ratings,
    parse_watched,
    parse_watchlist,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

DOWNLOAD_HINT = "Download it from trakt.tv Settings > Data > Export, then pass that ZIP."
NEW_EXPORT_HINT = (
    "Trakt failed to export it: ask Trakt for a new export (trakt.tv Settings > Data)."
)

# Endpoint of the film exports -> (file stem, FilmData field, parser, _errors.json endpoints).
KINDS: dict[str, tuple[str, str, Callable[..., list[Any]], tuple[str, ...]]] = {
    "history/movies": ("watched-history", "history", parse_history, ("history", "history/movies")),
    "watched/movies": ("watched-movies", "watched", parse_watched, ("watched/movies",)),
    "ratings/movies": ("ratings-movies", "ratings", parse_ratings, ("ratings/movies",)),
    "watchlist/movies": (
        "lists-watchlist",
        "watchlist",
        parse_watchlist,
        ("watchlist", "watchlist/movies"),
    ),
}
# The category folders of the older layout (`watched/`, `ratings/`, `lists/`, ...).
CATEGORIES = frozenset(
    {"watched", "ratings", "lists", "collection", "comments", "hidden", "notes", "user"}
)
# Base-name prefixes of the files a Trakt export holds (to find the account folder).
_EXPORT_PREFIXES = (*(f"{c}-" for c in CATEGORIES), "_errors")
_PAGE = re.compile(r"^(?P<stem>.+?)(?:-(?P<page>\d+))?\.json$")
SETTINGS_STEM = "user-settings"
ERRORS_STEM = "_errors"


def members(archive: zipfile.ZipFile) -> list[str]:
    """The ZIP's file names, without folders and without macOS's `__MACOSX/` resource forks."""
    return [
        name
        for name in archive.namelist()
        if not name.endswith("/") and name.split("/", 1)[0].lower() != "__macosx"
    ]


def _aliases(stem: str) -> tuple[str, str | None]:
    """(base stem, older category-folder base stem or None): `lists-watchlist` is also
    `lists/watchlist`; `watched-movies` keeps its name inside `watched/`."""
    category, _, rest = stem.partition("-")
    return stem, (f"{category}/{rest}" if category == "lists" and rest else None)


def _match(name: str, stem: str) -> int | None:
    """The page number of member `name` for kind `stem` (0 for `stem.json`), None: not it."""
    pure = PurePosixPath(name.lower())
    base, folder = pure.name, pure.parent.name
    for alias in _aliases(stem.lower()):
        if alias is None:
            continue
        parent, _, wanted = alias.rpartition("/")
        if parent and folder != parent:
            continue
        if base == f"{wanted}.json":
            return 0
        if base.startswith(f"{wanted}-") and base.endswith(".json"):
            number = base[len(wanted) + 1 : -len(".json")]
            if number.isascii() and number.isdigit():
                return int(number)
    return None


def find_members(names: Iterable[str], stem: str) -> list[str]:
    """The members holding kind `stem` (`stem.json` and pages `stem-N.json` at any depth,
    case-insensitively, older category-folder names too), in page order (`stem.json` first)."""
    found = [(page, name) for name in names if (page := _match(name, stem)) is not None]
    return [name for _, name in sorted(found)]


def missing_page(found: Iterable[str], stem: str) -> str | None:
    """The first absent page of a numbered run (`stem-2.json` when 1 and 3 are there)."""
    pages = {page for name in found if (page := _match(name, stem))}
    for number in range(1, max(pages, default=0) + 1):
        if number not in pages:
            return f"{stem}-{number}.json"
    return None


def _account_root(name: str) -> str | None:
    """The folder holding the export that `name` belongs to ("" for the root), None when the
    member is not part of a Trakt export."""
    pure = PurePosixPath(name)
    base = pure.name.lower()
    if not base.endswith(".json"):
        return None
    parent = pure.parent
    if parent.name.lower() in CATEGORIES:
        parent = parent.parent
    elif not base.startswith(_EXPORT_PREFIXES):
        return None
    return "" if str(parent) == "." else str(parent)


def _one_account(path: Path, names: list[str]) -> None:
    roots = {root for name in names if (root := _account_root(name)) is not None}
    if len(roots) > 1:
        listed = ", ".join(sorted(f"{f}/" if f else "(root)" for f in roots))
        raise InputError(
            f"{path} holds more than one Trakt export ({listed}).",
            "Pass a ZIP with one account's export, as downloaded from trakt.tv.",
        )


def _read(path: Path, archive: zipfile.ZipFile, member: str) -> Any:
    try:
        raw = archive.read(member)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        raise InputError(f"{path}: {member} is damaged ({exc}).", DOWNLOAD_HINT) from None
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{path}: {member} is not valid JSON ({exc}).", DOWNLOAD_HINT) from None


def load_list(path: Path, archive: zipfile.ZipFile, member: str) -> list[Any]:
    """One member's JSON list of items (exit 2 naming it when damaged, not JSON or no list)."""
    data = _read(path, archive, member)
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


def _error_entries(data: Any) -> list[tuple[str, str]]:
    """(file stem, endpoint path) of each `_errors.json` entry, lower case ("" when absent)."""
    entries = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    out = []
    for entry in entries:
        if isinstance(entry, str):
            out.append((entry.lower(), entry.lower()))
        elif isinstance(entry, dict):
            stem = next(
                (str(entry[k]) for k in ("file", "name", "type") if isinstance(entry.get(k), str)),
                "",
            )
            endpoint = next(
                (
                    str(entry[k])
                    for k in ("endpoint", "path", "url")
                    if isinstance(entry.get(k), str)
                ),
                "",
            )
            out.append((stem.lower(), endpoint.lower()))
    return out


def _failed(entry: tuple[str, str], stem: str, endpoints: tuple[str, ...]) -> bool:
    file, endpoint = entry
    if file:
        match = _PAGE.match(file if file.endswith(".json") else f"{file}.json")
        plain, older = _aliases(stem)
        if match and match["stem"] in (plain, older, (older or "").rpartition("/")[2]):
            return True
    path = endpoint.split("?", 1)[0].rstrip("/")
    return any(path == e or path.endswith(f"/{e}") for e in endpoints)


def _check_errors(
    path: Path, archive: zipfile.ZipFile, names: list[str], needs: Collection[str]
) -> None:
    found = find_members(names, ERRORS_STEM)
    if not found:
        return
    try:
        entries = [e for member in found for e in _error_entries(_read(path, archive, member))]
    except InputError as exc:
        log.warning("Note: %s (ignored).", exc.message)
        return
    needed = [KINDS[endpoint] for endpoint in needs if endpoint in KINDS]
    for stem, _, _, endpoints in needed:
        for entry in entries:
            if _failed(entry, stem, endpoints):
                shown = entry[1] or f"{stem}.json"
                raise InputError(
                    f"{path}: Trakt's _errors.json says {stem}.json ({shown}) was not exported, "
                    "and this command needs it.",
                    NEW_EXPORT_HINT,
                )
    others = sorted({e[0] or e[1] for e in entries if e[0] or e[1]})
    if others:
        log.warning(
            "Note: Trakt's _errors.json says it failed to export %s (not needed here).",
            ", ".join(others),
        )


def _timezone(path: Path, archive: zipfile.ZipFile, names: list[str]) -> str | None:
    for member in find_members(names, SETTINGS_STEM):
        try:
            data = _read(path, archive, member)
        except InputError as exc:
            log.warning("Note: %s (the account timezone is not read from it).", exc.message)
            return None
        return account_timezone(data) if isinstance(data, dict) else None
    return None


def open_zip(path: Path) -> zipfile.ZipFile:
    """The ZIP at `path`, or an InputError (exit 2) saying what is wrong with it."""
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise InputError(f"{path} does not exist.", DOWNLOAD_HINT) from None
    except IsADirectoryError:
        raise InputError(f"{path} is a directory, not a ZIP file.", DOWNLOAD_HINT) from None
    except zipfile.BadZipFile:
        raise InputError(f"{path} is not a ZIP file (or it is damaged).", DOWNLOAD_HINT) from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}.", DOWNLOAD_HINT) from None


def _missing(path: Path, names: list[str], absent: list[str], gaps: list[str]) -> NoReturn:
    """Exit 2 naming every needed file the ZIP lacks (SPEC §3), not just the first: absent
    kinds ("no a.json or b.json found") and missing pages of numbered runs."""
    is_export = bool(gaps) or any(_account_root(name) is not None for name in names)
    what = "an incomplete" if is_export else "not a"
    said = list(gaps)
    if absent:
        files = absent[0] if len(absent) == 1 else f"{', '.join(absent[:-1])} or {absent[-1]}"
        said.insert(0, f"no {files} found")
    raise InputError(f"{path} is {what} Trakt data export: {'; '.join(said)}.", DOWNLOAD_HINT)


def read_zip(
    path: Path, needs: Collection[str] = tuple(KINDS), skipped: Skipped | None = None
) -> FilmData:
    """Read the listings `needs` names (endpoints, as `ApiSource.films` takes) from a Trakt
    data-export ZIP, plus the account timezone; the other files need not be there."""
    with open_zip(path) as archive:
        names = members(archive)
        _one_account(path, names)
        _check_errors(path, archive, names, needs)
        wanted = [KINDS[endpoint] for endpoint in KINDS if endpoint in needs]
        located: list[tuple[str, list[str], Callable[..., list[Any]]]] = []
        absent: list[str] = []  # every needed file that is not there: named together
        gaps: list[str] = []
        for stem, attr, parser, _ in wanted:
            found = find_members(names, stem)
            if not found:
                absent.append(f"{stem}.json")
                continue
            gap = missing_page(found, stem)
            if gap is not None:
                gaps.append(f"{gap} is missing (the pages of {stem} run to {found[-1]})")
                continue
            located.append((attr, found, parser))
        if absent or gaps:
            _missing(path, names, absent, gaps)
        films: Films = {}  # one Movie per film across every file, as in the online export
        listings: dict[str, Any] = {}  # FilmData field -> its items
        for attr, found, parser in located:
            parse = functools.partial(parser, films=films, skipped=skipped)
            items: list[Any] = []
            for member in found:
                items += _parse(path, member, parse, load_list(path, archive, member))
            listings[attr] = items
        return FilmData(**listings, account_timezone=_timezone(path, archive, names))
