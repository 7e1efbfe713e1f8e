"""Real Trakt data of 2026 (SPEC §3, §5, §6) against the fake's `reality()` dataset: unknown-date
plays, null and title-less films, timezone warnings, every real export-ZIP layout, and the
access refusals (420, 426, Cloudflare's HTML 403) and the refresh's redirect_uri.

Goldens: `pytest tests/test_reality.py --update-goldens` rewrites tests/golden/reality-*.csv.
"""

from __future__ import annotations

import json
import logging
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from trakt_export.auth.tokens import Token, TokenStore
from trakt_export.cli.app import app
from trakt_export.config import Settings, resolve
from trakt_export.errors import AuthError, InputError
from trakt_export.run.export import run_movies, run_watchlist
from trakt_export.run.session import Options
from trakt_export.sources.ziparchive import find_members, missing_page, read_zip
from trakt_export.zones import choose_zone
from trakt_fake import FakeTrakt
from trakt_fake.datasets import reality
from trakt_fake.oauth import oauth_state
from trakt_fake.ziplayouts import write_trakt_zip

from .test_golden import check

CLIENT, SECRET = "test-client", "test-secret"
USER = "reality-user"
runner = CliRunner()


@pytest.fixture
def fake() -> FakeTrakt:
    return FakeTrakt(reality(), client_id=CLIENT, client_secret=SECRET)


def settings_for(home: Path, **env: str) -> Settings:
    base = {
        "TRAKT_EXPORT_HOME": str(home),
        "TRAKT_EXPORT_CLIENT_ID": CLIENT,
        "TRAKT_EXPORT_CLIENT_SECRET": SECRET,
    }
    return resolve(env={**base, **env})


def online(fake: FakeTrakt, home: Path, out: Path, mode: str, **env: str) -> bytes:
    token = fake.issue_token(USER).access_token
    if mode != "watchlist":
        env = {**env, "TRAKT_EXPORT_EXPORT_MODE": mode}
    settings = settings_for(home, TRAKT_EXPORT_ACCESS_TOKEN=token, **env)
    run = run_watchlist if mode == "watchlist" else run_movies
    run(settings, Options(output=str(out), transport=fake.transport(), cache_mode="off"))
    return out.read_bytes()


def rows(data: bytes) -> list[list[str]]:
    return [line.split(",") for line in data.decode().splitlines()[1:]]


# ----- unknown dates (SPEC §5) ----------------------------------------------------------------

ZONES = {"account": {}, "tokyo": {"TRAKT_EXPORT_EXPORT_TIMEZONE": "Asia/Tokyo"}}


@pytest.mark.parametrize("mode", ["history", "aggregated"])
@pytest.mark.parametrize("zone", sorted(ZONES))
def test_unknown_date_goldens(
    mode: str, zone: str, fake: FakeTrakt, clean_env: Path, tmp_path: Path, update_goldens: bool
) -> None:
    out = tmp_path / "out.csv"
    data = online(fake, clean_env, out, mode, **ZONES[zone])
    check(out, f"reality-{mode}-{zone}.csv", update_goldens)
    assert b"1970-01-01" not in data and b"1969-12-31" not in data  # never a WatchedDate
    table = rows(data)
    # Only unknown-date plays: one undated row, empty Rewatch (and its rating, none here).
    assert [r for r in table if r[0] == "Seen Long Ago"] == [
        ["Seen Long Ago", "1984", "tt0087332", "620", "", "", ""]
    ]
    # Unknown date and rated: the undated row carries the rating.
    assert [r[4:] for r in table if r[0] == "Rated From Memory"] == [["", "9", ""]]
    again = [r for r in table if r[0] == "Watched Again"]
    if mode == "history":
        # The unknown-date play is the earlier viewing: the first dated row is a rewatch.
        assert len(again) == 2 and all(r[6] == "true" for r in again)
    else:
        assert len(again) == 1 and again[0][6] == "true"
    assert all(r[6] == "" for r in table if r[4] == "")  # undated rows: empty Rewatch


