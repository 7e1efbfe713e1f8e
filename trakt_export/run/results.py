"""The result cache of a no-change run (SPEC §7 warm floor): the rendered CSV of the last
successful export, kept under a key made of everything that output depends on.

A warm run whose key matches (same account, same activity stamps, same account settings, same
options, same tool version) writes the stored text again instead of re-reading, re-parsing and
re-mapping every cached page: one round trip (last_activities + settings) and a write. The entry
is checked like every cache entry: its key, its age (`ttl_hours.validated`, or less when the text
also holds data without an activity stamp, e.g. directors) and a SHA-256 of its text; anything
else — a damaged, foreign or stale file — is a miss, never an error. One entry per output name
(command and mode), written atomically after the output itself is in place.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from trakt_export import __version__
from trakt_export.errors import OutputError
from trakt_export.output import write_atomic

log = logging.getLogger(__name__)

FORMAT = 1  # bump when the stored layout changes: older entries then simply miss


@dataclass(frozen=True, slots=True)
class Result:
    """A rendered export: the CSV header, its data lines, and the row count."""

    header: str
    lines: list[str]
    rows: int


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
            fresh = 0 <= self.clock() - float(entry["stored"]) <= self.ttl
            whole = entry["sha256"] == _digest(header, lines)
            if entry["key"] != key or not fresh or not whole:
                return None
            if not (isinstance(header, str) and isinstance(rows, int)):
                return None
            if not all(isinstance(line, str) for line in lines):
                return None
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent, damaged or foreign: a miss, and the run does the full work
        return Result(header, list(lines), rows)

    def put(self, name: str, key: str, result: Result) -> None:
        """Store `result` under `key` (replacing the previous entry of `name`). A failure to
        store only costs the next run its shortcut: it is logged, never raised."""
        entry = {
            "key": key,
            "stored": self.clock(),
            "rows": result.rows,
            "header": result.header,
            "lines": result.lines,
            "sha256": _digest(result.header, result.lines),
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


def _digest(header: str, lines: list[str]) -> str:
    digest = hashlib.sha256(header.encode())
    for line in lines:
        digest.update(line.encode())
    return digest.hexdigest()
