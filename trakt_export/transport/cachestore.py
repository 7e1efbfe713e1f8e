"""The disk store under the response cache (diskcache), kept from ever failing a run (SPEC §4:
"A corrupt cache is reset with a warning and the run goes on").

`SafeStore` is the only code that touches diskcache. Everything that can go wrong on disk ends
here, with at most one `Warning:` line per store:

- a database sqlite cannot read (zeroed, garbage, a damaged page: `PRAGMA quick_check` at open)
  is reset before the run; an unusable directory (read-only, a file in its place) is bypassed;
- a database that fails later, mid-run, is bypassed for the rest of the run (every read a miss,
  every write dropped) and reset when the store closes;
- a value that cannot be read back (a truncated, zeroed or garbage value file or blob:
  unpickling garbage can raise anything) is deleted and read as a miss; so is an entry the
  cache finds damaged by its own checks (`drop`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar, cast

import diskcache

log = logging.getLogger(__name__)

T = TypeVar("T")

DATABASE = ("cache.db", "cache.db-wal", "cache.db-shm")
_VALUE_DIR = re.compile(r"[0-9a-f]{2}")  # diskcache's value files live in xx/yy/*.val
_PROBE = ("probe",)


class _NoStore:
    """What a bypassed cache answers: nothing stored, nothing kept."""

    def get(self, key: Any, default: Any = None) -> Any:
        return default

    def set(self, key: Any, value: Any) -> bool:
        return False

    def incr(self, key: Any, delta: int = 1, default: int = 0) -> int:
        return default + delta

    def delete(self, key: Any) -> bool:
        return False

    def iterkeys(self) -> Iterator[Any]:
        return iter(())

    def volume(self) -> int:
        return 0

    def clear(self) -> int:
        return 0

    def close(self) -> None:
        return None


def wipe(directory: Path) -> None:
    """Delete the cache's database and value files (nothing else of the directory)."""
    for name in DATABASE:
        with contextlib.suppress(OSError):
            (directory / name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        for child in directory.iterdir():
            if child.is_dir() and not child.is_symlink() and _VALUE_DIR.fullmatch(child.name):
                shutil.rmtree(child, ignore_errors=True)


def _probe(store: diskcache.Cache, directory: Path) -> diskcache.Cache:
    """Fail now, not mid-run, on a database sqlite cannot read or finds damaged."""
    try:
        store.get(_PROBE)
        with contextlib.closing(sqlite3.connect(directory / "cache.db")) as check:
            verdict = check.execute("PRAGMA quick_check").fetchall()
        if verdict != [("ok",)]:
            raise sqlite3.DatabaseError("database disk image is malformed")
    except BaseException:
        store.close()
        raise
    return store


def _open(directory: Path) -> tuple[diskcache.Cache, str | None]:
    """The store and the warning its opening gave (None: it opened cleanly)."""
    try:
        if directory.exists() and not (directory.is_dir() and os.access(directory, os.W_OK)):
            raise OSError(f"{directory} is not a writable directory")
        try:
            return _probe(diskcache.Cache(str(directory)), directory), None
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and not (directory / "cache.db").is_file():
                raise
            wipe(directory)
            store = _probe(diskcache.Cache(str(directory)), directory)
            return store, f"Warning: the cache {directory} was corrupt ({exc}) and has been reset."
    except (OSError, sqlite3.Error) as exc:
        bypass = cast(diskcache.Cache, _NoStore())
        return bypass, f"Warning: the cache {directory} is unusable ({exc}); running without it."


def _corrupt(exc: BaseException) -> bool:
    """Whether a database error means damaged data (then the database is reset), rather than
    a passing trouble (locked, disk full: then it is only bypassed for the run)."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    if not isinstance(exc, sqlite3.OperationalError):
        return True  # "file is not a database", "database disk image is malformed"
    text = str(exc).lower()
    return "decode" in text or "malformed" in text  # a text column holding garbage


class SafeStore:
    """diskcache behind guards: reads and writes that never raise. Thread-safe as diskcache is
    (the cache's writer thread and the event loop share one)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._warned = False
        self._reset_at_close = False
        store, warning = _open(self.directory)
        self._store: diskcache.Cache | None = store
        if warning:
            self._warn(warning)

    @property
    def bypassed(self) -> bool:
        return isinstance(self._store, _NoStore)

    def _current(self) -> diskcache.Cache:
        with self._lock:
            if self._store is None:  # closed, then used again: open it again
                self._store, warning = _open(self.directory)
                if warning:
                    self._warn(warning)
            return self._store

    def _warn(self, message: str) -> None:
        if not self._warned:
            self._warned = True
            log.warning("%s", message)

    def _lost(self, exc: BaseException) -> None:
        """The database failed mid-run: go on without it, reset it when closing."""
        with self._lock:
            if isinstance(self._store, _NoStore):
                return
            self._store = cast(diskcache.Cache, _NoStore())
            corrupt = _corrupt(exc)
            self._reset_at_close = self._reset_at_close or corrupt
            what = "is corrupt and is reset" if corrupt else f"failed ({exc})"
            self._warn(f"Warning: the cache {self.directory} {what}; this run goes on without it.")

    def _guarded(self, action: Callable[[diskcache.Cache], T], default: T) -> T:
        """One operation on the database; a failing database is bypassed from then on."""
        try:
            return action(self._current())
        except (sqlite3.Error, diskcache.Timeout, OSError) as exc:
            self._lost(exc)
            return default

    # ----- reads and writes ------------------------------------------------------------------

    def get(self, key: Any) -> Any:
        """The stored value, or None when absent or unreadable (then it is dropped)."""
        try:
            return self._current().get(key)
        except (sqlite3.Error, diskcache.Timeout) as exc:
            self._lost(exc)
        except Exception:  # unpickling a damaged value raises anything
            self.drop(key)
        return None

    def drop(self, key: Any) -> None:
        """Delete a damaged entry, with the run's one warning."""
        log.debug("cache: dropping the damaged entry %r", key)
        self._warn(
            f"Warning: dropped a damaged entry from the cache {self.directory} "
            "(it is fetched from Trakt again when needed)."
        )
        self.delete(key)

    def set(self, key: Any, value: Any) -> None:
        self._guarded(lambda store: store.set(key, value), False)

    def delete(self, key: Any) -> bool:
        return bool(self._guarded(lambda store: store.delete(key), False))

    def incr(self, key: Any, delta: int) -> None:
        def add(store: diskcache.Cache) -> None:
            try:
                store.incr(key, delta, default=0)
            except (TypeError, KeyError, ValueError):  # a damaged counter: start it afresh
                store.set(key, delta)

        self._guarded(add, None)

    def every_key(self) -> list[Any]:
        """Every key; a key that cannot be read back means a damaged database."""
        try:
            return list(self._current().iterkeys())
        except Exception as exc:  # a damaged key row raises anything when decoded or unpickled
            self._lost(sqlite3.DatabaseError(f"a damaged key: {exc}"))
            return []

    def volume(self) -> int:
        return int(self._guarded(lambda store: store.volume(), 0))

    def clear(self) -> None:
        """Drop everything; a database too damaged to clear is deleted instead."""
        try:
            self._current().clear()
        except Exception:  # whatever is damaged goes with the rest
            with self._lock:
                if self._store is not None:
                    with contextlib.suppress(Exception):
                        self._store.close()
                self._store = None
            wipe(self.directory)

    def close(self) -> None:
        with self._lock:
            store, self._store = self._store, None
        if store is not None:
            with contextlib.suppress(Exception):
                store.close()
        if self._reset_at_close:
            self._reset_at_close = False
            wipe(self.directory)
