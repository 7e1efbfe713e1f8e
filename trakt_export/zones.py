"""The timezone chain of SPEC §5: --timezone > [export] timezone > Trakt account > system.

Always an IANA zone (never a fixed offset), so each watch gets the DST offset of its own date.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from trakt_export.errors import UsageError

log = logging.getLogger(__name__)

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
    """The zone to use and where it came from (for the -v log and the README's promise).

    Falling back to the system zone is said in one warning line (SPEC §5): naming the account
    zone that could not be resolved, or (public/offline mode, no account zone) the zone used.
    """
    if configured:
        return load_zone(configured, "--timezone / [export] timezone"), "configured"
    if account:
        try:
            return ZoneInfo(account), "Trakt account"
        except (ZoneInfoNotFoundError, ValueError):
            # an odd account value must not stop the export: fall back to the system zone
            zone = system_zone()
            log.warning(
                "The Trakt account timezone %r is not a known IANA zone; using the system "
                "timezone %s instead (set --timezone or [export] timezone to choose).",
                account,
                zone.key,
            )
            return zone, "system"
    zone = system_zone()
    log.warning(
        "Dates use the system timezone %s (the Trakt account's timezone is not available "
        "here); set --timezone or [export] timezone if that is not yours.",
        zone.key,
    )
    return zone, "system"
