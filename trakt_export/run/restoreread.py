"""`restore`'s reads: the verified backup from disk, and the account as `backup` reads it
(its parts and `fetch_part`, live), waiting after writes until Trakt's stamps show them."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from trakt_export.run.backup import fetch_part, list_parts, plan
from trakt_export.run.backupdir import read_manifest, verify
from trakt_export.sources.api import TraktAPI, gather_all

SETTLE_TRIES = 10  # reads after writes: seconds to wait for last_activities to catch up
Sleep = Callable[[float], Awaitable[object]]
READ_FILES = (
    "history-",
    "ratings-",
    "collection-",
    "watchlist",
    "lists.json",
    "favorites",
    "hidden-",
)


def read_backup(directory: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The verified backup's manifest and its files, parsed."""
    verify(directory)  # VerifyError (exit 2) names what is missing or differs
    manifest = read_manifest(directory) or {}
    files = {}
    for name in manifest.get("files", {}):
        files[name] = json.loads((directory / name).read_bytes())
    return manifest, files


async def read_account(
    api: TraktAPI, after: float | None = None, sleep: Sleep | None = None
) -> dict[str, Any]:
    """The account's restorable listings, read as `backup` reads them (live). After writes, the
    read counts only once last_activities shows a time at or after the last acknowledged one
    (`after`, Trakt's own clock): until then Trakt may still serve the state before it."""
    for _ in range(SETTLE_TRIES):
        await api.start()
        if after is None or _epoch(api.activities.get("all")) >= after:
            break
        await (sleep or asyncio.sleep)(1.0)
    parts = [p for p in plan(api)[0] if p.file.startswith(READ_FILES)]
    fetched = await gather_all(fetch_part(api, p) for p in parts)
    files = {f.part.file: f.data for f in fetched if f.status is None}
    lists = files.get("lists.json")
    if isinstance(lists, list) and lists:
        more = await gather_all(fetch_part(api, p) for p in list_parts(api, lists))
        files |= {f.part.file: f.data for f in more if f.status is None}
    return files


def _epoch(stamp: Any) -> float:
    try:
        return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return math.inf  # no stamp to compare: nothing to wait for
