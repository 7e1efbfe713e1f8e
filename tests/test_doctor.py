"""`doctor` through the CLI against the loopback fake: one line per check, exact messages, the
exit code of SPEC §1 for each failing check, `--json` one entry per check."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trakt_export.auth.tokens import Token, TokenStore
from trakt_export.cli.app import app
from trakt_export.config import resolve
from trakt_export.run.doctor import CHECKS
from trakt_fake import FakeTrakt, edge

CLIENT = "test-client"
runner = CliRunner()
OFFLINE = "without an API app, export offline with --from-zip PATH (your Trakt data-export ZIP)"


@pytest.fixture
def make_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., FakeTrakt]]:
    servers = []

    def make(clock: Callable[[], float] | None = None) -> FakeTrakt:
        fake = FakeTrakt(edge(), client_id=CLIENT, clock=clock)
        server = fake.serve()
        url = server.__enter__()
        servers.append(server)
        monkeypatch.setenv("TRAKT_EXPORT_API_URL", url)
        monkeypatch.setenv("TRAKT_EXPORT_AUTH_URL", url)
        monkeypatch.setenv("TRAKT_EXPORT_CLIENT_ID", CLIENT)
        monkeypatch.setenv("TRAKT_EXPORT_NETWORK_MAX_BACKOFF_SECONDS", "0")
        return fake

    yield make
    for server in servers:
        server.__exit__(None, None, None)


@pytest.fixture
def fake(make_fake: Callable[..., FakeTrakt]) -> FakeTrakt:
    return make_fake()


def config(home: Path, text: str = "", mode: int = 0o600) -> Path:
    path = home / "config.toml"
    path.write_text(text)
    path.chmod(mode)
    return path


def login(fake: FakeTrakt, home: Path, lifetime: int = 86400) -> Token:
    issued = fake.issue_token("edge-user", lifetime)
    token = Token(
        issued.access_token, issued.refresh_token, issued.created_at, issued.expires_in, "edge-user"
    )
    TokenStore(resolve().paths.token_file).save(token)
    return token


def doctor(*args: str) -> tuple[int, dict[str, str]]:
    """Exit code and the line of each check, by check name."""
    result = runner.invoke(app, ["doctor", *args])
    lines = result.stdout.splitlines()
    assert len(lines) == len(CHECKS), result.stdout + result.stderr
    by_check = {}
    for line, name in zip(lines, CHECKS, strict=True):
        status, rest = line.split(maxsplit=1)
        assert rest.startswith(f"{name}: ")
        by_check[name] = f"{status} {rest.removeprefix(name + ': ')}"
    return result.exit_code, by_check


def test_a_working_setup_is_all_ok_and_json_has_one_entry_per_check(
    fake: FakeTrakt, clean_env: Path
) -> None:
    path = config(clean_env)
    login(fake, clean_env)
    code, lines = doctor()
    assert code == 0
    assert lines["config"] == f"ok {path} is valid."
    assert lines["credentials"].startswith("ok logged in as edge-user (token expires in 24 h)")
    assert all(line.startswith("ok ") for line in lines.values()), lines
    result = runner.invoke(app, ["doctor", "--json"])
    entries = json.loads(result.stdout)
    assert [e["check"] for e in entries] == list(CHECKS)
    assert all(set(e) == {"check", "status", "message", "fix"} for e in entries)
    assert fake.stats.by_path["GET /users/settings"] == 2  # one cheap request per run


def test_no_config_file_is_a_warning(fake: FakeTrakt, clean_env: Path) -> None:
    login(fake, clean_env)
    code, lines = doctor()
    assert code == 0
    assert lines["config"] == (
        f"warning no config file at {clean_env / 'config.toml'}; built-in defaults and the "
        "environment are used. Fix: Run `trakt-export config init` for a commented one."
    )


def test_an_invalid_config_is_exit_2_and_skips_the_rest(fake: FakeTrakt, clean_env: Path) -> None:
    path = config(clean_env, '[export]\nmode = "weekly"\n')
    code, lines = doctor()
    assert code == 2
    assert lines["config"].startswith("problem ") and "mode" in lines["config"]
    assert str(path) in lines["config"]
    assert lines["api"] == "skipped not checked: the config is invalid"
    assert fake.stats.total == 0


def test_loose_permissions_are_a_warning(fake: FakeTrakt, clean_env: Path) -> None:
    path = config(clean_env, mode=0o644)
    login(fake, clean_env)
    code, lines = doctor()
    assert code == 0
    assert lines["permissions"] == (
        f"warning readable by others: {path} (mode 644). Fix: Run `chmod 600 {path}`."
    )


def test_no_credentials_is_exit_3_naming_from_zip(fake: FakeTrakt, clean_env: Path) -> None:
    code, lines = doctor()
    assert code == 3
    assert lines["credentials"] == (
        f"problem no Trakt credentials: no saved login ({clean_env / 'token.json'}), no "
        f"TRAKT_EXPORT_ACCESS_TOKEN and no username ({clean_env / 'config.toml'}); "
        f"TRAKT_EXPORT_HOME is {clean_env}. Fix: Run `trakt-export auth login`, or export a "
        "public profile with --user NAME, or work offline with --from-zip PATH (your Trakt "
        "data-export ZIP)."
    )
    assert lines["api"] == "skipped not checked: no usable credentials"
    assert fake.stats.total == 0


def test_public_mode_is_named(
    fake: FakeTrakt, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAKT_EXPORT_USERNAME", "edge-user")
    code, lines = doctor()
    assert code == 0
    assert lines["credentials"] == "ok public mode: the profile of edge-user (no login)."
    assert lines["timezone"].startswith("ok public mode: the system zone ")


def test_an_expired_token_without_client_secret_is_exit_3(
    fake: FakeTrakt, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAKT_EXPORT_CLIENT_SECRET", "")
    issued = fake.issue_token("edge-user", 1)
    stale = Token(
        issued.access_token, issued.refresh_token, int(time.time()) - 7200, 1, "edge-user"
    )
    TokenStore(resolve().paths.token_file).save(stale)
    code, lines = doctor()
    assert code == 3
    assert lines["credentials"] == (
        "problem the login of edge-user expired 2 h ago and cannot be refreshed (no "
        f"client_secret configured). Fix: Run `trakt-export auth login`, or {OFFLINE}."
    )


def test_an_expired_token_trakt_refuses_to_refresh_is_exit_3(
    fake: FakeTrakt, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAKT_EXPORT_CLIENT_SECRET", "test-secret")
    stale = Token("unknown-access", "unknown-refresh", int(time.time()) - 7200, 1, "edge-user")
    TokenStore(resolve().paths.token_file).save(stale)
    code, lines = doctor()
    assert code == 3
    assert lines["credentials"].startswith(
        "problem The saved Trakt login has expired and could not be refreshed. Fix: "
    )
    assert "--from-zip" in lines["credentials"]
    assert lines["api"] == "skipped not checked: no usable credentials"


@pytest.mark.parametrize("status", [401, 403, 426])
def test_an_app_trakt_refuses_is_exit_3_naming_from_zip(
    fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    monkeypatch.setenv("TRAKT_EXPORT_ACCESS_TOKEN", fake.issue_token("edge-user").access_token)
    fake.access.status_for("/users/settings", status)
    code, lines = doctor()
    assert code == 3
    assert lines["api"] == (
        f"problem Trakt refused the app ({status} at GET /users/settings). Fix: Check [trakt] "
        "client_id (TRAKT_EXPORT_CLIENT_ID) and that the app is active at "
        f"https://trakt.tv/oauth/applications; {OFFLINE}."
    )


def test_trakt_unreachable_is_exit_4(
    fake: FakeTrakt, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    login(fake, clean_env)
    fake.faults.fail_next(10, 503)
    code, lines = doctor()
    assert code == 4
    assert lines["api"].startswith("problem Trakt is failing (503 at GET /users/settings)")
    assert fake.stats.total == 2  # doctor tries twice at most


def test_an_unresolvable_account_zone_is_a_warning(fake: FakeTrakt, clean_env: Path) -> None:
    login(fake, clean_env)
    user = fake.dataset.user("edge-user")
    assert user is not None
    user.timezone = "Mars/Olympus"
    code, lines = doctor()
    assert code == 0
    assert lines["timezone"].startswith(
        "warning the Trakt account timezone 'Mars/Olympus' is not a known IANA zone; the system "
        "zone "
    )
    assert lines["timezone"].endswith(
        "Fix: Set [export] timezone (or --timezone) to your zone, e.g. Europe/Berlin."
    )


def test_a_clock_skewed_by_minutes_is_a_warning(
    make_fake: Callable[..., FakeTrakt], clean_env: Path
) -> None:
    fake = make_fake(clock=lambda: time.time() + 600)
    login(fake, clean_env)
    code, lines = doctor()
    assert code == 0
    assert lines["clock"] == (
        "warning this machine's clock is 10 min behind Trakt's. Fix: Synchronise the system "
        "clock (NTP): token expiry and watch dates depend on it."
    )


def test_an_unusable_cache_dir_is_a_warning(
    fake: FakeTrakt, clean_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    login(fake, clean_env)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("TRAKT_EXPORT_CACHE_DIR", str(blocker))
    code, lines = doctor()
    assert code == 0
    assert lines["dirs"] == (
        f"warning the cache dir {blocker} is not usable (File exists): runs bypass the cache. "
        "Fix: Fix its permissions or set [cache] dir."
    )


def test_429s_of_recent_runs_and_a_nearly_spent_budget_are_warnings(
    fake: FakeTrakt, clean_env: Path
) -> None:
    login(fake, clean_env)
    fake.faults.force_429(2, retry_after=0)
    assert runner.invoke(app, ["watchlist"]).exit_code == 0  # leaves its record in the data dir
    code, lines = doctor()
    assert code == 0
    assert lines["ratelimit"].startswith(
        "warning 2 429 answers from Trakt in 1 run of the last 24 h (last at "
    )
    runs = resolve().paths.data_dir / "recent-runs.json"
    runs.write_text(json.dumps([{"ended": time.time(), "requests": 400, "rate_limited": 0}]))
    code, lines = doctor()
    assert lines["ratelimit"] == (
        "warning recent runs spent 400 of the 450 requests allowed per 300 s. "
        "Fix: Wait 5 min before the next large run."
    )
