"""The on-disk response cache (diskcache): lookup rules, hit/miss counters, stats, prune, clear.

Only GET 200 responses of requests carrying a cache hint (`extensions.HINT`, a `CacheHint`:
`kind`, `account`, `activity`) are stored. An entry with an activity stamp is valid while the
stamp is unchanged, whatever its age; one without lives for its kind's TTL.

Listing pages (hints carrying `listing` and a `transport.stage.Stage`) are stored under the
stage's token, invisible to lookups, until the listing passed its checks: `commit_stage` then
writes the listing's record (token, activity stamp, time), which is what lookups go through; a
dropped stage's pages are deleted. A record vouched by an activity stamp lives
`ttl_hours.validated`.

The disk itself is `cachestore.SafeStore`'s (damage never fails a run). Every entry and record
carries a seal, a checksum with its key: one that does not match, or a body that is not JSON,
is a damaged entry, dropped and read as a miss, never served nor blamed on Trakt.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import json
import logging
import time
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, cast

import httpx

from trakt_export.transport.cachestore import SafeStore
from trakt_export.transport.extensions import (
    DEFERRED,
    FROM_CACHE,
    HINT,
    PARSED_JSON,
    CacheHint,
    hint_of,
)
from trakt_export.transport.stage import Stage

if TYPE_CHECKING:
    from trakt_export.config import Settings

log = logging.getLogger(__name__)

__all__ = ["HINT", "APICache", "CacheFigures", "CacheTransport", "KindFigures", "cache_directory"]

DEFAULT_TTL_HOURS = 24.0
# Headers that describe the wire, not the data: the stored body is already decoded.
_DROP_HEADERS = frozenset(
    {"content-encoding", "content-length", "transfer-encoding", "connection", "set-cookie"}
)


class KindFigures(TypedDict):
    """What `cache stats` says about one kind of entry (and, with by_kind, about all)."""

    entries: int
    size_bytes: int
    hits: int
    misses: int
    hit_rate: float
    expired: int


class CacheFigures(KindFigures):
    by_kind: dict[str, KindFigures]


_COUNTER = "counter"  # counter keys are tuples (_COUNTER, kind, "hits"|"misses")
_LISTING = "listing"  # listing records: (_LISTING, account, listing) -> token, activity, ...
_SEEN = "seen"  # (_SEEN, listing): some account has a record for this listing
SEAL = "seal"  # the checksum field of every entry and record (see `_seal`)
MAX_PENDING = 8  # stores queued for the writer thread at most: bodies never pile up
FIGURES = ("entries", "size_bytes", "hits", "misses", "hit_rate", "expired")


def cache_directory(settings: Settings) -> Path:
    return Path(settings.cache.dir or settings.paths.cache_dir).expanduser()


def empty_stats() -> CacheFigures:
    """What `stats()` says about a cache that was never written."""
    return cast(CacheFigures, {**dict.fromkeys(FIGURES, 0), "hit_rate": 0.0, "by_kind": {}})


class APICache:
    """Responses keyed by account + URL (host, path, sorted query); never by token."""

    def __init__(
        self,
        directory: Path,
        ttl_hours: Mapping[str, float],
        now: Callable[[], float] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.ttl_hours = dict(ttl_hours)
        self.now: Callable[[], float] = now or time.time  # wall time: entries outlive the run
        self.store = SafeStore(self.directory)
        # Hits and misses of this run, added to the persisted counters on flush/close: one
        # write per kind and outcome instead of a database write on every lookup.
        self._counts: collections.Counter[tuple[str, str]] = collections.Counter()

    def flush(self) -> None:
        """Persist this run's hit/miss counts."""
        for (kind, outcome), count in self._counts.items():
            self.store.incr((_COUNTER, kind, outcome), count)
        self._counts.clear()

    def close(self) -> None:
        if self._counts:
            self.flush()
        self.store.close()

    # ----- entries -------------------------------------------------------------------------

    @staticmethod
    def key(request: httpx.Request, hint: CacheHint) -> str:
        url = request.url
        query = "&".join(f"{k}={v}" for k, v in sorted(url.params.multi_items()))
        return f"{hint.get('account', '')}|{url.host}{url.path}?{query}"

    def ttl_seconds(self, kind: str) -> float:
        return float(self.ttl_hours.get(kind, DEFAULT_TTL_HOURS)) * 3600.0

    def expired(self, entry: Mapping[str, Any]) -> bool:
        ttl = self.ttl_seconds(str(entry.get("ttl") or entry["kind"]))
        return self.now() - float(entry["stored_at"]) > ttl

    def lookup(self, request: httpx.Request, hint: CacheHint) -> httpx.Response | None:
        """The cached response if still valid; counts a hit or a miss for the hint's kind."""
        kind = str(hint.get("kind", "sync"))
        key = self.key(request, hint)
        entry = self._entry(key, self.store.get(key))
        fresh = entry is not None and self._valid(entry, hint.get("activity"))
        return self._answer(request, kind, key, entry if fresh else None)

    def _answer(
        self, request: httpx.Request, kind: str, key: str, entry: Mapping[str, Any] | None
    ) -> httpx.Response | None:
        """Count a hit or a miss for `kind`; a hit becomes the stored response again. Its body
        is parsed here, once (decode_json reuses it): a body that is not JSON is a damaged
        entry, dropped and counted as a miss, never blamed on Trakt."""
        response = None
        if entry is not None:
            try:
                parsed = json.loads(entry["body"])
            except ValueError:
                self.store.drop(key)
            else:
                response = httpx.Response(
                    entry["status"],
                    headers=entry["headers"],
                    content=entry["body"],
                    request=request,
                    extensions={FROM_CACHE: True, PARSED_JSON: parsed},
                )
        self._counts[(kind, "hits" if response is not None else "misses")] += 1
        return response

    def _entry(self, key: Any, value: Any) -> dict[str, Any] | None:
        """A stored response as `entry_of` wrote it, or None; a damaged one is dropped."""
        if value is None:
            return None
        if not (_well_formed(value) and _intact(key, value)):
            self.store.drop(key)
            return None
        return cast(dict[str, Any], value)

    def _valid(self, entry: Mapping[str, Any], activity: Any) -> bool:
        stored = entry.get("activity")
        if stored is not None:
            # unchanged on Trakt: valid whatever its age, but a single read vouched for by
            # another answer (ttl "validated": the backup's profile) lives up to that TTL
            fresh = entry.get("ttl") != "validated" or not self.expired(entry)
            return bool(stored == activity) and fresh
        return activity is None and not self.expired(entry)

    def save(self, request: httpx.Request, hint: CacheHint, response: httpx.Response) -> None:
        self.put(self.key(request, hint), entry_of(hint, response, self.now()))

    def put(self, key: str, entry: dict[str, Any]) -> None:
        self.store.set(key, sealed(key, entry))

    # ----- listing snapshots ----------------------------------------------------------------

    @staticmethod
    def page_key(request: httpx.Request, token: str) -> str:
        url = request.url
        query = "&".join(f"{k}={v}" for k, v in sorted(url.params.multi_items()))
        return f"{url.host}{url.path}?{query}#{token}"

    def record(self, account: str, listing: str) -> dict[str, Any] | None:
        key = (_LISTING, account, listing)
        value = self.store.get(key)
        if value is None:
            return None
        if not (_well_formed_record(value) and _intact(key, value)):
            self.store.drop(key)
            return None
        return cast(dict[str, Any], value)

    def holds(self, listing: str) -> bool:
        """Whether any account has a cached snapshot of `listing` (asked before the account
        is known, so a shared cache dir errs towards looking up)."""
        return self.store.get((_SEEN, listing)) is not None

    def record_valid(self, record: Mapping[str, Any], activity: Any) -> bool:
        age = self.now() - float(record["stored_at"])
        stored = record.get("activity")
        if stored is not None:
            return bool(stored == activity) and age <= self.ttl_seconds("validated")
        return activity is None and age <= self.ttl_seconds(str(record.get("kind", "sync")))

    def lookup_page(
        self, request: httpx.Request, hint: CacheHint, record: Mapping[str, Any] | None
    ) -> httpx.Response | None:
        """A listing page from the committed snapshot `record`; counts a hit or a miss."""
        kind = str(hint.get("kind", "sync"))
        entry, key = None, ""
        if record is not None and self.record_valid(record, hint.get("activity")):
            key = self.page_key(request, str(record["token"]))
            entry = self._entry(key, self.store.get(key))
        return self._answer(request, kind, key, entry)

    def commit(self, account: str, listing: str, record: dict[str, Any]) -> None:
        """Make a stage's pages the listing's snapshot; the previous snapshot's pages go."""
        old = self.record(account, listing)
        key = (_LISTING, account, listing)
        self.store.set(key, sealed(key, record))
        self.store.set((_SEEN, listing), True)
        if old is not None:
            keep = set(record["keys"])
            for key in old.get("keys", ()):
                if key not in keep:
                    self.store.delete(key)

    def discard(self, keys: list[str]) -> None:
        for key in keys:
            self.store.delete(key)

    # ----- maintenance ---------------------------------------------------------------------

    def _entries(self) -> list[tuple[str, dict[str, Any]]]:
        out = []
        for key in self.store.every_key():
            if isinstance(key, str):
                entry = self._entry(key, self.store.get(key))
                if entry is not None:
                    out.append((key, entry))
        return out

    def stats(self) -> CacheFigures:
        """entries, size_bytes, hits, misses, hit_rate, expired; the same per kind in by_kind."""
        self.flush()
        by_kind: dict[str, dict[str, Any]] = {}

        def slot(kind: str) -> dict[str, Any]:
            return by_kind.setdefault(
                kind, {"entries": 0, "size_bytes": 0, "hits": 0, "misses": 0, "expired": 0}
            )

        for _, entry in self._entries():
            figures = slot(str(entry["kind"]))
            figures["entries"] += 1
            figures["size_bytes"] += len(entry["body"])
            figures["expired"] += int(self.expired(entry))
        for key in self.store.every_key():
            if isinstance(key, tuple) and len(key) == 3 and key[0] == _COUNTER:
                count = self.store.get(key)
                if not isinstance(count, int) or count < 0:
                    if count is not None:
                        self.store.drop(key)
                    continue
                slot(str(key[1]))[str(key[2])] += count
        for figures in by_kind.values():
            figures["hit_rate"] = _rate(figures["hits"], figures["misses"])
        total = {
            name: sum(f[name] for f in by_kind.values())
            for name in ("entries", "hits", "misses", "expired")
        }
        return {
            "entries": total["entries"],
            "size_bytes": self.store.volume(),
            "hits": total["hits"],
            "misses": total["misses"],
            "hit_rate": _rate(total["hits"], total["misses"]),
            "expired": total["expired"],
            "by_kind": {kind: cast(KindFigures, by_kind[kind]) for kind in sorted(by_kind)},
        }

    def prune(self) -> int:
        """Drop entries older than their kind's TTL; returns how many."""
        removed = 0
        for key, entry in self._entries():
            if self.expired(entry) and self.store.delete(key):
                removed += 1
        return removed

    def reset_counters(self) -> None:
        """Zero the hit/miss counters (`cache stats --reset`); entries stay."""
        self._counts.clear()
        for key in self.store.every_key():
            if isinstance(key, tuple) and len(key) == 3 and key[0] == _COUNTER:
                self.store.delete(key)

    def clear(self) -> int:
        """Drop everything, counters included; returns how many entries there were."""
        count = len(self._entries())
        self._counts.clear()
        self.store.clear()
        return count


