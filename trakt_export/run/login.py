"""`auth login` / `auth logout` against auth_url: the OAuth device flow and token revocation.

Every outcome of the device flow (pending, slow down, invalid, used, expired, denied) has its own
message; the token (expires_in read, never assumed) is saved through auth.TokenStore.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

import httpx

from trakt_export.auth.tokens import OOB_REDIRECT, Token, TokenStore, is_whole
from trakt_export.config import Settings
from trakt_export.errors import AuthError, TraktUnavailableError
from trakt_export.transport.client import api_headers

APP_HINT = (
    "Create an API app at https://trakt.tv/oauth/applications (redirect URI "
    f"{OOB_REDIRECT}), then put its keys in [trakt] client_id/client_secret of the config "
    "or in TRAKT_EXPORT_CLIENT_ID / TRAKT_EXPORT_CLIENT_SECRET."
)

DEVICE_ERRORS: dict[int, tuple[str, str]] = {
    404: (
        "Trakt does not know this login code (404 invalid device code).",
        "Run `trakt-export auth login` again.",
    ),
    409: (
        "this login code was already used (409).",
        "Run `trakt-export auth status` to see the saved login, or `auth login` again.",
    ),
    410: (
        "the login code expired before it was approved (410).",
        "Run `trakt-export auth login` again and enter the new code on trakt.tv in time.",
    ),
    418: (
        "the login was denied on trakt.tv (418).",
        "Run `trakt-export auth login` again and approve the app on trakt.tv.",
    ),
}


def _stderr(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _device_error(status: int) -> AuthError:
    message, hint = DEVICE_ERRORS[status]
    return AuthError(message, hint)


def _client_error(status: int, where: str) -> AuthError | TraktUnavailableError:
    if status in (401, 403):
        return AuthError(f"Trakt rejected the client id/secret ({status} at {where}).", APP_HINT)
    return TraktUnavailableError(f"Trakt answered {status} at {where}.", "Try again later.")


def _body(response: httpx.Response, where: str) -> Mapping[str, Any]:
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if not isinstance(body, Mapping):
        raise TraktUnavailableError(f"Trakt sent an unreadable answer at {where}.", "Try again.")
    return body


async def device_login(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    show: Callable[[str], None] = _stderr,
) -> Token:
    """OAuth device flow: show URL and code, poll until approved, save the token (0600)."""
    trakt = settings.trakt
    if not trakt.client_id or not trakt.client_secret:
        missing = "client_id" if not trakt.client_id else "client_secret"
        raise AuthError(f"no Trakt {missing} configured, so login is impossible.", APP_HINT)
    base = trakt.auth_url.rstrip("/")
    async with httpx.AsyncClient(
        transport=transport, headers=api_headers(settings), timeout=settings.network.timeout_seconds
    ) as http:
        try:
            token = await _device_flow(http, base, settings, sleep, clock, show)
        except httpx.HTTPError as exc:
            raise TraktUnavailableError(
                f"cannot reach Trakt at {base} ({type(exc).__name__}).",
                "Check the network (and auth_url), then run `trakt-export auth login` again.",
            ) from None
        store = TokenStore(settings.paths.token_file)
        store.save(token)  # saved first: the code is spent, the token must not be lost
        username = await _username(http, settings, token)
        if username:
            token = replace(token, username=username)
            store.save(token)
    return token


async def _device_flow(
    http: httpx.AsyncClient,
    base: str,
    settings: Settings,
    sleep: Callable[[float], Awaitable[object]],
    clock: Callable[[], float],
    show: Callable[[str], None],
) -> Token:
    trakt = settings.trakt
    where = "/oauth/device/code"
    response = await http.post(base + where, json={"client_id": trakt.client_id})
    if response.status_code != 200:
        raise _client_error(response.status_code, where)
    body = _body(response, where)
    device_code, user_code = body.get("device_code"), body.get("user_code")
    url = body.get("verification_url") or "https://trakt.tv/activate"
    if not isinstance(device_code, str) or not isinstance(user_code, str):
        raise TraktUnavailableError(f"Trakt sent no device code at {where}.", "Try again.")
    expires_in = body.get("expires_in")
    interval = body.get("interval")
    lifetime = float(expires_in) if is_whole(expires_in) else 600.0
    wait = float(interval) if is_whole(interval) and interval >= 0 else 5.0
    show(f"To log in, open {url} and enter this code (valid {lifetime / 60:.0f} minutes):")
    show(f"    {user_code}")
    show("Waiting for approval on trakt.tv...")
    deadline = clock() + lifetime
    where = "/oauth/device/token"
    poll = {"code": device_code, "client_id": trakt.client_id, "client_secret": trakt.client_secret}
    while True:
        await sleep(wait)
        if clock() >= deadline:
            raise _device_error(410)
        response = await http.post(base + where, json=poll)
        status = response.status_code
        if status == 200:
            try:
                return Token.from_json(_body(response, where), now=time.time())
            except ValueError:
                raise TraktUnavailableError(
                    f"Trakt sent an unusable token at {where}.", "Run `auth login` again."
                ) from None
        if status == 400:  # authorization pending
            continue
        if status == 429:  # slow down: Trakt wants fewer polls
            wait += 5.0
            continue
        if status in DEVICE_ERRORS:
            raise _device_error(status)
        raise _client_error(status, where)


async def _username(http: httpx.AsyncClient, settings: Settings, token: Token) -> str | None:
    """The account name from /users/settings (None when Trakt does not say; not fatal)."""
    url = settings.trakt.api_url.rstrip("/") + "/users/settings"
    try:
        response = await http.get(
            url,
            headers={"Authorization": f"Bearer {token.access_token}"},
        )
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    try:
        body = json.loads(response.content)
        user = body["user"]
        name = user.get("username") or user["ids"]["slug"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return name if isinstance(name, str) and name else None


async def revoke(
    settings: Settings, token: Token, *, transport: httpx.AsyncBaseTransport | None = None
) -> str | None:
    """Revoke the token at Trakt. Returns None on success, else why it failed (for the user)."""
    trakt = settings.trakt
    if not trakt.client_id or not trakt.client_secret:
        return "no client_id/client_secret configured"
    url = trakt.auth_url.rstrip("/") + "/oauth/revoke"
    body = {
        "token": token.access_token,
        "client_id": trakt.client_id,
        "client_secret": trakt.client_secret,
    }
    try:
        async with httpx.AsyncClient(
            transport=transport,
            headers=api_headers(settings),
            timeout=settings.network.timeout_seconds,
        ) as http:
            response = await http.post(url, json=body)
    except httpx.HTTPError as exc:
        return f"cannot reach Trakt ({type(exc).__name__})"
    if response.status_code != 200:
        return f"Trakt answered {response.status_code}"
    return None
