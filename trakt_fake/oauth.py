"""The fake's OAuth (`/oauth/*` on auth_url): device flow, refresh with rotation, revoke.

Status codes follow Trakt's device-flow docs: 400 pending (with no body: the contract's
`z.undefined()`), 404 invalid code, 409 already used, 410 expired, 418 denied, 429 slow down.
A refresh spends its refresh token: the old pair is revoked and reusing it answers 400
`invalid_grant`. The refresh must carry the app's configured `redirect_uri` (tokenBaseSchema):
another one answers 401 `invalid_grant` and spends nothing. A deleted or blocked app
(`app_status`) answers 401 `invalid_client` on every token call. Knobs and counters live in
`oauth_state(fake)`.
"""

from __future__ import annotations

import hashlib
import json
import threading
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import httpx

if TYPE_CHECKING:
    from trakt_fake.records import Token
    from trakt_fake.server import FakeTrakt

JSON_TYPE = "application/json; charset=utf-8"
VERIFICATION_URL = "https://trakt.tv/activate"
OOB_REDIRECT = "urn:ietf:wg:oauth:2.0:oob"
INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the "
    "redirection URI used in the authorization request, or was issued to another client."
)


@dataclass(slots=True)
class Device:
    """One device code handed out by /oauth/device/code."""

    device_code: str
    user_code: str
    created: float  # fake clock
    polls: int = 0
    last_poll: float | None = None
    used: bool = False


@dataclass(slots=True)
class OAuthState:
    """Settings of the fake's OAuth and what it observed. Change fields before the flow runs."""

    interval: int = 1  # seconds the device flow asks clients to wait between polls
    expires_in: int = 600  # device-code lifetime, seconds of the fake clock
    approve_after_polls: int = 2  # polls answered "pending" before the outcome applies
    outcome: str = "approve"  # approve | deny (418) | expire (410) | invalid (404) | used (409)
    user: str | None = None  # who approves; default the dataset's primary user
    slow_down_polls: int = 0  # the first N polls of each code answer 429 (slow down)
    enforce_interval: bool = False  # 429 when polled sooner than `interval` (fake clock)
    token_lifetime: int | None = None  # lifetime of issued/refreshed tokens; None = default
    redirect_uri: str = OOB_REDIRECT  # the app's configured redirect URI; refreshes must match
    app_status: str = "active"  # active | deleted | blocked (invalid_client, API bare 403)
    refreshes: int = 0  # successful refreshes
    refresh_tokens_seen: list[str] = field(default_factory=list)  # every refresh_token sent
    revoked: list[str] = field(default_factory=list)  # access tokens revoked via /oauth/revoke
    devices: dict[str, Device] = field(default_factory=dict)
    serial: int = 0


_STATES: weakref.WeakKeyDictionary[FakeTrakt, OAuthState] = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def oauth_state(fake: FakeTrakt) -> OAuthState:
    """The OAuth knobs and counters of this fake (created on first use)."""
    with _STATES_LOCK:
        state = _STATES.get(fake)
        if state is None:
            state = _STATES[fake] = OAuthState()
        return state


def _json(status: int, body: Any) -> httpx.Response:
    content = json.dumps(body, separators=(",", ":")).encode()
    return httpx.Response(status, headers={"Content-Type": JSON_TYPE}, content=content)


def _error(status: int, error: str, description: str) -> httpx.Response:
    return _json(status, {"error": error, "error_description": description})


def _params(request: httpx.Request) -> dict[str, str]:
    """Body fields, JSON or form-encoded (Trakt accepts both)."""
    raw = request.content
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        return dict(parse_qsl(raw.decode("utf-8", "replace")))
    if not isinstance(body, dict):
        return {}
    return {str(k): str(v) for k, v in body.items() if v is not None}


