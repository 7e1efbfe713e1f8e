"""Trakt OAuth tokens: the saved token (0600, atomic) and a refreshing httpx.Auth.

The device login and revoke live in `run/login.py`.

Refresh tokens are single-use, so a refresh is serialised twice over: an asyncio.Lock inside the
process and an flock on `refresh.lock` across processes; whoever waits re-reads the token file and
takes the pair another refresher already saved instead of spending its stale refresh token.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import time
from collections.abc import AsyncGenerator, Callable, Generator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeGuard

import httpx

from trakt_export import USER_AGENT
from trakt_export.config import Settings
from trakt_export.errors import AuthError, OutputError, TraktUnavailableError
from trakt_export.output import fsync_dir, write_atomic
from trakt_export.signals import held

OOB_REDIRECT = "urn:ietf:wg:oauth:2.0:oob"
REFRESH_MARGIN = 300.0  # seconds: refresh a token this close to its expiry before using it
LOCK_POLL = 0.02  # seconds between attempts at the cross-process refresh lock
LOCK_TIMEOUT = 120.0  # a refresh holding the lock longer than this is stuck

log = logging.getLogger(__name__)
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
        if not is_whole(expires_in):
            raise ValueError("no expires_in")
        if is_whole(created_at):
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


def is_whole(value: object) -> TypeGuard[int]:
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
        except UnicodeDecodeError:
            raise AuthError(
                f"the saved Trakt login {self.path} is unreadable (not UTF-8 text).", LOGIN_HINT
            ) from None
        self._tighten()
        try:
            return Token.from_json(json.loads(text))
        except json.JSONDecodeError:  # the parser's text ("Expecting value...") helps no one
            raise AuthError(
                f"the saved Trakt login {self.path} is damaged (not a login trakt-export wrote).",
                "Run `trakt-export auth login` to replace it.",
            ) from None
        except ValueError as exc:  # a field missing or wrong: named by Token.from_json
            raise AuthError(
                f"the saved Trakt login {self.path} is unreadable ({exc}).",
                "Run `trakt-export auth login` to replace it.",
            ) from None

    def _tighten(self) -> None:
        """A token file others could read is set back to 0600, with one warning (SPEC §1)."""
        with contextlib.suppress(OSError):
            mode = self.path.stat().st_mode & 0o777
            if mode & 0o077:
                os.chmod(self.path, 0o600)
                log.warning(
                    "Warning: the saved Trakt login %s was readable by others (mode %03o); "
                    "it is now 0600.",
                    self.path,
                    mode,
                )

    def save(self, token: Token) -> None:
        """Atomic and 0600 from its first byte: the token is never world-readable, even briefly."""
        folder = self.path.parent
        data = (json.dumps(token.to_json(), indent=2) + "\n").encode()
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_atomic(self.path, data, 0o600)
        except OSError as exc:
            raise OutputError(
                f"cannot save the Trakt login {self.path}: {exc.strerror}.",
                "Check free space and permissions of the data directory "
                "(TRAKT_EXPORT_HOME or the platform's data directory).",
            ) from None

    def delete(self) -> bool:
        """Remove the token file; False when there was none."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        fsync_dir(self.path.parent)
        return True


def build_auth(settings: Settings, *, clock: Callable[[], float] = time.time) -> httpx.Auth | None:
    """The Auth for a saved login; None without one, or when a static access token is set
    (client.build_client sends that one as a plain bearer header)."""
    if settings.access_token or not settings.paths.token_file.exists():
        return None
    auth = TraktAuth(settings, clock=clock)
    auth.current()  # a corrupt token file fails here, before any request (exit 3)
    return auth


REFRESH_UNSETTLED = TraktUnavailableError(
    "refreshing the Trakt login failed earlier in this run; the single-use refresh token is "
    "not sent twice.",
    "Try again later; if it keeps failing, run `trakt-export auth login`.",
)


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
        self.redirect_uri = settings.trakt.redirect_uri or OOB_REDIRECT  # must match the app's
        self.clock = clock
        self.margin = margin
        self._token: Token | None = None
        self._refused: str | None = None  # a refresh token Trakt refused: never sent twice
        # A refresh token whose POST did not end in an accepted pair (5xx, dropped connection):
        # Trakt may have used it up, so this run never sends it again.
        self._unsettled: str | None = None
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
                                if token.refresh_token == self._unsettled:
                                    raise REFRESH_UNSETTLED
                                self._unsettled = token.refresh_token
                                # A signal between Trakt's answer and the saved pair would lose
                                # the login (the old refresh token is spent): hold it until saved.
                                with held():
                                    response = yield self._refresh_request(token)
                                    token = await self._accept(response, token)
                                self._unsettled = None
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
                "redirect_uri": self.redirect_uri,
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
        return fresh


def _release(fd: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
