"""`doctor --from-zip PATH`: the free user's doctor (SPEC §1 v2.2). It checks Trakt's data-export
ZIP instead of credentials and network, and makes no request:

    config     config file readable and valid                      problem: exit 2
    zip        the ZIP is there and readable                       problem: exit 2
    account    it holds one account's export (named when known)    problem: exit 2
    timezone   the account timezone (user-settings.json)           warning when absent
    errors     what Trakt's `_errors.json` says failed to export   warning
    movies     can `movies` (the configured mode) be served?       problem: exit 2
    history | aggregated   `movies` in the other mode             warning, naming the files
    watchlist, lists, reviews                                      warning, naming the files
    dirs       data dir usable (the lock, the output record)       warning

A command is checked by the same reader the command uses (`read_zip`), so doctor and the
export never disagree; the files a command lacks are all named, not only the first.
"""

from __future__ import annotations

import contextlib
import json
import logging
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from trakt_export.errors import InputError
from trakt_export.run.doctor import (
    Check,
    Status,
    _dirs,
    _ok,
    _problem,
    _skip,
    _warn,
    load_config,
)

ZIP_CHECKS = ("config", "zip", "account", "timezone", "errors", "movies")
# Commands (beyond `movies` in the configured mode) and the ZIP files each reads.
EXTRA = {
    "watchlist": ("watchlist", ("lists-watchlist",)),
    "lists": ("lists", ("lists-lists",)),
    "reviews": ("movies --reviews", ("comments-movies",)),
}


@contextlib.contextmanager
def _quiet_notes() -> Iterator[list[str]]:
    """The reader's notes (e.g. `_errors.json` names a file not needed) are doctor's findings,
    not stderr lines: collect them while a command is tried."""
    logger = logging.getLogger("trakt_export.sources")
    notes: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            notes.append(record.getMessage())

    handler = _Collect(logging.DEBUG)
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield notes
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def zip_checks(
    zip_path: Path, config_path: Path | None = None, env: Mapping[str, str] | None = None
) -> list[Check]:
    """Every check of the module docstring, in order; no network."""
    import os

    environ = os.environ if env is None else env
    loaded = load_config(config_path, environ, ZIP_CHECKS)
    if isinstance(loaded, list):
        return loaded
    settings, file = loaded
    checks = [
        _ok("config", f"{file} is valid.")
        if file.is_file()
        else _ok("config", f"no config file at {file}; built-in defaults are used.")
    ]
    checks += _archive_checks(zip_path, settings.export.mode)
    checks.append(_dirs(settings))
    return checks


def _archive_checks(path: Path, mode: str) -> list[Check]:
    from trakt_export.run.export import NEEDS  # the listings each mode reads
    from trakt_export.sources.ziparchive import members, open_zip, read_zip

    try:
        with open_zip(path) as archive:
            names = members(archive)
            settings_json = _settings_json(archive, names)
            errors = _errors_json(archive, names)
    except InputError as exc:
        return [
            _problem("zip", exc, 2),
            *(_skip(n, "the ZIP cannot be read") for n in ZIP_CHECKS[2:]),
        ]
    checks = [_ok("zip", f"{path} is a readable ZIP ({len(names)} files).")]
    try:
        with _quiet_notes():
            read_zip(path, ())  # one account? (and nothing else needed)
    except InputError as exc:
        return [
            *checks,
            _problem("account", exc, 2),
            *(_skip(n, "the ZIP holds more than one export") for n in ZIP_CHECKS[3:]),
        ]
    checks.append(_account(names, settings_json))
    checks.append(_timezone(settings_json))
    checks.append(
        _warn(
            "errors",
            f"Trakt's _errors.json says it failed to export {', '.join(errors)}.",
            "Ask Trakt for a new export (trakt.tv Settings > Data) if a command below needs it.",
        )
        if errors
        else _ok("errors", "Trakt reported no failed file (_errors.json).")
    )
    other = "history" if mode == "aggregated" else "aggregated"
    commands = [
        ("movies", f"movies --mode {mode}", NEEDS[mode].listings, True),
        (other, f"movies --mode {other}", NEEDS[other].listings, False),
    ]
    for name, command, endpoints, required in commands:
        stems = _stems(endpoints)
        checks.append(_command(path, names, name, command, endpoints, stems, errors, required))
    for name, (command, stems) in EXTRA.items():
        checks.append(_command(path, names, name, command, (), stems, errors, required=False))
    return checks


def _stems(endpoints: tuple[str, ...]) -> tuple[str, ...]:
    from trakt_export.sources.ziparchive import KINDS

    return tuple(KINDS[e][0] for e in endpoints if e in KINDS)


