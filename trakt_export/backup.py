"""`backup`: raw JSON of every endpoint into a directory that appears complete or not at all.

Every list endpoint is read completely through the same pool, limiter, retry and cache as the
exports, as one consistent snapshot; the manifest records, per file, the items Trakt announced
and the (distinct) items it served: counts are advisory (SPEC §4).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trakt_export import __version__
from trakt_export.config import Settings
from trakt_export.errors import OutputError
from trakt_export.progress import RunStats
from trakt_export.session import Options, connect, locked
from trakt_export.trakt import Listing

# file stem -> endpoint (relative to /sync or /users/NAME)
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


@dataclass(slots=True)
class BackupResult:
    directory: Path
    files: int
    items: int
    stats: RunStats
    elapsed: float

    def summary(self) -> str:
        return (
            f"Backed up {self.items} items to {self.directory} ({self.files} files); "
            f"{self.stats.requests} HTTP requests, {self.stats.cache_hits} cache hits, "
            f"{self.elapsed:.1f} s."
        )


def default_directory(now: datetime) -> Path:
    return Path(f"trakt-backup-{now.strftime('%Y%m%d-%H%M%S')}")


async def fetch_backup(
    settings: Settings, options: Options, stats: RunStats
) -> tuple[dict[str, Listing], dict[str, Any]]:
    """Every endpoint's listing, plus last_activities/settings (token mode only)."""
    async with connect(settings, options, stats) as api:
        account, listings = await api.snapshot(tuple(BACKUP_ENDPOINTS.values()))
        extras: dict[str, Any] = {}
        if account is not None:
            extras["last_activities"] = dict(api.activities)
            extras["settings"] = dict(account)
        return listings, extras


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False).encode() + b"\n"


def write_backup(
    target: Path,
    listings: dict[str, Listing],
    extras: dict[str, Any],
    *,
    account: str,
    now: datetime,
) -> tuple[int, int]:
    """Write every file into a hidden sibling directory, then rename it into place."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        raise OutputError(
            f"cannot create the backup directory {target}: {exc.strerror or exc}.",
            "Choose a writable place with -o.",
        ) from exc
    try:
        manifest: dict[str, Any] = {
            "tool": "trakt-export",
            "version": __version__,
            "created_at": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "account": account,
            "files": {},
        }
        items = 0
        for stem, endpoint in BACKUP_ENDPOINTS.items():
            listing = listings[endpoint]
            (staging / f"{stem}.json").write_bytes(_dump(listing.items))
            manifest["files"][f"{stem}.json"] = {
                "endpoint": endpoint,
                "items": len(listing.items),
                "announced": listing.announced,
                "served": listing.served,
                "pages": listing.pages,
            }
            items += len(listing.items)
        for name, value in extras.items():
            (staging / f"{name}.json").write_bytes(_dump(value))
            manifest["files"][f"{name}.json"] = {"endpoint": name}
        (staging / "manifest.json").write_bytes(_dump(manifest))
        os.chmod(staging, 0o755 & ~_umask())
        _swap_into_place(staging, target)
    except OSError as exc:
        raise OutputError(
            f"cannot write the backup {target}: {exc.strerror or exc}.",
            "Nothing was left behind; free space or choose another place with -o.",
        ) from exc
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return len(manifest["files"]) + 1, items


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _swap_into_place(staging: Path, target: Path) -> None:
    """Rename staging to target; an existing target is replaced only once staging is complete."""
    if not target.exists():
        os.rename(staging, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
    old.rmdir()
    os.rename(target, old)
    try:
        os.rename(staging, target)
    except OSError:
        os.rename(old, target)
        raise
    with contextlib.suppress(OSError):
        shutil.rmtree(old)


def run_backup(settings: Settings, options: Options, now: datetime | None = None) -> BackupResult:
    started = time.perf_counter()
    stats = RunStats()
    now = now or datetime.now(UTC)
    target = Path(options.output) if options.output else default_directory(now.astimezone())
    with locked(settings):
        listings, extras = asyncio.run(fetch_backup(settings, options, stats))
        account = _account_name(extras) or settings.trakt.username
        files, items = write_backup(target, listings, extras, account=account, now=now)
    return BackupResult(target, files, items, stats, time.perf_counter() - started)


def _account_name(extras: dict[str, Any]) -> str:
    user = extras.get("settings", {}).get("user", {})
    return str(user.get("username") or "") if isinstance(user, dict) else ""
