"""The result cache of a no-change run (SPEC §7 warm floor): the rendered CSV of the last
successful export, kept under a key made of everything that output depends on.

A warm run whose key matches (same account, same activity stamps, same account settings, same
options, same tool version) writes the stored text again instead of re-reading, re-parsing and
re-mapping every cached page: one round trip (last_activities + settings) and a write. The entry
is checked like every cache entry: its key, its age (`ttl_hours.validated`, or less when the text
also holds data without an activity stamp, e.g. directors) and a SHA-256 of its text; anything
else — a damaged, foreign or stale file — is a miss, never an error. One entry per output name
(command and mode), written atomically after the output itself is in place.

    shortcut_for(settings, options, name, ...)   None when the run may not take the shortcut
    run.read(shortcut.reading(use))              the hook after the first round: Answered(hit)
    with Recorded() as seen: ...                 the warnings of the full run, replayed on a hit
    shortcut.put(Result(...))                    after the output is in place

The key is made from what Trakt's first round says (account, the activity stamps of every
listing the output reads, the whole settings answer: its timezone shapes dates) and what the
run was asked (the export settings that shape the text, `--since DATE`, the tool version, the
API url, whether warnings are shown). Only a run whose listings the cache holds looks a result
up (so `cache clear`, `--refresh` and `--no-cache` always do the full run); only token-mode
API runs store one (public mode has no stamps, `--from-zip` no round to vouch with).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from trakt_export import __version__
from trakt_export.errors import OutputError
from trakt_export.output import write_atomic

if TYPE_CHECKING:
    from trakt_export.config import Settings
    from trakt_export.run.session import Options
    from trakt_export.sources.api import TraktAPI
    from trakt_export.sources.base import Source

T = TypeVar("T")

log = logging.getLogger(__name__)

FORMAT = 2  # bump when the stored layout changes: older entries then simply miss


@dataclass(frozen=True, slots=True)
class Result:
    """A rendered export: the CSV header, its data lines, the row count, and what the full run
    also said: its date-only plays (`--report`) and its warning lines (logger, level, text)."""

    header: str
    lines: list[str]
    rows: int
    date_only_plays: int = 0
    warnings: tuple[tuple[str, int, str], ...] = ()


def result_key(parts: Mapping[str, object]) -> str:
    """A stable digest of what an output depends on (JSON, sorted keys, tool version in)."""
    canonical = json.dumps(
        {"format": FORMAT, "version": __version__, **parts}, sort_keys=True, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class ResultStore:
    """One file per output name under `directory` (the data dir's `results/`)."""

    def __init__(
        self, directory: Path, ttl_seconds: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.directory = directory
        self.ttl = ttl_seconds
        self.clock = clock

    def _path(self, name: str) -> Path:
        return self.directory / f"{name}.json"

    def get(self, name: str, key: str) -> Result | None:
        """The stored result for `name` when its key matches and it is whole and fresh."""
        try:
            entry = json.loads(self._path(name).read_bytes())
            header, lines, rows = entry["header"], entry["lines"], entry["rows"]
            plays, said = entry["date_only_plays"], entry["warnings"]
            fresh = 0 <= self.clock() - float(entry["stored"]) <= self.ttl
            whole = entry["sha256"] == _digest(header, lines, said)
            if entry["key"] != key or not fresh or not whole:
                return None
            if not (isinstance(header, str) and isinstance(rows, int)):
                return None
            if not isinstance(plays, int) or not isinstance(lines, list):
                return None  # every line is text: _digest joined them
            warnings = tuple((str(name), int(level), str(text)) for name, level, text in said)
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent, damaged or foreign: a miss, and the run does the full work
        return Result(header, list(lines), rows, plays, warnings)

    def put(self, name: str, key: str, result: Result) -> None:
        """Store `result` under `key` (replacing the previous entry of `name`). A failure to
        store only costs the next run its shortcut: it is logged, never raised."""
        entry = {
            "key": key,
            "stored": self.clock(),
            "rows": result.rows,
            "header": result.header,
            "lines": result.lines,
            "date_only_plays": result.date_only_plays,
            "warnings": [list(w) for w in result.warnings],
            "sha256": _digest(result.header, result.lines, result.warnings),
        }
        try:
            write_atomic(self._path(name), json.dumps(entry).encode())
        except (OSError, OutputError) as exc:
            log.debug("result cache not stored: %s", exc)

    def forget(self, name: str) -> None:
        """Drop `name`'s entry (a run that changed the output some other way)."""
        try:
            self._path(name).unlink(missing_ok=True)
        except OSError as exc:
            log.debug("result cache entry not removed: %s", exc)


def _digest(header: str, lines: list[str], warnings: object = ()) -> str:
    # One join, one update (a join of anything but text raises TypeError: a damaged entry).
    digest = hashlib.sha256((header + "".join(lines)).encode())
    digest.update(json.dumps([list(w) for w in warnings]).encode())  # type: ignore[attr-defined]
    return digest.hexdigest()


class Answered(Exception):  # not an error: the read ends there, the result answers
    """Raised by the first-round hook: the stored result answers the run, no page is read."""

    def __init__(self, result: Result) -> None:
        super().__init__("a stored result answers the run")
        self.result = result


# The export settings that do not shape the text: where it goes and how it is split (the stored
# lines are split again at every delivery).
_NOT_SHAPING = frozenset({"output_dir", "max_rows", "max_bytes"})


@dataclass(slots=True)
class Shortcut:
    """One output's result-cache use in one run (see the module docstring)."""

    store: ResultStore
    name: str
    parts: dict[str, object]  # what the run was asked
    stamped: tuple[str, ...]  # the listings whose activity stamps vouch for the output
    api: TraktAPI | None = None
    account_settings: Mapping[str, Any] | None = None
    lookup: bool = True  # False with --refresh: store, never answer from the store

    def reading(self, use: Callable[[Source], Awaitable[T]]) -> Callable[[Source], Awaitable[T]]:
        """`use` with the first-round hook set on an API source (the ZIP has no round)."""

        def read(source: Source) -> Awaitable[T]:
            api = getattr(source, "api", None)
            if api is not None and not api.public:
                self.api = api
                api.after_round = self._after_round
            return use(source)

        return read

    def _after_round(self, account_settings: Mapping[str, Any], cached: bool) -> None:
        self.account_settings = account_settings
        if not cached or not self.lookup:
            return
        hit = self.store.get(self.name, self.key())
        if hit is not None:
            log.debug("result cache: %s answered by the stored result", self.name)
            raise Answered(hit)

    def key(self) -> str:
        """The key from the run's state now (after the re-check: the stamps the data had)."""
        from trakt_export.sources.api import activity_stamp

        assert self.api is not None
        activities = self.api.activities
        stamps = {e: activity_stamp(activities, e) for e in self.stamped}
        return result_key(
            {
                **self.parts,
                "account": self.api.account,
                "stamps": stamps,
                "settings": self.account_settings,
                "warnings": logging.getLogger("trakt_export").isEnabledFor(logging.WARNING),
            }
        )

    def put(self, result: Result) -> None:
        """Store the result of a full token-mode run (never a public or ZIP one)."""
        if self.api is None or self.account_settings is None:
            return
        self.store.put(self.name, self.key(), result)


def shortcut_for(
    settings: Settings,
    options: Options,
    name: str,
    stamped: tuple[str, ...],
    asked: Mapping[str, object],
    people: bool = False,
) -> Shortcut | None:
    """The run's shortcut, or None when it may neither use nor store one: no cache
    (`--no-cache`, cache disabled) or the ZIP. `--refresh` stores without looking up.
    `people`: the text holds directors, whose answers live by the people TTL."""
    if options.zip_path is not None or options.cache_mode == "off" or not settings.cache.enabled:
        return None
    hours = settings.cache.ttl_hours
    ttl = float(hours.get("validated", 168.0))
    if people:
        ttl = min(ttl, float(hours.get("people", 168.0)))
    export = {
        field_name: getattr(settings.export, field_name)
        for field_name in settings.export.__dataclass_fields__
        if field_name not in _NOT_SHAPING
    }
    parts: dict[str, object] = {
        "name": name,
        "api_url": settings.trakt.api_url,
        "export": export,
        "asked": dict(asked),
    }
    # The run's wall clock (a test's virtual one), the same the response cache ages by.
    clock = options.clock or time.time
    store = ResultStore(settings.paths.data_dir / "results", ttl * 3600.0, clock)
    return Shortcut(store, name, parts, stamped, lookup=options.cache_mode == "use")


# The loggers whose warnings the data decides (skipped items, advisory counts, the zone, reviews
# without a day); the others (a login's account, a pause, a reset cache) belong to each run.
DATA_LOGGERS = tuple(
    f"trakt_export.{name}" for name in ("sources", "letterboxd", "zones", "models")
)


class Recorded(logging.Handler):
    """The warning lines logged while the full run reads and maps (stored with its result and
    said again by a run the result answers, so both runs say the same)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(DATA_LOGGERS):  # not the run's own (login, pauses, cache)
            self.lines.append((record.name, record.levelno, record.getMessage()))

    def __enter__(self) -> Recorded:
        logging.getLogger("trakt_export").addHandler(self)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        logging.getLogger("trakt_export").removeHandler(self)


def replay(warnings: tuple[tuple[str, int, str], ...]) -> None:
    """Say the stored warning lines again, each through its own logger."""
    for name, level, text in warnings:
        logging.getLogger(name).log(level, "%s", text)
