"""Trakt OAuth: the saved token (0600, atomic), a refreshing httpx.Auth, and the device login.

Refresh tokens are single-use, so a refresh is serialised twice over: an asyncio.Lock inside the
process and an flock on `refresh.lock` across processes; whoever waits re-reads the token file and
takes the pair another refresher already saved instead of spending its stale refresh token.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import sys
import tempfile
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeGuard

import httpx

from trakt_export import USER_AGENT
from trakt_export.config import Settings
from trakt_export.errors import AuthError, OutputError, TraktUnavailableError

OOB_REDIRECT = "urn:ietf:wg:oauth:2.0:oob"
REFRESH_MARGIN = 300.0  # seconds: refresh a token this close to its expiry before using it
LOCK_POLL = 0.02  # seconds between attempts at the cross-process refresh lock
LOCK_TIMEOUT = 120.0  # a refresh holding the lock longer than this is stuck

LOGIN_HINT = "Run `trakt-export auth login`."
REFRESH_FAILED = AuthError(
    "the saved Trakt login has expired and could not be refreshed.", LOGIN_HINT
)


@dataclass(frozen=True, slots=True)
class Token:
    """One OAuth token pair as saved on disk (tokens are kept out of repr, so out of logs)."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    created_at: int  # epoch seconds, as Trakt reports it
    expires_in: int  # seconds, as Trakt reports it (never assumed)
    username: str | None = None
    scope: str | None = None

    @property
    def expires_at(self) -> int:
        return self.created_at + self.expires_in

    def expiring(self, now: float, margin: float = REFRESH_MARGIN) -> bool:
        return now + margin >= self.expires_at

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "access_token": self.access_token,
            "token_type": "bearer",
            "refresh_token": self.refresh_token,
            "created_at": self.created_at,
            "expires_in": self.expires_in,
        }
        if self.scope is not None:
            body["scope"] = self.scope
        if self.username is not None:
            body["username"] = self.username
        return body

    @classmethod
    def from_json(cls, raw: object, *, now: float | None = None) -> Token:
        """Parse a token body (Trakt's answer or our file); ValueError when unusable."""
        if not isinstance(raw, Mapping):
            raise ValueError("not a JSON object")
        access, refresh = raw.get("access_token"), raw.get("refresh_token")
        expires_in, created_at = raw.get("expires_in"), raw.get("created_at")
        if not isinstance(access, str) or not access:
            raise ValueError("no access_token")
        if not isinstance(refresh, str) or not refresh:
            raise ValueError("no refresh_token")
        if not _is_int(expires_in):
            raise ValueError("no expires_in")
        if _is_int(created_at):
            created = created_at
        elif now is not None:
            created = int(now)
        else:
            raise ValueError("no created_at")
        username, scope = raw.get("username"), raw.get("scope")
        return cls(
            access_token=access,
            refresh_token=refresh,
            created_at=created,
            expires_in=expires_in,
            username=username if isinstance(username, str) and username else None,
            scope=scope if isinstance(scope, str) else None,
        )


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


