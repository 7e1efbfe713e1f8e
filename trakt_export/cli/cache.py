"""`trakt-export cache stats [--json] [--reset] | prune | clear`: inspect and clean the cache.

Figures go to stdout (they are the command's data); confirmations go to stderr.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from trakt_export.cli.common import load_settings
from trakt_export.cli.console import guarded, say

if TYPE_CHECKING:
    from trakt_export.transport.cache import APICache, CacheFigures, KindFigures

T = TypeVar("T")

app = typer.Typer(
    help="Show cache statistics, or drop expired or all entries.", no_args_is_help=True
)


def _open() -> APICache | None:
    """The configured cache, or None when it was never written (nothing to open or create)."""
    from trakt_export.transport.cache import APICache, cache_directory

    settings = load_settings()
    directory = cache_directory(settings)
    if not directory.is_dir():
        return None
    return APICache(directory, settings.cache.ttl_hours)


@app.command()
@guarded
def stats(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the figures as one JSON object.")
    ] = False,
    reset: Annotated[
        bool, typer.Option("--reset", help="Zero the hit/miss counters (entries stay).")
    ] = False,
) -> None:
    """Entries, size on disk, hits, misses, hit rate and expired entries (total and per kind)."""
    from trakt_export.transport.cache import empty_stats

    def read(cache: APICache) -> CacheFigures:
        if reset:
            cache.reset_counters()
        return cache.stats()

    figures = _with_cache(read, empty_stats())  # opened once: a damaged cache warns once
    if reset:
        say("Reset the cache's hit/miss counters (entries kept).")
    if as_json:
        print(json.dumps(figures, sort_keys=True))
        return
    print(table(figures))


def table(figures: CacheFigures) -> str:
    """A plain aligned table: one line per kind, then the total."""
    head = ("kind", "entries", "size", "hits", "misses", "hit rate", "expired")
    lines = [head]
    rows: list[tuple[str, KindFigures]] = [*sorted(figures["by_kind"].items()), ("total", figures)]
    for kind, f in rows:
        lines.append(
            (
                kind,
                str(f["entries"]),
                _size(f["size_bytes"]),
                str(f["hits"]),
                str(f["misses"]),
                f"{f['hit_rate'] * 100:.1f}%",
                str(f["expired"]),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    )


def _size(count: int) -> str:
    if count < 1000:
        return f"{count} B"
    size = count / 1000
    for unit in ("kB", "MB"):
        if size < 1000:
            return f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


def _with_cache(action: Callable[[APICache], T], absent: T) -> T:
    """Run `action` on the cache and close it; `absent` when no cache was ever written."""
    cache = _open()
    if cache is None:
        return absent
    try:
        return action(cache)
    finally:
        cache.close()


def _entries(count: int) -> str:
    return "entry" if count == 1 else "entries"


@app.command()
@guarded
def prune() -> None:
    """Drop entries older than their kind's TTL (ttl_hours)."""
    removed = _with_cache(lambda cache: cache.prune(), 0)
    say(f"Removed {removed} expired cache {_entries(removed)}.")


@app.command()
@guarded
def clear() -> None:
    """Drop every cached response and reset the hit/miss counters."""
    removed = _with_cache(lambda cache: cache.clear(), 0)
    say(f"Cleared the cache ({removed} {_entries(removed)} removed).")