def entry_of(hint: CacheHint, response: httpx.Response, now: float) -> dict[str, Any]:
    """What the cache keeps of a response: status, data headers, the decoded body."""
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _DROP_HEADERS]
    return {
        "status": response.status_code,
        "headers": headers,
        "body": response.content,
        "stored_at": now,
        "activity": None if hint.get("listing") else hint.get("activity"),
        "kind": str(hint.get("kind", "sync")),
        "ttl": str(hint.get("ttl") or hint.get("kind", "sync")),
    }


def _well_formed(value: Any) -> bool:
    """Whether a stored value is an entry as `entry_of` wrote it, its body intact (entries of
    earlier versions carry no checksum and are taken as they are)."""
    if not isinstance(value, dict):
        return False
    try:
        body = value["body"]
        ok = (
            isinstance(value["status"], int)
            and isinstance(body, bytes)
            and isinstance(value["kind"], str)
            and isinstance(value["stored_at"], int | float)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in value["headers"])
        )
    except (KeyError, TypeError, ValueError):
        return False
    return ok


def _seal(key: Any, value: Mapping[str, Any]) -> int:
    """A checksum of an entry or record with the key it is stored under: sqlite checks no
    data, so a damaged page can change a body, a header, a stamp, or move an entry to
    another key, and still read back as a well-formed value."""
    fields = sorted((name, item) for name, item in value.items() if name not in ("body", SEAL))
    return zlib.crc32(value.get("body", b""), zlib.crc32(repr((key, fields)).encode()))