def _command(
    path: Path,
    names: list[str],
    check: str,
    command: str,
    endpoints: tuple[str, ...],
    stems: tuple[str, ...],
    errors: list[str],
    required: bool,
) -> Check:
    """Can `command` be served from the ZIP? Lacking files (absent, a missing page, or named
    in `_errors.json`) are all named; then the reader itself is tried on the film files (damaged
    JSON, unreadable items), as the command would."""
    from trakt_export.sources.ziparchive import find_members, missing_page, read_zip

    status: Status = "problem" if required else "warning"
    code = 2 if required else 0
    lacking: list[str] = []
    for stem in stems:
        found = find_members(names, stem)
        gap = missing_page(found, stem) if found else None
        if not found:
            lacking.append(f"{stem}.json")
        elif gap is not None:
            lacking.append(gap)
        elif any(_names_stem(error, stem) for error in errors):
            lacking.append(f"{stem}.json (failed, says _errors.json)")
    if lacking:
        return Check(
            check,
            status,
            f"`{command}` cannot be served: the ZIP lacks {', '.join(lacking)}.",
            "Download a complete export from trakt.tv Settings > Data > Export."
            if required
            else f"Only `{command}` needs it; the other commands are not affected.",
            code,
        )
    if endpoints:
        try:
            with _quiet_notes():
                read_zip(path, endpoints)
        except InputError as exc:
            return Check(check, status, exc.message, exc.hint or "", code)
    files = ", ".join(f"{stem}.json" for stem in stems)
    return _ok(check, f"`{command}` can be served ({files}).")


def _names_stem(error: str, stem: str) -> bool:
    base = error.lower().rsplit("/", 1)[-1].removesuffix(".json")
    return base == stem or (base.startswith(f"{stem}-") and base[len(stem) + 1 :].isdigit())


def _load(archive: zipfile.ZipFile, member: str) -> Any:
    try:
        return json.loads(archive.read(member).decode("utf-8-sig"))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, UnicodeDecodeError):
        return None


def _settings_json(archive: zipfile.ZipFile, names: list[str]) -> Mapping[str, Any] | None:
    from trakt_export.sources.ziparchive import SETTINGS_STEM, find_members

    for member in find_members(names, SETTINGS_STEM):
        data = _load(archive, member)
        return data if isinstance(data, Mapping) else None
    return None


def _errors_json(archive: zipfile.ZipFile, names: list[str]) -> list[str]:
    """What `_errors.json` names (a file, else an endpoint per entry), in order, once each."""
    from trakt_export.sources.ziparchive import ERRORS_STEM, find_members

    named: list[str] = []
    for member in find_members(names, ERRORS_STEM):
        data = _load(archive, member)
        entries = data if isinstance(data, list) else [data] if data is not None else []
        for entry in entries:
            text = entry if isinstance(entry, str) else None
            if isinstance(entry, Mapping):
                text = next(
                    (
                        str(entry[k])
                        for k in ("file", "name", "type", "endpoint", "path", "url")
                        if isinstance(entry.get(k), str)
                    ),
                    None,
                )
            if text and text not in named:
                named.append(text if "/" in text or text.endswith(".json") else f"{text}.json")
    return named


def _account(names: list[str], settings_json: Mapping[str, Any] | None) -> Check:
    user = settings_json.get("user") if settings_json else None
    name = user.get("username") if isinstance(user, Mapping) else None
    if not isinstance(name, str) or not name:
        folders = {n.split("/", 1)[0] for n in names if "/" in n}
        name = next(iter(folders)) if len(folders) == 1 else None
    who = f"the account {name}" if name else "one account (its name is not in the ZIP)"
    return _ok("account", f"the export of {who}.")


def _timezone(settings_json: Mapping[str, Any] | None) -> Check:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from trakt_export.models import account_timezone
    from trakt_export.zones import system_zone

    fallback = system_zone().key
    zone = account_timezone(settings_json)
    if zone is None:
        return _warn(
            "timezone",
            f"the ZIP holds no account timezone (user-settings.json); the system zone "
            f"{fallback} is used.",
            "Set [export] timezone (or --timezone) if that is not yours.",
        )
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return _warn(
            "timezone",
            f"the account timezone {zone!r} is not a known IANA zone; the system zone "
            f"{fallback} is used instead.",
            "Set [export] timezone (or --timezone) to your zone, e.g. Europe/Berlin.",
        )
    return _ok("timezone", f"the account timezone {zone} (user-settings.json).")
