"""Route-level checks of single requests with respx: the headers of SPEC §3 and how HTTP
outcomes become the domain errors of SPEC §6, through the real client stack."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import respx

from trakt_export import __version__
from trakt_export.config import Settings, resolve
from trakt_export.errors import AuthError, TraktUnavailableError, UsageError
from trakt_export.sources.api import TraktAPI
from trakt_export.transport.client import build_client

API = "https://api.trakt.example"


def settings_for(home: Path, **env: str) -> Settings:
    return resolve(
        env={
            "TRAKT_EXPORT_HOME": str(home),
            "TRAKT_EXPORT_API_URL": API,
            "TRAKT_EXPORT_CLIENT_ID": "client-123",
            "TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS": "1",
            **env,
        }
    )


async def no_sleep(seconds: float) -> None:
    return None


@respx.mock
async def test_every_request_carries_the_spec_headers(clean_env: Path) -> None:
    route = respx.get(f"{API}/users/settings").mock(return_value=httpx.Response(200, json={}))
    settings = settings_for(clean_env, TRAKT_EXPORT_ACCESS_TOKEN="tok-9")
    async with build_client(settings, cache_mode="off", sleep=no_sleep) as http:
        await http.get("/users/settings")
    sent = route.calls.last.request
    assert sent.headers["trakt-api-key"] == "client-123"
    assert sent.headers["trakt-api-version"] == "2"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["User-Agent"] == f"trakt-export/{__version__}"
    assert sent.headers["Authorization"] == "Bearer tok-9"


@respx.mock
async def test_public_mode_sends_no_authorization(clean_env: Path) -> None:
    route = respx.get(f"{API}/users/someone/watched/movies").mock(
        return_value=httpx.Response(200, json=[], headers={"X-Pagination-Page-Count": "1"})
    )
    async with build_client(settings_for(clean_env), cache_mode="off", sleep=no_sleep) as http:
        api = TraktAPI(http, user="someone", concurrency=2)
        listing = await api.listing("watched/movies")
    assert listing.items == []
    assert "Authorization" not in route.calls.last.request.headers
    assert route.calls.last.request.url.params["limit"] == "250"


@pytest.mark.parametrize(
    ("status", "error", "hint"),
    [
        (401, AuthError, "trakt-export auth login"),
        (403, AuthError, "client_id"),
        (423, AuthError, "unlock"),
        (404, UsageError, "username"),
        (502, TraktUnavailableError, "Try again later"),
    ],
)
@respx.mock
async def test_statuses_become_domain_errors(
    clean_env: Path, status: int, error: type[Exception], hint: str
) -> None:
    respx.get(f"{API}/sync/watched/movies").mock(return_value=httpx.Response(status))
    settings = settings_for(clean_env, TRAKT_EXPORT_ACCESS_TOKEN="tok")
    async with build_client(settings, cache_mode="off", sleep=no_sleep) as http:
        api = TraktAPI(http, user=None, concurrency=2)
        with pytest.raises(error) as info:
            await api.listing("watched/movies")
    assert hint in str(getattr(info.value, "hint", ""))