def test_aggregated_last_watched_at_unknown_gives_an_undated_row_even_with_plays(
    fake: FakeTrakt, clean_env: Path, tmp_path: Path
) -> None:
    watched = {w["movie"]["title"]: w for w in fake.user_json(USER, "watched/movies")}
    assert watched["Seen Long Ago"]["plays"] == 2  # two plays, both of unknown date
    assert watched["Seen Long Ago"]["last_watched_at"].startswith("1970-01-01")
    data = online(fake, clean_env, tmp_path / "a.csv", "aggregated")
    assert b"Seen Long Ago,1984,tt0087332,620,,,\r\n" in data


def test_history_ids_of_unknown_date_plays_are_kept(fake: FakeTrakt, tmp_path: Path) -> None:
    archive = write_trakt_zip(fake, tmp_path / "r.zip", USER, "flat")
    data = read_zip(archive, ("history/movies",))
    served = [h for h in fake.user_json(USER, "history/movies") if h["movie"] is not None]
    served = [h for h in served if h["movie"]["title"] or h["movie"]["ids"].get("imdb")]
    assert sorted(e.history_id for e in data.history) == sorted(h["id"] for h in served)
    assert sum(e.watched_at.year == 1970 for e in data.history) == 4  # kept, for --since last


# ----- incomplete items (SPEC §5) -------------------------------------------------------------


def skip_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("Skipped")]


@pytest.mark.parametrize("mode", ["history", "aggregated", "watchlist"])
def test_null_and_title_less_films_skip_with_one_counted_warning(
    mode: str, fake: FakeTrakt, clean_env: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="trakt_export")
    data = online(fake, clean_env, tmp_path / "o.csv", mode)
    table = rows(data)
    # Title-less film with ids: an empty Title, matched by id; null year -> empty cell.
    (untitled,) = [r[:4] for r in table if r[2] == "tt1568346"]
    assert untitled == ["", "2011", "tt1568346", "65754"]
    assert [r[1] for r in table if r[0] == "Announced Project"] == [""]
    assert all(r[2] or r[3] or r[0] for r in table)  # nothing Letterboxd could not match
    (line,) = skip_lines(caplog)
    assert "whose film Trakt no longer has" in line
    assert "1 film with neither a title nor an IMDb/TMDB id (Trakt id 3005" in line
    # a rating and a play (both modes read the history, SPEC §5 v2.2) / a watchlist item
    gone = 1 if mode == "watchlist" else 2
    assert line.startswith(f"Skipped {gone} item")


