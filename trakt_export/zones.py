"""The timezone chain of SPEC §5: --timezone > [export] timezone > Trakt account > system.

Always an IANA zone (never a fixed offset), so each watch gets the DST offset of its own date.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from trakt_export.errors import UsageError

_ZONEINFO_MARKERS = ("/zoneinfo/", "/zoneinfo.default/")


def load_zone(name: str, source: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UsageError(
            f"unknown timezone {name!r} ({source}).",
            "Use an IANA name such as Europe/Berlin or America/Los_Angeles.",
        ) from exc


def system_zone(env: Mapping[str, str] | None = None, localtime: Path | None = None) -> ZoneInfo:
    """The machine's IANA zone: $TZ if it names one, else the /etc/localtime link, else UTC."""
    env = os.environ if env is None else env
    name = env.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    link = localtime or Path("/etc/localtime")
    try:
        target = str(link.resolve())
    except OSError:
        target = ""
    for marker in _ZONEINFO_MARKERS:
        if marker in target:
            try:
                return ZoneInfo(target.split(marker, 1)[1])
            except (ZoneInfoNotFoundError, ValueError):
                break
    return ZoneInfo("UTC")


def choose_zone(configured: str, account: str | None) -> tuple[ZoneInfo, str]:
    """The zone to use and where it came from (for the -v log and the README's promise)."""
    if configured:
        return load_zone(configured, "--timezone / [export] timezone"), "configured"
    if account:
        try:
            return ZoneInfo(account), "Trakt account"
        except (ZoneInfoNotFoundError, ValueError):
            pass  # an odd account value must not stop the export: fall back to the system zone
    return system_zone(), "system"
