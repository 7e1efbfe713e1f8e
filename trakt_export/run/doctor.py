"""`doctor`: is this setup able to export, and if not, why (SPEC §1)?

Checks, in order, each one `Check` (ok / warning / problem, with the fix):

    config       config file readable and valid                      problem: exit 2
    permissions  config and token files not readable by others       warning
    credentials  login / public / none, token expiry                 problem: exit 3
    api          Trakt accepts the app (one cheap request)           problem: exit 3 or 4
    timezone     the account timezone resolves                       warning
    clock        skew against Trakt's `Date` header                  warning
    dirs         cache and data dirs usable                          warning
    ratelimit    429s met by recent runs, budget spent (data dir)    warning

The exit code is the first problem's (0 when an export would work); warnings never change it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from trakt_export.errors import AuthError, ConfigError, TraktExportError, TraktUnavailableError
from trakt_export.transport.metrics import duration, plural

if TYPE_CHECKING:
    import httpx

    from trakt_export.auth.tokens import Token
    from trakt_export.config import Settings
    from trakt_export.transport.metrics import Metrics

Status = Literal["ok", "warning", "problem", "skipped"]
CHECKS = ("config", "permissions", "credentials", "api", "timezone", "clock", "dirs", "ratelimit")
SKEW_TOLERANCE = 60.0  # seconds
RECENT = 24 * 3600.0  # how far back the 429 record counts
BUDGET_SHARE = 0.8  # of requests_per_window spent by recent runs: a warning
OFFLINE = "without an API app, export offline with --from-zip PATH (your Trakt data-export ZIP)"
REFUSED_HINT = (
    "Check [trakt] client_id (TRAKT_EXPORT_CLIENT_ID) and that the app is active at "
    f"https://trakt.tv/oauth/applications; {OFFLINE}."
)


@dataclass(frozen=True, slots=True)
class Check:
    check: str
    status: Status
    message: str
    fix: str = ""
    exit_code: int = 0

    def as_dict(self) -> dict[str, str]:
        return {
            "check": self.check,
            "status": self.status,
            "message": self.message,
            "fix": self.fix,
        }

    def line(self) -> str:
        text = f"{self.status:<8} {self.check}: {self.message}"
        return f"{text} Fix: {self.fix}" if self.fix else text


def exit_code(checks: list[Check]) -> int:
    return next((c.exit_code for c in checks if c.status == "problem"), 0)


def _ok(check: str, message: str) -> Check:
    return Check(check, "ok", message)


def _warn(check: str, message: str, fix: str) -> Check:
    return Check(check, "warning", message, fix)


def _problem(check: str, error: TraktExportError, code: int | None = None) -> Check:
    return Check(
        check, "problem", error.message, error.hint or "", error.exit_code if code is None else code
    )


def _skip(check: str, why: str) -> Check:
    return Check(check, "skipped", f"not checked: {why}")


@dataclass(slots=True)
class _Reply:
    """What the one API request taught us."""

    account_zone: str | None = None
    date: float | None = None
    public: bool = False


def load_config(
    config_path: Path | None, environ: Mapping[str, str], names: Sequence[str]
) -> tuple[Settings, Path] | list[Check]:
    """The settings and the config file's path; or, for an invalid config, its problem and every
    other check (`names`) skipped: the first check of both doctors."""
    from trakt_export.config import config_file_for, resolve

    file, _named = config_file_for(config_path, environ)
    try:
        return resolve(config_path=config_path, env=environ), file
    except ConfigError as exc:
        first = _problem("config", exc, 2)
        return [first, *(_skip(name, "the config is invalid") for name in names[1:])]


def run_checks(
    config_path: Path | None = None,
    env: Mapping[str, str] | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    now: Callable[[], float] = time.time,
    metrics: Metrics | None = None,
    on_settings: Callable[[Settings], None] | None = None,
) -> list[Check]:
    """Every check of the module docstring, in order (one entry each)."""
    environ = os.environ if env is None else env
    loaded = load_config(config_path, environ, CHECKS)
    if isinstance(loaded, list):
        return loaded
    settings, file = loaded
    if on_settings is not None:
        on_settings(settings)
    checks = [
        _ok("config", f"{file} is valid.")
        if file.is_file()
        else _warn(
            "config",
            f"no config file at {file}; built-in defaults and the environment are used.",
            "Run `trakt-export config init` for a commented one.",
        ),
        _permissions(settings, file),
    ]
    credentials, token = _credentials(settings, now(), environ)
    reply: _Reply | None = None
    api: Check
    if credentials.status == "problem":
        api = _skip("api", "no usable credentials")
    else:
        try:
            reply = asyncio.run(_ask_trakt(settings, transport, metrics))
            api = _ok("api", "Trakt accepted the app and the credentials.")
        except AuthError as exc:
            from trakt_export.auth.tokens import REFRESH_FAILED

            if exc.message == REFRESH_FAILED.message:
                credentials = Check(
                    "credentials",
                    "problem",
                    f"{exc.message[0].upper()}{exc.message[1:]}",
                    f"{exc.hint} Or {OFFLINE}." if exc.hint else OFFLINE,
                    3,
                )
                api = _skip("api", "no usable credentials")
            else:
                api = Check("api", "problem", exc.message, _with_offline(exc.hint), 3)
        except TraktExportError as exc:
            api = _problem("api", exc)
    checks += [credentials, api]
    if reply is None:
        checks += [
            _skip("timezone", "Trakt was not reached"),
            _skip("clock", "Trakt was not reached"),
        ]
    else:
        checks += [_timezone(settings, reply), _clock(reply, now())]
    checks += [_dirs(settings), _ratelimit(settings, now())]
    del token
    return checks


def _with_offline(hint: str | None) -> str:
    if hint and "--from-zip" in hint:
        return hint
    return f"{hint.rstrip('.')}; {OFFLINE}." if hint else f"{OFFLINE[0].upper()}{OFFLINE[1:]}."


# ----- local checks ------------------------------------------------------------------------


def _permissions(settings: Settings, config_file: Path) -> Check:
    loose = []
    for path in (config_file, settings.paths.token_file):
        try:
            mode = path.stat().st_mode & 0o777
        except OSError:
            continue
        if mode & 0o077:
            loose.append((path, mode))
    if not loose:
        return _ok("permissions", "the config and token files are readable by you only.")
    names = ", ".join(f"{path} (mode {mode:o})" for path, mode in loose)
    fixes = " ".join(f"chmod 600 {path}" for path, _ in loose)
    return _warn("permissions", f"readable by others: {names}.", f"Run `{fixes}`.")


def _credentials(
    settings: Settings, now: float, env: Mapping[str, str] | None = None
) -> tuple[Check, Token | None]:
    from trakt_export.auth.tokens import TokenStore
    from trakt_export.run.session import NO_CLIENT_ID, no_credentials

    if not settings.trakt.client_id:
        return Check(
            "credentials", "problem", NO_CLIENT_ID.message, NO_CLIENT_ID.hint or "", 3
        ), None
    if settings.access_token:
        return _ok(
            "credentials", "token mode: TRAKT_EXPORT_ACCESS_TOKEN (it cannot be refreshed)."
        ), None
    try:
        token = TokenStore(settings.paths.token_file).load()
    except AuthError as exc:
        return Check("credentials", "problem", exc.message, _with_offline(exc.hint), 3), None
    if token is not None:
        who = token.username or "your Trakt account"
        left = token.expires_at - now
        if left > 0:
            return _ok(
                "credentials", f"logged in as {who} (token expires in {duration(left)})."
            ), token
        if not settings.trakt.client_secret:
            return Check(
                "credentials",
                "problem",
                f"the login of {who} expired {duration(left)} ago and cannot be refreshed "
                "(no client_secret configured).",
                f"Run `trakt-export auth login`, or {OFFLINE}.",
                3,
            ), token
        return _ok(
            "credentials",
            f"logged in as {who} (token expired {duration(left)} ago; refreshed at the next run).",
        ), token
    if settings.trakt.username:
        return _ok(
            "credentials", f"public mode: the profile of {settings.trakt.username} (no login)."
        ), None
    missing = no_credentials(settings, env)
    return Check("credentials", "problem", missing.message, missing.hint or "", 3), None


def _timezone(settings: Settings, reply: _Reply) -> Check:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from trakt_export.zones import system_zone

    if settings.export.timezone:
        return _ok("timezone", f"configured: {settings.export.timezone}.")
    fallback = system_zone().key
    if reply.public:
        return _ok(
            "timezone",
            f"public mode: the system zone {fallback} is used (set [export] timezone to choose).",
        )
    name = reply.account_zone
    if name:
        try:
            ZoneInfo(name)
            return _ok("timezone", f"Trakt account timezone {name}.")
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return _warn(
        "timezone",
        f"the Trakt account timezone {name!r} is not a known IANA zone; "
        f"the system zone {fallback} is used instead.",
        "Set [export] timezone (or --timezone) to your zone, e.g. Europe/Berlin.",
    )


def _clock(reply: _Reply, now: float) -> Check:
    if reply.date is None:
        return _ok("clock", "Trakt sent no Date header; the clock was not compared.")
    skew = now - reply.date
    if abs(skew) <= SKEW_TOLERANCE:
        return _ok("clock", "this machine's clock agrees with Trakt's.")
    side = "ahead of" if skew > 0 else "behind"
    return _warn(
        "clock",
        f"this machine's clock is {duration(skew)} {side} Trakt's.",
        "Synchronise the system clock (NTP): token expiry and watch dates depend on it.",
    )


def _usable(directory: Path) -> str | None:
    """None when `directory` can be created and written, else why not."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".doctor-"):
            pass
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