def handle_oauth(fake: FakeTrakt, request: httpx.Request) -> httpx.Response:
    """Answer one `/oauth/...` request."""
    path = request.url.path.rstrip("/")
    if request.method != "POST":
        return _error(405, "method_not_allowed", "Method Not Allowed")
    params = _params(request)
    state = oauth_state(fake)
    with fake.lock:
        if state.app_status != "active":
            return _error(
                401,
                "invalid_client",
                "Client authentication failed due to unknown client, no client authentication "
                "included, or unsupported authentication method.",
            )
        if path == "/oauth/device/code":
            if params.get("client_id") != fake.client_id:
                return _error(401, "invalid_client", "Unknown client_id")
            return _device_code(fake, state)
        if params.get("client_id") != fake.client_id or (
            params.get("client_secret") != fake.client_secret
        ):
            return _error(401, "invalid_client", "Client authentication failed")
        if path == "/oauth/device/token":
            return _device_token(fake, state, params.get("code", ""))
        if path == "/oauth/token":
            return _token(fake, state, params)
        if path == "/oauth/revoke":
            token = params.get("token", "")
            if fake.revoke_token(token):
                state.revoked.append(token)
            return _json(200, {})  # RFC 7009: unknown tokens are not an error
    return _error(404, "not_found", "Not Found")


def _device_code(fake: FakeTrakt, state: OAuthState) -> httpx.Response:
    state.serial += 1
    seed = f"{fake.client_id}:device:{state.serial}"
    device_code = hashlib.sha256(seed.encode()).hexdigest()
    user_code = hashlib.sha256(f"{seed}:user".encode()).hexdigest()[:8].upper()
    state.devices[device_code] = Device(device_code, user_code, fake.clock())
    return _json(
        200,
        {
            "device_code": device_code,
            "user_code": user_code,
            "verification_url": VERIFICATION_URL,
            "expires_in": state.expires_in,
            "interval": state.interval,
        },
    )


def token_json(token: Token) -> dict[str, Any]:
    return {
        "access_token": token.access_token,
        "token_type": "bearer",
        "expires_in": token.expires_in,
        "refresh_token": token.refresh_token,
        "scope": token.scope,
        "created_at": token.created_at,
    }


def _device_token(fake: FakeTrakt, state: OAuthState, code: str) -> httpx.Response:
    device = state.devices.get(code)
    if device is None:
        return _error(404, "invalid_grant", "Invalid device_code")
    if device.used:
        return _error(409, "already_used", "This code was already approved and used")
    now = fake.clock()
    if now >= device.created + state.expires_in:
        return _error(410, "expired_token", "The device code has expired")
    device.polls += 1
    too_soon = device.last_poll is not None and now - device.last_poll < state.interval
    device.last_poll = now
    if device.polls <= state.slow_down_polls or (state.enforce_interval and too_soon):
        return _error(429, "slow_down", "Polling too quickly")
    answered = device.polls - state.slow_down_polls
    if answered <= state.approve_after_polls:
        return httpx.Response(400, content=b"")  # pending: Trakt sends no body
    if state.outcome == "deny":
        return _error(418, "access_denied", "The user denied the request")
    if state.outcome == "expire":
        return _error(410, "expired_token", "The device code has expired")
    if state.outcome == "invalid":  # as if Trakt lost the code
        del state.devices[code]
        return _error(404, "invalid_grant", "Invalid device_code")
    if state.outcome == "used":  # as if another client redeemed it first
        device.used = True
        return _error(409, "already_used", "This code was already approved and used")
    device.used = True
    user = state.user or fake.dataset.primary
    return _json(200, token_json(fake.issue_token(user, state.token_lifetime)))


def _token(fake: FakeTrakt, state: OAuthState, params: dict[str, str]) -> httpx.Response:
    if params.get("grant_type") != "refresh_token":
        return _error(400, "unsupported_grant_type", "Only refresh_token is supported here")
    refresh = params.get("refresh_token", "")
    state.refresh_tokens_seen.append(refresh)
    if params.get("redirect_uri") != state.redirect_uri:
        return _error(401, "invalid_grant", INVALID_GRANT)  # the refresh token stays valid
    old = fake.token_by_refresh(refresh)
    if old is None:
        return _error(400, "invalid_grant", INVALID_GRANT)
    fake.revoke_token(old.access_token)  # rotation: the old pair is spent
    state.refreshes += 1
    return _json(200, token_json(fake.issue_token(old.username, state.token_lifetime)))