class TokenStore:
    """The token file: read, written atomically with mode 0600 from its first byte, deleted."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Token | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise AuthError(
                f"cannot read the saved Trakt login {self.path}: {exc.strerror}.", LOGIN_HINT
            ) from None
        try:
            return Token.from_json(json.loads(text))
        except ValueError as exc:  # JSONDecodeError is a ValueError
            raise AuthError(
                f"the saved Trakt login {self.path} is unreadable ({exc}).",
                "Run `trakt-export auth login` to replace it.",
            ) from None

    def save(self, token: Token) -> None:
        """Atomic: a 0600 temp file in the same directory, fsync'd, then renamed over."""
        folder = self.path.parent
        data = (json.dumps(token.to_json(), indent=2) + "\n").encode()
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            # mkstemp creates the file 0600, so the token is never world-readable, even briefly.
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".token-", suffix=".tmp")
        except OSError as exc:
            raise OutputError(
                f"cannot save the Trakt login in {folder}: {exc.strerror}.",
                "Check that TRAKT_EXPORT_HOME (or the data directory) is writable.",
            ) from None
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise OutputError(
                f"cannot save the Trakt login {self.path}: {exc.strerror}.",
                "Check free space and permissions of the data directory.",
            ) from None
        _fsync_dir(folder)

    def delete(self) -> bool:
        """Remove the token file; False when there was none."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        _fsync_dir(self.path.parent)
        return True


def _fsync_dir(folder: Path) -> None:
    # Makes the rename durable; some filesystems refuse directory fsync, which is harmless.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def has_credentials(settings: Settings) -> bool:
    """True when a token is available: TRAKT_EXPORT_ACCESS_TOKEN or a saved login."""
    return bool(settings.access_token) or settings.paths.token_file.exists()


def build_auth(settings: Settings, *, clock: Callable[[], float] = time.time) -> httpx.Auth | None:
    """The Auth for a saved login; None without one, or when a static access token is set
    (client.build_client sends that one as a plain bearer header)."""
    if settings.access_token or not settings.paths.token_file.exists():
        return None
    auth = TraktAuth(settings, clock=clock)
    auth.current()  # a corrupt token file fails here, before any request (exit 3)
    return auth


class TraktAuth(httpx.Auth):
    """Adds the bearer token; refreshes it before expiry and once after a 401."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: TokenStore | None = None,
        clock: Callable[[], float] = time.time,
        margin: float = REFRESH_MARGIN,
    ) -> None:
        self.store = store or TokenStore(settings.paths.token_file)
        self.lock_path = settings.paths.data_dir / "refresh.lock"
        self.token_url = settings.trakt.auth_url.rstrip("/") + "/oauth/token"
        self.client_id = settings.trakt.client_id
        self.client_secret = settings.trakt.client_secret
        self.clock = clock
        self.margin = margin
        self.refreshes = 0  # refreshes this object performed (tests and -v logs)
        self._token: Token | None = None
        self._refused: str | None = None  # a refresh token Trakt refused: never sent twice
        self._locks: dict[int, asyncio.Lock] = {}  # one per event loop

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        raise RuntimeError("TraktAuth works with httpx.AsyncClient only")
        yield request  # pragma: no cover - makes this a generator

    def _lock(self) -> asyncio.Lock:
        loop = id(asyncio.get_running_loop())
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    def current(self) -> Token:
        """The token in use: the one in memory, else the one on disk."""
        if self._token is None:
            token = self.store.load()
            if token is None:
                raise AuthError("the saved Trakt login was removed during the run.", LOGIN_HINT)
            self._token = token
        return self._token

    def _stale(self, token: Token, rejected: str | None) -> bool:
        return token.access_token == rejected or token.expiring(self.clock(), self.margin)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        rejected: str | None = None  # an access token Trakt answered 401 to
        for attempt in range(2):
            token = self.current()
            if self._stale(token, rejected):
                async with self._lock():
                    token = self.current()  # another task may have refreshed meanwhile
                    if self._stale(token, rejected):
                        fd = await self._acquire_file_lock()
                        try:
                            # Another process may have refreshed: its pair is on disk.
                            token = self.store.load() or token
                            self._token = token
                            if self._stale(token, rejected):
                                if token.refresh_token == self._refused:
                                    raise REFRESH_FAILED  # Trakt already refused this one
                                response = yield self._refresh_request(token)
                                token = await self._accept(response, token)
                        finally:
                            _release(fd)
            request.headers["Authorization"] = f"Bearer {token.access_token}"
            response = yield request
            if response.status_code != 401 or attempt:
                return
            rejected = token.access_token

    async def _acquire_file_lock(self) -> int:
        from trakt_export.lock import open_lock_file

        fd = open_lock_file(self.lock_path)
        waited = 0.0
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                # Polled rather than blocking in a thread, so cancellation stays clean.
                if waited >= LOCK_TIMEOUT:
                    os.close(fd)
                    raise AuthError(
                        f"another trakt-export process has been refreshing the login for "
                        f"{LOCK_TIMEOUT:.0f} s ({self.lock_path}).",
                        "Try again; if it persists, run `trakt-export auth login`.",
                    ) from None
                await asyncio.sleep(LOCK_POLL)
                waited += LOCK_POLL

    def _refresh_request(self, token: Token) -> httpx.Request:
        # An absolute URL: httpx sends it as-is through the same client and transport stack.
        # No `trakt_export` extension, so no cache layer keeps it.
        return httpx.Request(
            "POST",
            self.token_url,
            json={
                "refresh_token": token.refresh_token,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "redirect_uri": OOB_REDIRECT,
                "grant_type": "refresh_token",
            },
            headers={"User-Agent": USER_AGENT},
        )

    async def _accept(self, response: httpx.Response, old: Token) -> Token:
        """Validate the refresh answer and persist the new pair before anything uses it."""
        await response.aread()
        status = response.status_code
        if status in (400, 401, 403):
            self._refused = old.refresh_token
            raise REFRESH_FAILED
        if status != 200:
            raise TraktUnavailableError(
                f"Trakt could not refresh the login ({status} at /oauth/token).",
                "Try again later.",
            )
        try:
            fresh = Token.from_json(json.loads(response.content), now=self.clock())
        except ValueError:
            raise TraktUnavailableError(
                "Trakt sent an unreadable answer when refreshing the login.", "Try again later."
            ) from None
        fresh = replace(fresh, username=fresh.username or old.username)
        self.store.save(fresh)
        self._token = fresh
        self.refreshes += 1
        return fresh


def _release(fd: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


# ----- device login ---------------------------------------------------------------------------

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
    headers = {
        "User-Agent": USER_AGENT,
        "trakt-api-key": trakt.client_id,
        "trakt-api-version": "2",
    }
    async with httpx.AsyncClient(
        transport=transport, headers=headers, timeout=settings.network.timeout_seconds
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
    lifetime = float(expires_in) if _is_int(expires_in) else 600.0
    wait = float(interval) if _is_int(interval) and interval >= 0 else 5.0
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
            headers={
                "Authorization": f"Bearer {token.access_token}",
                "Content-Type": "application/json",
            },
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
            headers={"User-Agent": USER_AGENT, "trakt-api-key": trakt.client_id},
            timeout=settings.network.timeout_seconds,
        ) as http:
            response = await http.post(url, json=body)
    except httpx.HTTPError as exc:
        return f"cannot reach Trakt ({type(exc).__name__})"
    if response.status_code != 200:
        return f"Trakt answered {response.status_code}"
    return None
