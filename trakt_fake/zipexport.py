"""Writes Trakt's data-export ZIP (Settings > Data > Export) from any fake dataset.

Each file holds the complete, unpaginated JSON of the matching API endpoint, in the API's item
shape; the history is split in numbered chunks (`watched-history-1.json`, `-2.json`, ...).
Every other layout real exports use (paged kinds, category folders, `__MACOSX/`, extras, two
accounts) is written by `trakt_fake.ziplayouts.write_trakt_zip`.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from trakt_fake.records import Dataset
from trakt_fake.server import FakeTrakt

HISTORY_CHUNK = 1000  # events per watched-history-N.json

# File name -> the API endpoint whose full JSON it holds.
FILES: dict[str, str] = {
    "watched-movies.json": "watched/movies",
    "watched-shows.json": "watched/shows",
    "ratings-movies.json": "ratings/movies",
    "ratings-shows.json": "ratings/shows",
    "ratings-seasons.json": "ratings/seasons",
    "ratings-episodes.json": "ratings/episodes",
    "collection-movies.json": "collection/movies",
    "collection-shows.json": "collection/shows",
    "lists-watchlist.json": "watchlist",
}


def _dump(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def write_export_zip(
    source: FakeTrakt | Dataset,
    username: str,
    path: Path,
    layout: str = "root",
    *,
    history_chunk: int = HISTORY_CHUNK,
) -> Path:
    """Write `username`'s export to `path`; layout "root" or "nested" (under `<username>/`)."""
    if layout not in ("root", "nested"):
        raise ValueError(f"layout must be 'root' or 'nested', not {layout!r}")
    if history_chunk < 1:
        raise ValueError("history_chunk must be at least 1")
    fake = source if isinstance(source, FakeTrakt) else FakeTrakt(source)
    prefix = f"{username}/" if layout == "nested" else ""
    history = fake.user_json(username, "history")
    chunks = [history[i : i + history_chunk] for i in range(0, len(history), history_chunk)]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for number, chunk in enumerate(chunks or [[]], start=1):
            archive.writestr(f"{prefix}watched-history-{number}.json", _dump(chunk))
        for name, endpoint in FILES.items():
            archive.writestr(prefix + name, _dump(fake.user_json(username, endpoint)))
        archive.writestr(prefix + "user-settings.json", _dump(fake.user_json(username, "settings")))
    return path