def _dirs(settings: Settings) -> Check:
    from trakt_export.transport.cache import cache_directory

    problems = []
    fixes = []
    if settings.cache.enabled:
        cache = cache_directory(settings)
        why = _usable(cache)
        if why is not None:
            problems.append(f"the cache dir {cache} is not usable ({why}): runs bypass the cache")
            fixes.append("fix its permissions or set [cache] dir")
    data = settings.paths.data_dir
    why = _usable(data)
    if why is not None:
        problems.append(f"the data dir {data} is not usable ({why})")
        fixes.append("set TRAKT_EXPORT_HOME to a writable directory")
    if not problems:
        return _ok("dirs", "the cache and data dirs are usable.")
    fix = "; ".join(fixes)
    return _warn("dirs", "; ".join(problems) + ".", f"{fix[0].upper()}{fix[1:]}.")


def _ratelimit(settings: Settings, now: float) -> Check:
    from trakt_export.run.report import recent_runs

    runs = [r for r in recent_runs(settings.paths.data_dir) if _num(r.get("ended")) > now - RECENT]
    met = [r for r in runs if _num(r.get("rate_limited")) > 0]
    network = settings.network
    window = [r for r in runs if _num(r.get("ended")) > now - network.window_seconds]
    spent = int(sum(_num(r.get("requests")) for r in window))
    if met:
        total = int(sum(_num(r.get("rate_limited")) for r in met))
        last = time.strftime("%H:%M", time.localtime(max(_num(r.get("ended")) for r in met)))
        return _warn(
            "ratelimit",
            f"{plural(total, '429 answer')} from Trakt in {plural(len(met), 'run')} "
            f"of the last 24 h (last at {last}).",
            "Trakt's budget (500 requests per 5 minutes) is shared by all your apps: space the "
            "runs out or lower [network] requests_per_window.",
        )
    if spent >= BUDGET_SHARE * network.requests_per_window:
        return _warn(
            "ratelimit",
            f"recent runs spent {spent} of the {network.requests_per_window} requests allowed "
            f"per {network.window_seconds:g} s.",
            f"Wait {duration(network.window_seconds)} before the next large run.",
        )
    return _ok("ratelimit", "no 429s met by recent runs.")


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