def test_cli_incomplete_items_exit_0_online_and_offline(
    fake: FakeTrakt, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = write_trakt_zip(fake, tmp_path / "r.zip", USER, "paged", page_size=3)
    offline = runner.invoke(app, ["movies", "--mode", "history", "--from-zip", str(archive)])
    assert offline.exit_code == 0, offline.stderr
    assert offline.stderr.count("Skipped ") == 1
    with fake.serve() as url:
        monkeypatch.setenv("TRAKT_EXPORT_API_URL", url)
        monkeypatch.setenv("TRAKT_EXPORT_CLIENT_ID", CLIENT)
        monkeypatch.setenv("TRAKT_EXPORT_ACCESS_TOKEN", fake.issue_token(USER).access_token)
        result = runner.invoke(app, ["movies", "--mode", "history", "-o", "on.csv"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("Skipped ") == 1
    assert Path("on.csv").read_bytes() == Path("letterboxd-history.csv").read_bytes()


# ----- zones (SPEC §5) ------------------------------------------------------------------------


def test_unresolvable_account_zone_and_system_zone_are_named(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    caplog.set_level(logging.WARNING, logger="trakt_export")
    zone, source = choose_zone("", "Mars/Olympus_Mons")
    assert (zone.key, source) == ("Asia/Tokyo", "system")
    (line,) = [r.getMessage() for r in caplog.records]
    assert "'Mars/Olympus_Mons'" in line and "Asia/Tokyo instead" in line
    caplog.clear()
    choose_zone("", None)  # public profile, or a ZIP without user-settings.json
    (line,) = [r.getMessage() for r in caplog.records]
    assert "system timezone Asia/Tokyo" in line
    caplog.clear()
    choose_zone("Europe/Berlin", None)
    choose_zone("", "Europe/Berlin")
    assert not caplog.records  # configured, or the account's own zone: nothing to say


def test_public_mode_warns_the_system_zone_once_unless_configured(
    fake: FakeTrakt, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    with fake.serve() as url:
        monkeypatch.setenv("TRAKT_EXPORT_API_URL", url)
        monkeypatch.setenv("TRAKT_EXPORT_CLIENT_ID", CLIENT)
        base = ["movies", "--user", USER, "-o", "x.csv"]
        result = runner.invoke(app, base)
        assert result.exit_code == 0, result.stderr
        assert result.stderr.count("system timezone Europe/Berlin") == 1
        configured = runner.invoke(app, [*base, "--timezone", "Europe/Berlin"])
        assert configured.exit_code == 0
        assert "system timezone" not in configured.stderr


# ----- the export ZIP (SPEC §3) ---------------------------------------------------------------

LAYOUTS = [
    ("paged", {"page_size": 2}),
    ("flat", {}),
    ("folders", {}),
    ("user-folders", {}),
    ("paged", {"page_size": 3, "macosx": True}),
    ("folders", {"upper": True}),
    ("user-folders", {"upper": True, "macosx": True}),
]


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The online exports of reality-user (account zone included), once for the module."""
    fake = FakeTrakt(reality(), client_id=CLIENT, client_secret=SECRET)
    home = tmp_path_factory.mktemp("online")
    return {
        mode: online(fake, home, home / f"{mode}.csv", mode)
        for mode in ("history", "aggregated", "watchlist")
    }


@pytest.mark.parametrize(("layout", "extra"), LAYOUTS)
def test_every_layout_is_byte_identical_to_the_online_export(
    layout: str,
    extra: dict[str, Any],
    expected: dict[str, bytes],
    clean_env: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="trakt_export")
    fake = FakeTrakt(reality(), client_id=CLIENT)
    archive = write_trakt_zip(fake, tmp_path / "t.zip", USER, layout, **extra)
    names = zipfile.ZipFile(archive).namelist()
    if extra.get("page_size"):
        assert any(n.lower().endswith("ratings-movies-2.json") for n in names)  # really paged
    data = read_zip(archive)
    assert data.account_timezone == "America/Los_Angeles"
    for mode, wanted in expected.items():
        out = tmp_path / f"{mode}.csv"
        # No credentials at all, and no --timezone: the ZIP's user-settings.json gives the zone.
        env = {"TRAKT_EXPORT_HOME": str(clean_env)}
        if mode != "watchlist":
            env["TRAKT_EXPORT_EXPORT_MODE"] = mode
        settings = resolve(env=env)
        run = run_watchlist if mode == "watchlist" else run_movies
        result = run(settings, Options(output=str(out), zip_path=archive))
        assert result.stats.requests == 0
        assert out.read_bytes() == wanted, (layout, extra, mode)
    assert not [r for r in caplog.records if "timezone" in r.getMessage()]


def test_find_members_by_base_name_in_page_order() -> None:
    names = [
        "export/WATCHED/Watched-Movies-10.JSON",
        "export/watched/watched-movies-2.json",
        "export/watched/watched-movies-1.json",
        "export/lists/watchlist.json",
        "export/lists-lists.json",
        "export/lists-list-7-best-of-2023.json",
        "export/watched-movies-extra.json",
    ]
    assert find_members(names, "watched-movies") == [names[2], names[1], names[0]]
    assert missing_page(find_members(names, "watched-movies"), "watched-movies") == (
        "watched-movies-3.json"
    )
    assert find_members(names, "lists-watchlist") == ["export/lists/watchlist.json"]
    assert find_members(names, "lists-list-7-best-of-2023") == [names[5]]
    assert find_members(names, "lists-lists") == ["export/lists-lists.json"]


def _zip(path: Path, files: dict[str, Any]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content if isinstance(content, str) else json.dumps(content))
    return path


def test_a_zip_with_only_the_watchlist_serves_watchlist(
    fake: FakeTrakt, expected: dict[str, bytes], tmp_path: Path
) -> None:
    watchlist = fake.user_json(USER, "watchlist")
    archive = _zip(tmp_path / "w.zip", {"lists/watchlist-1.json": watchlist})
    result = runner.invoke(app, ["watchlist", "--from-zip", str(archive), "-o", "w.csv"])
    assert result.exit_code == 0, result.stderr
    assert Path("w.csv").read_bytes() == expected["watchlist"]
    movies = runner.invoke(app, ["movies", "--from-zip", str(archive), "-o", "m.csv"])
    assert movies.exit_code == 2
    # either mode needs watched-history and ratings-movies (SPEC §3 v2.2): both named
    assert "no watched-history.json or ratings-movies.json found" in movies.stderr
    assert not Path("m.csv").exists()


def test_a_missing_needed_file_is_exit_2_naming_it(fake: FakeTrakt, tmp_path: Path) -> None:
    archive = write_trakt_zip(fake, tmp_path / "r.zip", USER, "folders")
    kept = {
        n: zipfile.ZipFile(archive).read(n)
        for n in zipfile.ZipFile(archive).namelist()
        if "ratings" not in n
    }
    with zipfile.ZipFile(tmp_path / "cut.zip", "w") as cut:
        for name, body in kept.items():
            cut.writestr(name, body)
    result = runner.invoke(app, ["movies", "--from-zip", str(tmp_path / "cut.zip")])
    assert result.exit_code == 2
    assert "no ratings-movies.json found" in result.stderr
    watchlist = runner.invoke(app, ["watchlist", "--from-zip", str(tmp_path / "cut.zip")])
    assert watchlist.exit_code == 0, watchlist.stderr  # ratings are not needed there


def test_errors_json_naming_a_needed_endpoint_is_exit_2(fake: FakeTrakt, tmp_path: Path) -> None:
    archive = write_trakt_zip(fake, tmp_path / "r.zip", USER, "paged", errors=["ratings-movies"])
    result = runner.invoke(app, ["movies", "--from-zip", str(archive), "-o", "m.csv"])
    assert result.exit_code == 2
    assert "ratings-movies" in result.stderr
    assert "Trakt failed to export it: ask Trakt for a new export" in result.stderr
    assert not Path("m.csv").exists()
    other = runner.invoke(app, ["watchlist", "--from-zip", str(archive), "-o", "w.csv"])
    assert other.exit_code == 0, other.stderr
    assert other.stderr.count("_errors.json") == 1 and "ratings-movies" in other.stderr


def test_two_accounts_in_one_zip_are_refused(tmp_path: Path) -> None:
    from trakt_fake import edge

    both = FakeTrakt(edge(), client_id=CLIENT)
    for layout in ("flat", "user-folders"):
        archive = write_trakt_zip(
            both, tmp_path / f"{layout}.zip", ["edge-user", "private-user"], layout
        )
        with pytest.raises(InputError) as info:
            read_zip(archive, ("watchlist/movies",))
        assert info.value.exit_code == 2
        assert "more than one Trakt export (edge-user/, private-user/)" in info.value.message


# ----- access (SPEC §3, §6) -------------------------------------------------------------------


@pytest.fixture
def served(fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTrakt]:
    with fake.serve() as url:
        monkeypatch.setenv("TRAKT_EXPORT_API_URL", url)
        monkeypatch.setenv("TRAKT_EXPORT_AUTH_URL", url)
        monkeypatch.setenv("TRAKT_EXPORT_CLIENT_ID", CLIENT)
        monkeypatch.setenv("TRAKT_EXPORT_ACCESS_TOKEN", fake.issue_token(USER).access_token)
        yield fake


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (420, "account limit is exceeded (420"),
        (426, "needs a VIP account (426"),
        (403, "Cloudflare) blocked the request (403"),
        (423, "account is locked (423"),
    ],
)
def test_refusals_are_exit_3_each_with_its_own_message(
    status: int, says: str, served: FakeTrakt
) -> None:
    served.access.status_for("/sync/", status)
    result = runner.invoke(app, ["movies", "-o", "x.csv"])
    assert result.exit_code == 3, result.stderr
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2
    if status == 403:
        assert "User-Agent" in result.stderr and "deleted or blocked" in result.stderr
        assert "Check client_id" not in result.stderr
    assert not Path("x.csv").exists()


def test_a_bare_403_still_points_at_the_client_id(served: FakeTrakt) -> None:
    oauth_state(served).app_status = "blocked"
    result = runner.invoke(app, ["movies", "-o", "x.csv"])
    assert result.exit_code == 3
    assert "client_id" in result.stderr


def test_refresh_sends_the_configured_redirect_uri(fake: FakeTrakt, clean_env: Path) -> None:
    uri = "https://example.org/trakt/callback"
    oauth_state(fake).redirect_uri = uri  # the fake refuses a refresh with another one
    for name, env in (("set", {"TRAKT_EXPORT_REDIRECT_URI": uri}), ("default", {})):
        settings = settings_for(clean_env / name, TRAKT_EXPORT_EXPORT_TIMEZONE="UTC", **env)
        assert settings.trakt.redirect_uri == (uri if env else "urn:ietf:wg:oauth:2.0:oob")
        issued = fake.issue_token(USER, 60)  # inside the refresh margin: refreshed before use
        TokenStore(settings.paths.token_file).save(
            Token(issued.access_token, issued.refresh_token, issued.created_at, 60, USER)
        )
        options = Options(output=str(clean_env / f"{name}.csv"), transport=fake.transport())
        if env:
            run_movies(settings, options)
        else:
            with pytest.raises(AuthError):
                run_movies(settings, options)  # the out-of-band default does not match
    assert oauth_state(fake).refreshes == 1


def test_offline_without_user_settings_names_the_system_zone(
    fake: FakeTrakt, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    archive = write_trakt_zip(fake, tmp_path / "r.zip", USER, "flat", user_settings=False)
    result = runner.invoke(app, ["movies", "--from-zip", str(archive), "-o", "x.csv"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("system timezone Asia/Tokyo") == 1
    assert b"Night Owl,2014,tt2872718,242582,2024-06-16" in Path("x.csv").read_bytes()
    with_settings = write_trakt_zip(fake, tmp_path / "s.zip", USER, "flat")
    quiet = runner.invoke(app, ["movies", "--from-zip", str(with_settings), "-o", "y.csv"])
    assert "timezone" not in quiet.stderr  # the account's zone, from user-settings.json
    assert b"Night Owl,2014,tt2872718,242582,2024-06-15" in Path("y.csv").read_bytes()


def test_errors_json_naming_the_history_endpoint_stops_both_modes(
    fake: FakeTrakt, tmp_path: Path
) -> None:
    archive = write_trakt_zip(fake, tmp_path / "r.zip", USER, "flat", errors=["watched-history"])
    result = runner.invoke(app, ["movies", "--mode", "history", "--from-zip", str(archive)])
    assert result.exit_code == 2
    assert "watched-history" in result.stderr and "ask Trakt for a new export" in result.stderr
    # aggregated mode is a view of the history (SPEC §5 v2.2): it needs watched-history too
    aggregated = runner.invoke(app, ["movies", "--from-zip", str(archive), "-o", "a.csv"])
    assert aggregated.exit_code == 2, aggregated.stderr
    assert "watched-history" in aggregated.stderr and not Path("a.csv").exists()
