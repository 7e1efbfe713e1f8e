"""`backup`: raw JSON of every endpoint into a directory that appears complete or not at all.

Every list endpoint is read completely (its own page cap) through the same pool, limiter, retry
and cache as the exports. Token mode reads `/sync`, `/users/me` and `/users/hidden`; public mode
`/users/NAME` (what the profile makes public). An endpoint the account may not read
(401/403/404/426) gets no file, a manifest entry saying why and one warning. Listings are cached
under their last_activities stamps, so a repeat backup with nothing changed costs
last_activities + settings + stats (SPEC §7: at most 3). The profile rides on the settings
answer, whose `user` object is the account's full profile: the cached profile is used while
that object is unchanged, for up to `ttl_hours.validated`. Stats carry no stamp of their own and
hold counts (followers…) that move without any activity: always read live. Where the files go:
`run/backupdir.py`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from trakt_export import __version__
from trakt_export.config import Settings
from trakt_export.errors import (
    MalformedDataError,
    OutputError,
    TraktExportError,
)
from trakt_export.run.backupdir import (
    MANIFEST,
    TOOL,
    Target,
    VerifyResult,
    choose_target,
    confirm,
    discard,
    put_in_place,
    sha256,
    staging_for,
    verify,
)
from trakt_export.run.lifecycle import lifecycle
from trakt_export.run.session import Options, connect
from trakt_export.sources.api import (
    ACTIVITY_KEYS,
    PAGE_LIMIT,
    Route,
    TraktAPI,
    activity_stamp,
    gather_all,
    recheck,
)
from trakt_export.transport.client import decode_json
from trakt_export.transport.metrics import Metrics

log = logging.getLogger(__name__)

# file stem -> sync endpoint (relative to /sync or /users/NAME)
BACKUP_ENDPOINTS = {
    "history-movies": "history/movies",
    "history-episodes": "history/episodes",
    "watched-movies": "watched/movies",
    "watched-shows": "watched/shows",
    "ratings-movies": "ratings/movies",
    "ratings-shows": "ratings/shows",
    "ratings-seasons": "ratings/seasons",
    "ratings-episodes": "ratings/episodes",
    "collection-movies": "collection/movies",
    "collection-shows": "collection/shows",
    "watchlist": "watchlist",
}
# Watched shows carry their seasons and episodes only with extended=progress (page cap 100).
WATCHED_SHOWS_QUERY = "extended=progress&specials=true"
WATCHED_SHOWS_CAP = 100
HIDDEN_SECTIONS = (
    "calendar",
    "progress_watched",
    "progress_collected",
    "recommendations",
    "comments",
    "dropped",
)
HIDDEN_KEYS = (
    "movies.hidden_at",
    "shows.hidden_at",
    "seasons.hidden_at",
    "shows.dropped_at",
    "comments.blocked_at",
)
COMMENT_KEYS = tuple(
    f"{s}.commented_at" for s in ("movies", "shows", "seasons", "episodes", "lists")
)
LIST_KEYS = ACTIVITY_KEYS["lists"]  # lists.json and every list's items
REFUSED = {401: "not authorized", 403: "forbidden", 404: "not found", 426: "needs Trakt VIP"}


@dataclass(frozen=True, slots=True)
class Part:
    """One file of the backup: a paginated listing, or a single GET (`paged=False`, live)."""

    file: str
    path: str  # absolute, query included
    keys: tuple[str, ...] = ()
    cap: int = PAGE_LIMIT
    paged: bool = True


@dataclass(slots=True)
class Fetched:
    part: Part
    data: Any = None
    announced: int | None = None
    pages: int = 1
    activity: str | None = None
    status: int | None = None  # set when the endpoint was refused
    reason: str = ""
    live: bool = False  # a listing some page of which came from Trakt (not the cache)


@dataclass(slots=True)
class BackupResult:
    directory: Path
    files: int
    items: int
    stats: Metrics
    elapsed: float
    unavailable: list[str] = field(default_factory=list)

    def summary(self, warnings: int = 0) -> str:
        from trakt_export.transport.metrics import plural, summary_tail

        missing = f", {len(self.unavailable)} not available" if self.unavailable else ""
        return (
            f"Backed up {plural(self.items, 'item')} to {self.directory} "
            f"({plural(self.files, 'file')} and manifest.json{missing}); "
            f"{summary_tail(self.stats, warnings, self.elapsed)}"
        )


def default_directory(now: datetime) -> Path:
    return Path(f"trakt-backup-{now.strftime('%Y%m%d-%H%M%S')}")


def plan(api: TraktAPI) -> tuple[list[Part], list[str]]:
    """The parts this mode can read, and the files only a login can (public mode)."""
    base = f"/users/{api.user}" if api.public else "/users/me"
    sync = base if api.public else "/sync"
    parts = []
    for stem, endpoint in BACKUP_ENDPOINTS.items():
        path, cap = f"{sync}/{endpoint}", PAGE_LIMIT
        if endpoint == "watched/shows":
            path, cap = f"{path}?{WATCHED_SHOWS_QUERY}", WATCHED_SHOWS_CAP
        parts.append(Part(f"{stem}.json", path, ACTIVITY_KEYS.get(endpoint, ()), cap))
    parts += [
        Part("lists.json", f"{base}/lists", LIST_KEYS),
        Part("favorites.json", f"{base}/favorites", ACTIVITY_KEYS["favorites"]),
        Part("comments.json", f"{base}/comments/all/all?include_replies=true", COMMENT_KEYS),
        Part("notes.json", f"{base}/notes", ("notes.updated_at",)),
        Part("profile.json", f"{base}?extended=full", paged=False),
        Part("stats.json", f"{base}/stats", paged=False),
    ]
    token_only = [
        Part("playback.json", "/sync/playback", ("movies.paused_at", "episodes.paused_at")),
        *(Part(f"hidden-{s}.json", f"/users/hidden/{s}", HIDDEN_KEYS) for s in HIDDEN_SECTIONS),
    ]
    if api.public:
        return parts, [p.file for p in token_only] + ["settings.json", "last_activities.json"]
    return parts + token_only, []


def list_parts(api: TraktAPI, lists: Any) -> list[Part]:
    """One part per personal list: its items, by Trakt id, in a file named by its slug."""
    base = f"/users/{api.user}" if api.public else "/users/me"
    parts: list[Part] = []
    taken: set[str] = set()
    for lst in lists if isinstance(lists, list) else []:
        ids = lst.get("ids") if isinstance(lst, dict) else None
        ids = ids if isinstance(ids, dict) else {}
        trakt = ids.get("trakt")
        if not isinstance(trakt, int):
            raise MalformedDataError("Trakt sent a personal list without a Trakt id.")
        slug = re.sub(r"[^A-Za-z0-9._-]", "-", str(ids.get("slug") or "")).strip(".-")
        name = f"list-{slug}.json" if slug else f"list-{trakt}.json"
        if name in taken:
            name = f"list-{slug}-{trakt}.json"
        taken.add(name)
        parts.append(Part(name, f"{base}/lists/{trakt}/items", LIST_KEYS))
    return parts


def vouch_of(account: Any) -> str | None:
    """The settings answer's `user` object as a stamp (a digest): the profile is that object,
    so while it is unchanged the cached profile is too (None: no such object, read live)."""
    user = account.get("user") if isinstance(account, dict) else None
    if not isinstance(user, dict):
        return None
    canonical = json.dumps(user, sort_keys=True, ensure_ascii=False)
    return "settings.user:" + hashlib.sha256(canonical.encode()).hexdigest()


async def fetch_part(
    api: TraktAPI, part: Part, strict: bool = False, vouch: str | None = None
) -> Fetched:
    try:
        if not part.paged:
            path, _, query = part.path.partition("?")
            # Vouched (the profile, token mode): cached under the stamp `vouch`, validated TTL.
            hint = None
            if vouch is not None:
                hint = {"kind": "sync", "account": api.account, "activity": vouch}
                hint["ttl"] = "validated"
            response = await api.get(path, dict(parse_qsl(query)), hint)
            return Fetched(part, decode_json(response))
        api.routes[part.path] = Route(part.path, part.keys, part.cap)
        listing = await api.listing(part.path)
    except TraktExportError as error:
        if strict or error.status not in REFUSED:
            raise
        reason = f"Trakt answered {error.status} ({REFUSED[error.status]})"
        log.warning("%s not backed up: %s.", part.file, reason)
        return Fetched(part, status=error.status, reason=reason)
    # The stamp this listing was validated against (public mode has none).
    activity = None if api.public else activity_stamp(api.activities, part.path, part.keys)
    return Fetched(
        part, listing.items, listing.announced, listing.pages, activity, live=listing.live
    )


async def fetch_backup(
    settings: Settings, options: Options
) -> tuple[str, list[Fetched], list[str], dict[str, Any]]:
    """Every part of the backup; the account, the login-only files skipped, and the extras."""
    async with connect(settings, options) as api:
        account = await api.start()
        parts, login_only = plan(api)
        if api.public:  # a private profile fails here, before anything else is read
            profile = next(p for p in parts if p.file == "profile.json")
            parts.remove(profile)
            first = [await fetch_part(api, profile, strict=True)]
        else:
            first = []

        user = account.get("user") if account is not None else (first[0].data if first else None)
        if _not_vip(user):  # VIP-only notes: known refused without asking (426)
            notes = next(p for p in parts if p.file == "notes.json")
            parts.remove(notes)
            reason = "needs Trakt VIP (the account is not VIP)"
            log.warning("%s not backed up: %s.", notes.file, reason)
            first.append(Fetched(notes, status=426, reason=reason))

        vouch = vouch_of(account)

        def each(chosen: list[Part]) -> list[Coroutine[Any, Any, Fetched]]:
            return [
                fetch_part(api, p, vouch=vouch if p.file == "profile.json" else None)
                for p in chosen
            ]

        fetched = first + await gather_all(each(parts))
        lists = next(f for f in fetched if f.part.file == "lists.json")
        if lists.status is None:
            fetched += await gather_all(each(list_parts(api, lists.data)))
        if not api.public and any(f.live for f in fetched):  # a listing came live: consistent?
            fetched = await _consistent(api, fetched)
        extras: dict[str, Any] = {}
        if account is not None:
            extras["last_activities"] = dict(api.activities)
            extras["settings"] = dict(account)
        return api.account, fetched, login_only, extras


async def _consistent(api: TraktAPI, fetched: list[Fetched]) -> list[Fetched]:
    """SPEC §4 for the backup (the exports' re-check, api.recheck): read last_activities again
    once every part arrived; parts whose stamps moved meanwhile are read again, so every file
    holds the data of one moment. A backup answered wholly from the cache is consistent by
    construction."""
    index = {got.part.file: i for i, got in enumerate(fetched)}

    async def changed() -> list[str]:
        fresh = decode_json(await api.get("/sync/last_activities"))
        if not isinstance(fresh, dict):
            raise MalformedDataError("Trakt sent unexpected last_activities data.")
        api.activities = fresh
        return [
            got.part.file
            for got in fetched
            if got.status is None
            and got.part.paged
            and activity_stamp(fresh, got.part.path, got.part.keys) != got.activity
        ]

    async def reread(files: list[str]) -> None:
        again = await gather_all(fetch_part(api, fetched[index[f]].part) for f in files)
        for file, got in zip(files, again, strict=True):
            fetched[index[file]] = got

    await recheck(changed, reread, "backed up")
    return fetched


def _not_vip(user: Any) -> bool:
    """True when the profile/settings user says plainly that the account is not VIP."""
    if not isinstance(user, dict) or "vip" not in user:
        return False
    return not (user.get("vip") or user.get("vip_ep"))


def _dump(value: Any) -> bytes:
    """JSON as Trakt sent it: a list one item per line (fast, diffable), an object indented."""
    if isinstance(value, list):
        if not value:
            return b"[]\n"
        lines = ",\n".join(json.dumps(item, ensure_ascii=False) for item in value)
        return f"[\n{lines}\n]\n".encode()
    return json.dumps(value, ensure_ascii=False, indent=2).encode() + b"\n"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def build_files(
    fetched: list[Fetched], login_only: list[str], extras: dict[str, Any]
) -> tuple[dict[str, bytes], dict[str, Any], dict[str, Any], int]:
    """File bytes by name, the manifest's `files` and `unavailable`, and the item count."""
    blobs: dict[str, bytes] = {}
    files: dict[str, Any] = {}
    unavailable: dict[str, Any] = {}
    items = 0
    for got in fetched:
        endpoint, _, query = got.part.path.partition("?")
        if got.status is not None:
            unavailable[got.part.file] = {
                "endpoint": endpoint,
                "status": got.status,
                "reason": got.reason,
            }
            continue
        blob = _dump(got.data)
        blobs[got.part.file] = blob
        entry: dict[str, Any] = {"endpoint": endpoint, "query": dict(parse_qsl(query))}
        if got.part.paged:
            served = len(got.data)
            items += served
            entry |= {
                "page_limit": min(PAGE_LIMIT, got.part.cap),
                "pages": got.pages,
                "announced": got.announced,
                "served": served,  # distinct items served (counts are advisory, SPEC §4)
                "items": served,
                "activity": got.activity,
            }
        files[got.part.file] = entry
    for name, value in extras.items():
        blobs[f"{name}.json"] = _dump(value)
        endpoint = "/sync/last_activities" if name == "last_activities" else "/users/settings"
        files[f"{name}.json"] = {"endpoint": endpoint, "query": {}}
    for name in login_only:
        unavailable[name] = {"status": None, "reason": "needs a login (public-profile mode)"}
    if login_only:
        log.warning(
            "public-profile mode: %s need a login; not backed up.", ", ".join(sorted(login_only))
        )
    for name, blob in blobs.items():
        files[name]["bytes"] = len(blob)
    return blobs, dict(sorted(files.items())), dict(sorted(unavailable.items())), items


def write_backup(
    target: Target, blobs: dict[str, bytes], manifest: dict[str, Any], now: datetime
) -> Path:
    """Write every file into a hidden sibling directory, then put it in place by the rule."""
    target = confirm(target, now)
    staging = staging_for(target.path)
    try:
        for name, blob in blobs.items():
            path = staging / name
            path.write_bytes(blob)
            manifest["files"][name]["sha256"] = sha256(path)
        manifest["ended_at"] = _iso(datetime.now(UTC))
        (staging / MANIFEST).write_bytes(_dump(manifest))
        put_in_place(staging, target)
    except OSError as exc:
        raise OutputError(
            f"cannot write the backup {target.path}: {exc.strerror or exc}.",
            "Nothing was left behind; free space or choose another place with -o.",
        ) from exc
    finally:
        discard(staging)
    return target.path


def run_backup(settings: Settings, options: Options, now: datetime | None = None) -> BackupResult:
    now = now or datetime.now(UTC)
    with lifecycle(settings, options) as run:
        parent = Path(settings.export.output_dir).expanduser()
        target = choose_target(options.output, parent, now.astimezone())
        account, fetched, login_only, extras = run.loop(fetch_backup(settings, run.options))
        blobs, files, unavailable, items = build_files(fetched, login_only, extras)
        manifest: dict[str, Any] = {
            "tool": TOOL,
            "version": __version__,
            "account": account or settings.trakt.username,
            "mode": "public" if login_only else "token",
            "created_at": _iso(now),
            "started_at": _iso(now),
            "ended_at": None,
            "files": files,
            "unavailable": unavailable,
        }
        directory = write_backup(target, blobs, manifest, now.astimezone())
    return BackupResult(directory, len(blobs), items, run.metrics, run.elapsed, sorted(unavailable))


def run_verify(directory: Path) -> VerifyResult:
    return verify(directory)