def sealed(key: Any, value: dict[str, Any]) -> dict[str, Any]:
    return {**value, SEAL: _seal(key, value)}


def _intact(key: Any, value: Mapping[str, Any]) -> bool:
    """The seal matches (values of earlier versions carry none and are taken as they are)."""
    return SEAL not in value or value[SEAL] == _seal(key, value)


def _well_formed_record(value: Any) -> bool:
    """Whether a stored value is a listing record as `commit_stage` wrote it."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("token"), str)
        and isinstance(value.get("stored_at"), int | float)
        and isinstance(value.get("keys"), list)
    )


def _failed(future: asyncio.Future[None]) -> bool:
    return not future.cancelled() and future.exception() is not None


def _rate(hits: int, misses: int) -> float:
    return round(hits / (hits + misses), 4) if hits + misses else 0.0


class CacheTransport(httpx.AsyncBaseTransport):
    """Outermost layer: hits never reach retry or the limiter; misses are stored on 200 (listing
    pages staged until their listing is committed, see `transport.stage.Stage`)."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        cache: APICache,
        *,
        mode: str = "use",
        max_pending: int = MAX_PENDING,
    ) -> None:
        self.inner = inner
        self.cache = cache
        self.mode = mode
        # Stores run on one background thread (sqlite and file writes release the GIL), off the
        # event loop that is meanwhile sending the next requests; aclose() waits for them all.
        # At most `max_pending` bodies wait for it: a slow disk slows the fetch, never grows
        # memory (SPEC §7).
        self._writer: concurrent.futures.ThreadPoolExecutor | None = None
        self._pending: list[asyncio.Future[None]] = []
        self._room = asyncio.Semaphore(max(max_pending, 1))
        self.held = 0  # bodies queued for the writer right now
        self.most_held = 0
        self._records: dict[tuple[str, str], dict[str, Any] | None] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        hint = hint_of(request)
        if request.method != "GET" or hint is None or self.mode == "off":
            return await self.inner.handle_async_request(request)
        stage = hint.get("stage")
        listing = hint.get("listing")
        if isinstance(stage, Stage) and isinstance(listing, str):
            return await self._listing_page(request, hint, stage, listing)
        if self.mode == "use":
            hit = self.cache.lookup(request, hint)
            if hit is not None:
                return hit
        response = await self.inner.handle_async_request(request)
        if response.status_code == 200:
            await response.aread()  # retry already validated the JSON of a 200
            key = self.cache.key(request, hint)
            await self._store(self.cache.put, key, hint, response, keep_on_cancel=True)
        return response

    async def _listing_page(
        self, request: httpx.Request, hint: CacheHint, stage: Stage, listing: str
    ) -> httpx.Response:
        kind = str(hint.get("kind", "sync"))
        if self.mode == "use" and hint.get("probe"):
            if self.cache.holds(listing):  # look it up once the activity stamp is known
                return httpx.Response(204, request=request, extensions={DEFERRED: True})
            self.cache._counts[(kind, "misses")] += 1
        elif self.mode == "use" and hint.get("lookup", True):
            account = str(hint.get("account", ""))
            if (account, listing) not in self._records:
                self._records[(account, listing)] = self.cache.record(account, listing)
            hit = self.cache.lookup_page(request, hint, self._records[(account, listing)])
            if hit is not None:
                return hit
        response = await self.inner.handle_async_request(request)
        if response.status_code == 200:
            await response.aread()
            key = self.cache.page_key(request, stage.token)
            stage.keys.append(key)
            stage.sink = self
            await self._store(self.cache.put, key, hint, response)
        return response

    async def _store(
        self,
        put: Callable[[str, dict[str, Any]], None],
        key: str,
        hint: CacheHint,
        response: httpx.Response,
        keep_on_cancel: bool = False,
    ) -> None:
        """Queue one store for the writer thread, waiting while `max_pending` are queued. An
        independent answer (per-film people) cancelled while it waits is stored anyway: it was
        paid for, and an interrupted `--directors all` run resumes from what arrived."""
        entry = entry_of(hint, response, self.cache.now())  # the body bytes, not the response
        try:
            await self._room.acquire()
        except asyncio.CancelledError:
            if keep_on_cancel:
                self._submit(put, key, entry)
            raise
        self.held += 1
        self.most_held = max(self.most_held, self.held)
        self._submit(put, key, entry, release=True)

    def _submit(self, fn: Callable[..., None], *args: Any, release: bool = False) -> None:
        if self._writer is None:
            self._writer = concurrent.futures.ThreadPoolExecutor(1, "trakt-export-cache")
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._writer, fn, *args)
        if release:
            future.add_done_callback(self._released)
        self._pending = [f for f in self._pending if not f.done() or _failed(f)]
        self._pending.append(future)

    def _released(self, _: object) -> None:
        self.held -= 1
        self._room.release()

    # ----- snapshot.StageSink ---------------------------------------------------------------

    def commit_stage(self, stage: Stage) -> None:
        """After the stage's stores (one writer thread: in order), write the listing record."""
        record = {
            "token": stage.token,
            "activity": stage.activity,
            "stored_at": self.cache.now(),
            "kind": "sync",
            "keys": list(stage.keys),
        }
        self._records[(stage.account, stage.listing)] = record
        self._submit(self.cache.commit, stage.account, stage.listing, record)

    def drop_stage(self, stage: Stage) -> None:
        self._submit(self.cache.discard, list(stage.keys))

    async def aclose(self) -> None:
        try:
            await self.inner.aclose()
        finally:
            try:
                if self._pending:
                    await asyncio.gather(*self._pending)
            finally:
                if self._writer is not None:
                    self._writer.shutdown(wait=True)
                self.cache.close()
