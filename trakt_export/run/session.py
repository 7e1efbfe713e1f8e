"""A run's plumbing: per-run options, the credential policy, the data-dir lock, the client and
the choice of source (API or ZIP). `lifecycle.py` (every export command) and the auth
commands use it.

    open_source(settings, options)   the one place that decides API vs ZIP, for every command
    connect(settings, options)       a TraktAPI over the run's client (token | public)
    locked(settings)                        one export per data dir (SPEC §4)
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from trakt_export.config import Settings
from trakt_export.errors import AuthError
from trakt_export.progress import NullObserver, Observer
from trakt_export.transport.client import CacheMode

if TYPE_CHECKING:
    import httpx

    from trakt_export.sources.api import TraktAPI
    from trakt_export.sources.base import Source
    from trakt_export.transport.metrics import Metrics

log = logging.getLogger(__name__)


NO_CREDENTIALS = AuthError(
    "no Trakt credentials: no saved login, no TRAKT_EXPORT_ACCESS_TOKEN and no username.",
    "Run `trakt-export auth login`, or export a public profile with --user NAME, "
    "or work offline with --from-zip PATH (your Trakt data-export ZIP).",
)


def no_credentials(settings: Settings, env: Mapping[str, str] | None = None) -> AuthError:
    """NO_CREDENTIALS naming where it looked: the token file, the config file and, when set,
    TRAKT_EXPORT_HOME (which moves both: the usual reason a cron job finds no login)."""
    import os

    home = (os.environ if env is None else env).get("TRAKT_EXPORT_HOME")
    where = f"; TRAKT_EXPORT_HOME is {home}" if home else ""
    return AuthError(
        f"no Trakt credentials: no saved login ({settings.paths.token_file}), no "
        f"TRAKT_EXPORT_ACCESS_TOKEN and no username ({settings.paths.config_file}){where}.",
        NO_CREDENTIALS.hint,
    )


NO_CLIENT_ID = AuthError(
    "no Trakt client id configured.",
    "Set [trakt] client_id in the config or TRAKT_EXPORT_CLIENT_ID "
    "(see README, 'Getting access'), or work offline with --from-zip PATH.",
)


@dataclass(slots=True)
class Options:
    """Per-run choices that are not settings: where to write and how to fetch."""

    output: str | None = None  # path, "-" for stdout, None for the default name
    zip_path: Path | None = None
    cache_mode: CacheMode = "use"
    transport: httpx.AsyncBaseTransport | None = None  # the fake, in tests and benchmarks
    observer: Observer = field(default_factory=NullObserver)
    sleep: Callable[[float], Awaitable[object]] | None = None  # injected by tests: no real waits
    clock: Callable[[], float] | None = None  # monotonic seconds (tests: a virtual clock)
    metrics: Metrics | None = None  # the run's one collector (metrics.py): -v, summary, --report


@dataclass(frozen=True, slots=True)
class Credentials:
    """How a run talks to Trakt: token mode (`user` None) or a public profile."""

    auth: httpx.Auth | None
    user: str | None


def credentials(settings: Settings) -> Credentials:
    """The credential policy: a saved login or TRAKT_EXPORT_ACCESS_TOKEN means token mode;
    otherwise a username means public-profile mode; otherwise there is nothing to use."""
    from trakt_export.auth.tokens import build_auth

    auth = build_auth(settings)
    # TRAKT_EXPORT_ACCESS_TOKEN is token mode too: build_client sends it as a static bearer.
    token_mode = auth is not None or bool(settings.access_token)
    user = None if token_mode else (settings.trakt.username or None)
    if not token_mode and user is None:
        raise no_credentials(settings)
    if not settings.trakt.client_id:
        raise NO_CLIENT_ID
    named = settings.trakt.username
    if token_mode and named:
        from trakt_export.auth.tokens import TraktAuth

        login = auth.current().username if isinstance(auth, TraktAuth) else None
        if login is None or login.casefold() != named.casefold():
            log.warning(
                "A login exists, so its account (%s) is exported, not the public profile %r; "
                "run `trakt-export auth logout` to export %r instead.",
                login or "the token's account",
                named,
                named,
            )
    return Credentials(auth=auth, user=user)


@contextlib.asynccontextmanager
async def connect(settings: Settings, options: Options) -> AsyncIterator[TraktAPI]:
    """A TraktAPI over the run's client: token mode when a login exists, else public profile."""
    from trakt_export.sources.api import TraktAPI
    from trakt_export.transport.client import build_client

    who = credentials(settings)
    async with build_client(
        settings,
        transport=options.transport,
        auth=who.auth,
        observer=options.observer,
        cache_mode=options.cache_mode,
        sleep=options.sleep,
        clock=options.clock,
        metrics=options.metrics,
    ) as http:
        yield TraktAPI(
            http,
            user=who.user,
            concurrency=settings.network.concurrency,
            observer=options.observer,
            clock=options.clock,
        )


@contextlib.asynccontextmanager
async def open_source(settings: Settings, options: Options) -> AsyncIterator[Source]:
    """The run's source: the ZIP when `--from-zip` was given (no network at all), else the API."""
    from trakt_export.sources.base import ApiSource, ZipSource

    if options.zip_path is not None:
        yield ZipSource(options.zip_path)
        return
    async with connect(settings, options) as api:
        yield ApiSource(api)


@contextlib.contextmanager
def locked(settings: Settings) -> Iterator[None]:
    """Hold the data-dir lock for the whole run (SPEC §4: one export per data dir)."""
    from trakt_export.lock import RunLock

    with RunLock(settings.paths.lock_file):
        yield