# ----- the one request ---------------------------------------------------------------------


async def _ask_trakt(
    settings: Settings, transport: httpx.AsyncBaseTransport | None, metrics: Metrics | None
) -> _Reply:
    """One cheap authenticated request: `/users/settings` with a token, the profile in public
    mode. Two tries at most: doctor answers quickly."""
    from trakt_export.run.session import credentials
    from trakt_export.transport.client import build_client, decode_json, error_for_status

    who = credentials(settings)
    quick = dataclasses.replace(
        settings.network, max_attempts=min(settings.network.max_attempts, 2)
    )
    settings = dataclasses.replace(settings, network=quick)
    path = "/users/settings" if who.user is None else f"/users/{who.user}"
    async with build_client(
        settings, transport=transport, auth=who.auth, cache_mode="off", metrics=metrics
    ) as http:
        response = await http.get(path)
        status = response.status_code
        if status in (401, 403, 420, 423, 426):
            raise AuthError(f"Trakt refused the app ({status} at GET {path}).", REFUSED_HINT)
        if status == 404 and who.user is not None:
            raise ConfigError(
                f"Trakt has no public profile {who.user!r} (404).",
                "Check [trakt] username / --user.",
            )
        error = error_for_status(response)
        if error is not None:
            if isinstance(error, TraktUnavailableError):
                raise error
            raise TraktUnavailableError(error.message, error.hint)
        reply = _Reply(public=who.user is not None)
        stamp = response.headers.get("Date")
        if stamp:
            try:
                reply.date = email.utils.parsedate_to_datetime(stamp).timestamp()
            except (TypeError, ValueError):
                reply.date = None
        if who.user is None:
            body = decode_json(response)
            account = body.get("account") if isinstance(body, dict) else None
            zone = account.get("timezone") if isinstance(account, dict) else None
            reply.account_zone = zone if isinstance(zone, str) else None
        return reply
