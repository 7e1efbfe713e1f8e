"""Login, token file, refresh and logout against the fake Trakt's OAuth (SPEC §3, §6)."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from trakt_export.auth.tokens import Token, TokenStore, TraktAuth, build_auth
from trakt_export.cli.app import app
from trakt_export.config import Settings, resolve
from trakt_export.errors import AuthError, PrivateProfileError
from trakt_export.run.export import run_movies
from trakt_export.run.login import device_login
from trakt_export.run.session import Options
from trakt_fake import FakeTrakt, edge, large
from trakt_fake.oauth import oauth_state

CLIENT, SECRET = "test-client", "test-secret"
runner = CliRunner()


class Clock:
    """Virtual epoch seconds; `sleep` advances it instead of waiting."""

    def __init__(self, now: float | None = None) -> None:
        self.now = time.time() if now is None else now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def settings_for(home: Path, **env: str) -> Settings:
    base = {
        "TRAKT_EXPORT_HOME": str(home),
        "TRAKT_EXPORT_CLIENT_ID": CLIENT,
        "TRAKT_EXPORT_CLIENT_SECRET": SECRET,
    }
    return resolve(env={**base, **env})


def save_login(settings: Settings, fake: FakeTrakt, user: str, lifetime: int = 86400) -> Token:
    """Register a token at the fake and save it as the login (what `auth login` leaves)."""
    issued = fake.issue_token(user, lifetime)
    token = Token(
        issued.access_token, issued.refresh_token, issued.created_at, issued.expires_in, user
    )
    TokenStore(settings.paths.token_file).save(token)
    return token


@pytest.fixture
def fake() -> FakeTrakt:
    return FakeTrakt(edge(), client_id=CLIENT, client_secret=SECRET)


# ----- token file -----------------------------------------------------------------------------


def test_token_file_is_0600_atomic_and_round_trips(clean_env: Path) -> None:
    store = TokenStore(clean_env / "data" / "token.json")
    token = Token("acc-1", "ref-1", 1_700_000_000, 86400, "edge-user", "public")
    old_umask = os.umask(0)  # even a permissive umask must not widen the mode
    try:
        store.save(token)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.load() == token
    assert token.expires_at == 1_700_086_400
    assert "acc-1" not in repr(token) and "ref-1" not in repr(token)
    assert [p.name for p in store.path.parent.iterdir()] == ["token.json"]  # no temp left
    assert json.loads(store.path.read_text())["expires_in"] == 86400
    assert store.delete() and not store.path.exists() and not store.delete()


def test_corrupt_token_file_is_exit_3_run_auth_login(clean_env: Path) -> None:
    settings = settings_for(clean_env)
    settings.paths.token_file.parent.mkdir(parents=True, exist_ok=True)
    settings.paths.token_file.write_text('{"access_token": "x"')
    with pytest.raises(AuthError) as info:
        build_auth(settings)
    assert info.value.exit_code == 3
    assert "auth login" in str(info.value.hint)


def test_static_access_token_needs_no_auth_object(clean_env: Path, fake: FakeTrakt) -> None:
    settings = settings_for(clean_env, TRAKT_EXPORT_ACCESS_TOKEN="tok")
    save_login(settings, fake, "edge-user")
    assert build_auth(settings) is None
    assert build_auth(settings_for(clean_env)) is not None
    assert build_auth(settings_for(clean_env / "elsewhere")) is None


# ----- device login ---------------------------------------------------------------------------


def test_device_login_in_a_subprocess_then_movies_works(clean_env: Path, tmp_path: Path) -> None:
    fake = FakeTrakt(edge(), client_id=CLIENT, client_secret=SECRET)
    state = oauth_state(fake)
    state.interval, state.approve_after_polls, state.user = 0, 2, "edge-user"
    with fake.serve() as url:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TRAKT_EXPORT_")},
            "TRAKT_EXPORT_HOME": str(clean_env),
            "TRAKT_EXPORT_CLIENT_ID": CLIENT,
            "TRAKT_EXPORT_CLIENT_SECRET": SECRET,
            "TRAKT_EXPORT_AUTH_URL": url,
            "TRAKT_EXPORT_API_URL": url,
        }
        cmd = [sys.executable, "-m", "trakt_export"]
        done = subprocess.run(
            [*cmd, "auth", "login"], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        code = next(iter(state.devices.values())).user_code
        assert "https://trakt.tv/activate" in done.stderr and f"    {code}\n" in done.stderr
        assert "Logged in as edge-user" in done.stderr and done.stdout == ""
        token_file = clean_env / "token.json"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        saved = json.loads(token_file.read_text())
        assert saved["username"] == "edge-user" and saved["access_token"] in fake.tokens
        assert fake.stats.by_path["POST /oauth/device/token"] == 3  # two pending, then the token

        out = tmp_path / "films.csv"
        movies = subprocess.run(
            [*cmd, "movies", "-o", str(out), "--timezone", "UTC"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert movies.returncode == 0, movies.stderr
        assert out.read_text().startswith("Title,Year,imdbID,tmdbID,WatchedDate,Rating10,Rewatch")
        assert fake.stats.by_path["GET /sync/history/movies"] == 1


async def _login(settings: Settings, fake: FakeTrakt, clock: Clock) -> tuple[Token, list[str]]:
    shown: list[str] = []
    token = await device_login(
        settings, transport=fake.transport(), sleep=clock.sleep, clock=clock, show=shown.append
    )
    return token, shown


async def test_device_login_polls_while_pending(clean_env: Path, fake: FakeTrakt) -> None:
    clock = Clock()
    oauth_state(fake).approve_after_polls = 2
    token, shown = await _login(settings_for(clean_env), fake, clock)
    assert clock.sleeps == [1, 1, 1]  # the interval Trakt gave, three polls
    assert any("https://trakt.tv/activate" in line for line in shown)
    assert token.username == "edge-user" and token.access_token in fake.tokens
    assert TokenStore(clean_env / "token.json").load() == token


async def test_device_login_slows_down_on_429(clean_env: Path, fake: FakeTrakt) -> None:
    clock = Clock()
    state = oauth_state(fake)
    state.slow_down_polls, state.approve_after_polls = 1, 1
    await _login(settings_for(clean_env), fake, clock)
    assert clock.sleeps == [1, 6, 6]  # 429 -> interval + 5 s, kept for the following polls
    assert fake.stats.by_status[429] == 1


async def test_device_login_reads_expires_in_from_the_answer(
    clean_env: Path, fake: FakeTrakt
) -> None:
    oauth_state(fake).token_lifetime = 1234
    token, _ = await _login(settings_for(clean_env), fake, Clock())
    assert token.expires_in == 1234


@pytest.mark.parametrize(
    ("outcome", "message"),
    [
        ("invalid", "Trakt does not know this login code (404 invalid device code)."),
        ("used", "this login code was already used (409)."),
        ("expire", "the login code expired before it was approved (410)."),
        ("deny", "the login was denied on trakt.tv (418)."),
    ],
)
async def test_device_login_failures_are_exit_3(
    clean_env: Path, fake: FakeTrakt, outcome: str, message: str
) -> None:
    oauth_state(fake).outcome = outcome
    with pytest.raises(AuthError) as info:
        await _login(settings_for(clean_env), fake, Clock())
    assert info.value.exit_code == 3
    assert info.value.message == message
    assert "auth login" in str(info.value.hint)
    assert not (clean_env / "token.json").exists()


async def test_device_code_expiring_on_our_clock_stops_polling(
    clean_env: Path, fake: FakeTrakt
) -> None:
    state = oauth_state(fake)
    state.interval, state.approve_after_polls = 200, 100  # 600 s code: three polls fit
    with pytest.raises(AuthError, match=r"expired before it was approved"):
        await _login(settings_for(clean_env), fake, Clock())
    assert fake.stats.by_path["POST /oauth/device/token"] == 2


async def test_login_without_client_secret_explains_the_app(clean_env: Path) -> None:
    settings = resolve(env={"TRAKT_EXPORT_HOME": str(clean_env), "TRAKT_EXPORT_CLIENT_ID": "c"})
    with pytest.raises(AuthError) as info:
        await device_login(settings, transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    assert info.value.exit_code == 3
    assert "client_secret" in info.value.message
    hint = str(info.value.hint)
    assert "https://trakt.tv/oauth/applications" in hint and "urn:ietf:wg:oauth:2.0:oob" in hint
    assert "TRAKT_EXPORT_CLIENT_SECRET" in hint


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, fake: FakeTrakt) -> Iterator[FakeTrakt]:
    with fake.serve() as url:
        for name, value in {
            "API_URL": url,
            "AUTH_URL": url,
            "CLIENT_ID": CLIENT,
            "CLIENT_SECRET": SECRET,
        }.items():
            monkeypatch.setenv(f"TRAKT_EXPORT_{name}", value)
        yield fake


def test_cli_login_denied_is_exit_3_with_message(served: FakeTrakt) -> None:
    state = oauth_state(served)
    state.interval, state.outcome = 0, "deny"
    result = runner.invoke(app, ["auth", "login"])
    assert result.exit_code == 3
    assert "Error: the login was denied on trakt.tv (418).\n" in result.stderr


# ----- status and logout ----------------------------------------------------------------------


def test_status_shows_user_expiry_and_path_never_the_token(
    clean_env: Path, served: FakeTrakt
) -> None:
    token = save_login(settings_for(clean_env), served, "edge-user", lifetime=10 * 86400 + 60)
    result = runner.invoke(app, ["auth", "status"])
    assert result.exit_code == 0, result.stderr
    assert "Logged in as: edge-user" in result.stdout
    assert "(expires in 10 days)" in result.stdout
    assert str(clean_env / "token.json") in result.stdout
    everything = result.stdout + result.stderr
    assert token.access_token not in everything and token.refresh_token not in everything


def test_status_without_login_says_not_logged_in_with_the_three_ways(served: FakeTrakt) -> None:
    result = runner.invoke(app, ["auth", "status"])
    assert result.exit_code == 0  # issue 16: "not logged in" is an answer, not an error
    assert result.stdout.startswith("Not logged in.")
    assert "auth login" in result.stdout and "--user NAME" in result.stdout
    assert "--from-zip" in result.stdout


def test_logout_revokes_and_deletes(clean_env: Path, served: FakeTrakt) -> None:
    token = save_login(settings_for(clean_env), served, "edge-user")
    result = runner.invoke(app, ["auth", "logout"])
    assert result.exit_code == 0, result.stderr
    assert oauth_state(served).revoked == [token.access_token]
    assert token.access_token not in served.tokens
    assert not (clean_env / "token.json").exists()
    assert "revoked" in result.stderr


def test_logout_deletes_even_when_revoke_fails(
    clean_env: Path, served: FakeTrakt, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_login(settings_for(clean_env), served, "edge-user")
    monkeypatch.setenv("TRAKT_EXPORT_CLIENT_SECRET", "wrong-secret")  # Trakt answers 401
    result = runner.invoke(app, ["auth", "logout"])
    assert result.exit_code == 0
    assert not (clean_env / "token.json").exists()
    assert "could not revoke the token at Trakt (Trakt answered 401)" in result.stderr
    assert oauth_state(served).revoked == []


# ----- refresh --------------------------------------------------------------------------------


def test_token_expiring_mid_export_is_refreshed_once(clean_env: Path, tmp_path: Path) -> None:
    clock = Clock()
    # Every request takes 200 s of fake time, so the 1000 s token dies after a few of them.
    fake = FakeTrakt(
        large(), client_id=CLIENT, client_secret=SECRET, clock=clock, latency=200, sleep=clock.sleep
    )
    state = oauth_state(fake)
    state.token_lifetime = 10**7
    settings = settings_for(clean_env, TRAKT_EXPORT_EXPORT_TIMEZONE="UTC")
    old = save_login(settings, fake, "big-user", lifetime=1000)
    out = tmp_path / "films.csv"
    result = run_movies(settings, Options(output=str(out), transport=fake.transport()))
    assert fake.stats.by_status[401] >= 1  # it really expired mid-export
    assert state.refreshes == 1
    assert state.refresh_tokens_seen == [old.refresh_token]  # the old one is never sent again
    saved = TokenStore(settings.paths.token_file).load()
    assert saved is not None and saved.refresh_token != old.refresh_token
    assert saved.access_token in fake.tokens and saved.username == "big-user"
    watched = len(fake.user_json("big-user", "watched/movies"))
    assert result.rows >= watched and out.exists()


def test_token_near_expiry_is_refreshed_before_use(clean_env: Path, fake: FakeTrakt) -> None:
    settings = settings_for(clean_env, TRAKT_EXPORT_EXPORT_TIMEZONE="UTC")
    save_login(settings, fake, "edge-user", lifetime=60)  # inside the 5-minute margin
    run_movies(settings, Options(output="x.csv", transport=fake.transport()))
    assert oauth_state(fake).refreshes == 1
    assert fake.stats.by_status[401] == 0
    first = fake.stats.requests[0]
    assert (first.method, first.path) == ("POST", "/oauth/token")


def test_unrefreshable_login_is_exit_3_and_writes_nothing(
    clean_env: Path, fake: FakeTrakt, tmp_path: Path
) -> None:
    settings = settings_for(clean_env)
    token = save_login(settings, fake, "edge-user")
    fake.revoke_token(token.access_token)  # revoked at Trakt: 401, and the refresh is refused
    out = tmp_path / "films.csv"
    with pytest.raises(AuthError) as info:
        run_movies(settings, Options(output=str(out), transport=fake.transport()))
    assert info.value.exit_code == 3
    assert info.value.message == "the saved Trakt login has expired and could not be refreshed."
    assert info.value.hint == "Run `trakt-export auth login`."
    assert oauth_state(fake).refresh_tokens_seen == [token.refresh_token]
    assert not out.exists()


def test_two_processes_needing_a_refresh_share_one(clean_env: Path, fake: FakeTrakt) -> None:
    """Two independent auth objects (own event loop, own lock fd) on one token file."""
    settings = settings_for(clean_env)
    old = save_login(settings, fake, "edge-user", lifetime=60)  # both see it as expiring
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def worker() -> None:
        auth = TraktAuth(settings)
        auth.current()  # both hold the old pair in memory before either refreshes

        async def call() -> int:
            headers = {"trakt-api-key": CLIENT, "trakt-api-version": "2"}
            async with httpx.AsyncClient(
                transport=fake.transport(), base_url="https://api.trakt.tv", headers=headers
            ) as http:
                barrier.wait()
                return (await http.get("/users/settings", auth=auth)).status_code

        statuses.append(asyncio.run(call()))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [200, 200]
    assert oauth_state(fake).refreshes == 1
    assert oauth_state(fake).refresh_tokens_seen == [old.refresh_token]


async def test_concurrent_requests_in_one_process_refresh_once(
    clean_env: Path, fake: FakeTrakt
) -> None:
    settings = settings_for(clean_env)
    save_login(settings, fake, "edge-user", lifetime=60)
    auth = build_auth(settings)
    headers = {"trakt-api-key": CLIENT, "trakt-api-version": "2"}
    async with httpx.AsyncClient(
        transport=fake.transport(), base_url="https://api.trakt.tv", headers=headers, auth=auth
    ) as http:
        answers = await asyncio.gather(*(http.get("/sync/watched/movies") for _ in range(8)))
    assert [a.status_code for a in answers] == [200] * 8
    assert oauth_state(fake).refreshes == 1


# ----- sources --------------------------------------------------------------------------------


def test_public_profile_equals_logged_in_export(clean_env: Path, fake: FakeTrakt) -> None:
    zone = {"TRAKT_EXPORT_EXPORT_TIMEZONE": "America/Los_Angeles"}
    logged_in = settings_for(clean_env, **zone)
    save_login(logged_in, fake, "edge-user")
    run_movies(logged_in, Options(output="a.csv", transport=fake.transport(), cache_mode="off"))
    public = settings_for(clean_env / "other", TRAKT_EXPORT_USERNAME="edge-user", **zone)
    run_movies(public, Options(output="b.csv", transport=fake.transport(), cache_mode="off"))
    # (aggregated mode, the default, reads the history: SPEC §5 v2.2)
    assert fake.stats.by_path["GET /sync/history/movies"] == 1
    # public mode's consistency re-check reads page 1 again (SPEC §4)
    assert fake.stats.by_path["GET /users/edge-user/history/movies"] == 2
    assert Path("a.csv").read_bytes() == Path("b.csv").read_bytes()


def test_private_user_is_exit_3_and_writes_nothing(clean_env: Path, fake: FakeTrakt) -> None:
    settings = settings_for(clean_env, TRAKT_EXPORT_USERNAME="private-user")
    with pytest.raises(PrivateProfileError) as info:
        run_movies(settings, Options(output="p.csv", transport=fake.transport()))
    assert info.value.exit_code == 3
    assert not Path("p.csv").exists()


def test_no_credentials_is_exit_3_with_the_three_ways(served: FakeTrakt) -> None:
    result = runner.invoke(app, ["movies", "-o", "x.csv"])
    assert result.exit_code == 3
    assert "auth login" in result.stderr and "--user NAME" in result.stderr
    assert "--from-zip" in result.stderr
    assert not Path("x.csv").exists()


def test_a_login_with_another_user_named_warns_once_that_the_login_is_exported(
    clean_env: Path, fake: FakeTrakt, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def warnings() -> list[str]:
        return [r.getMessage() for r in caplog.records if "A login exists" in r.getMessage()]

    settings = settings_for(clean_env, TRAKT_EXPORT_USERNAME="someone-else")
    save_login(settings, fake, "edge-user")
    out = tmp_path / "a.csv"
    run_movies(settings, Options(output=str(out), transport=fake.transport()))
    assert warnings() == [
        "A login exists, so its account (edge-user) is exported, not the public profile "
        "'someone-else'; run `trakt-export auth logout` to export 'someone-else' instead."
    ]
    caplog.clear()
    same = settings_for(clean_env, TRAKT_EXPORT_USERNAME="Edge-User")  # the login's own name
    run_movies(same, Options(output=str(out), transport=fake.transport()))
    assert warnings() == []
