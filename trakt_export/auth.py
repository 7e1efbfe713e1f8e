"""Trakt OAuth: the saved token (0600, atomic), refresh-aware httpx.Auth, device login."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from trakt_export.config import Settings


def has_credentials(settings: Settings) -> bool:
    """True when a token is available: TRAKT_EXPORT_ACCESS_TOKEN or a saved login."""
    return bool(settings.access_token) or settings.paths.token_file.exists()


def build_auth(settings: Settings) -> httpx.Auth | None:
    """The Auth for a saved login; None without one (or when a static access token is set)."""
    if settings.access_token or not settings.paths.token_file.exists():
        return None
    raise NotImplementedError("saved-login auth is being written")
