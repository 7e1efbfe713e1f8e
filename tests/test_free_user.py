"""The free user first (issue 21 step 4): `doctor --from-zip PATH` checks Trakt's data-export ZIP
instead of credentials and network (SPEC §1 v2.2); `doctor` and the no-credentials error name
the ZIP way; `config init` names both ways in. Exact texts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trakt_export.cli.app import app
from trakt_fake import FakeTrakt, edge
from trakt_fake.ziplayouts import write_trakt_zip

runner = CliRunner()
FIX_ZIP = "Download a complete export from trakt.tv Settings > Data > Export."


@pytest.fixture
def fake() -> FakeTrakt:
    return FakeTrakt(edge())


def doctor(*args: str) -> tuple[int, dict[str, str]]:
    result = runner.invoke(app, ["doctor", *args])
    lines = {}
    for line in result.stdout.splitlines():
        status, rest = line.split(None, 1)
        name, message = rest.split(": ", 1)
        lines[name] = f"{status} {message}"
    return result.exit_code, lines


def test_a_good_zip_serves_movies_exit_0_without_any_request(
    fake: FakeTrakt, tmp_path: Path, clean_env: Path
) -> None:
    archive = write_trakt_zip(fake, tmp_path / "export.zip", "edge-user", "paged", page_size=3)
    code, lines = doctor("--from-zip", str(archive))
    assert code == 0
    assert list(lines) == [
        "config", "zip", "account", "timezone", "errors", "movies", "history", "watchlist",
        "lists", "reviews", "dirs",
    ]  # fmt: skip
    assert lines["account"] == "ok the export of the account edge-user."
    assert lines["timezone"] == "ok the account timezone Europe/Berlin (user-settings.json)."
    assert lines["errors"] == "ok Trakt reported no failed file (_errors.json)."
    assert lines["movies"] == (
        "ok `movies --mode aggregated` can be served (watched-history.json, ratings-movies.json)."
    )
    assert lines["history"] == (
        "ok `movies --mode history` can be served (watched-history.json, ratings-movies.json)."
    )
    assert lines["watchlist"] == "ok `watchlist` can be served (lists-watchlist.json)."
    assert fake.stats.total == 0  # no server at all: nothing could be asked


def test_a_watchlist_only_zip_names_what_movies_lacks_exit_2(
    fake: FakeTrakt, tmp_path: Path
) -> None:
    full = write_trakt_zip(fake, tmp_path / "full.zip", "edge-user", "flat")
    only = tmp_path / "watchlist.zip"
    with zipfile.ZipFile(full) as source, zipfile.ZipFile(only, "w") as target:
        for name in ("lists-watchlist.json", "user-settings.json"):
            target.writestr(name, source.read(name))
    code, lines = doctor("--from-zip", str(only))
    assert code == 2
    assert lines["movies"] == (
        "problem `movies --mode aggregated` cannot be served: the ZIP lacks watched-history.json, "
        f"ratings-movies.json. Fix: {FIX_ZIP}"
    )
    assert lines["history"] == (
        "warning `movies --mode history` cannot be served: the ZIP lacks watched-history.json, "
        "ratings-movies.json. Fix: Only `movies --mode history` needs it; the other commands "
        "are not affected."
    )
    assert lines["watchlist"] == "ok `watchlist` can be served (lists-watchlist.json)."


def test_errors_json_is_reported_and_a_needed_file_it_names_fails_movies(
    fake: FakeTrakt, tmp_path: Path
) -> None:
    archive = write_trakt_zip(
        fake, tmp_path / "export.zip", "edge-user", "flat", errors=["ratings-movies"]
    )
    code, lines = doctor("--from-zip", str(archive))
    assert code == 2
    assert lines["errors"] == (
        "warning Trakt's _errors.json says it failed to export ratings-movies.json. Fix: Ask "
        "Trakt for a new export (trakt.tv Settings > Data) if a command below needs it."
    )
    assert lines["movies"] == (
        "problem `movies --mode aggregated` cannot be served: the ZIP lacks ratings-movies.json. "
        f"Fix: {FIX_ZIP}"
    )
    assert lines["watchlist"].startswith("ok ")


def test_errors_json_naming_an_unneeded_file_leaves_movies_working(
    fake: FakeTrakt, tmp_path: Path
) -> None:
    archive = write_trakt_zip(
        fake, tmp_path / "export.zip", "edge-user", "flat", errors=["collection-shows"]
    )
    result = runner.invoke(app, ["doctor", "--from-zip", str(archive)])
    assert result.exit_code == 0
    assert result.stderr == ""  # the reader's notes are doctor's findings, not stderr lines
    assert "failed to export collection-shows.json." in result.stdout


def test_two_accounts_exit_2(fake: FakeTrakt, tmp_path: Path) -> None:
    archive = write_trakt_zip(fake, tmp_path / "two.zip", ["edge-user", "private-user"], "flat")
    code, lines = doctor("--from-zip", str(archive))
    assert code == 2
    assert lines["account"] == (
        f"problem {archive} holds more than one Trakt export (edge-user/, private-user/). Fix: "
        "Pass a ZIP with one account's export, as downloaded from trakt.tv."
    )
    assert lines["movies"] == "skipped not checked: the ZIP holds more than one export"


def test_a_missing_zip_exit_2(tmp_path: Path) -> None:
    code, lines = doctor("--from-zip", str(tmp_path / "nope.zip"))
    assert code == 2
    assert lines["zip"] == (
        f"problem {tmp_path / 'nope.zip'} does not exist. Fix: Download it from trakt.tv "
        "Settings > Data > Export, then pass that ZIP."
    )


def test_json_is_one_entry_per_check(fake: FakeTrakt, tmp_path: Path) -> None:
    archive = write_trakt_zip(fake, tmp_path / "export.zip", "edge-user", "flat")
    result = runner.invoke(app, ["doctor", "--json", "--from-zip", str(archive)])
    assert result.exit_code == 0
    entries = json.loads(result.stdout)
    assert [e["check"] for e in entries][:6] == [
        "config", "zip", "account", "timezone", "errors", "movies"
    ]  # fmt: skip
    assert set(entries[0]) == {"check", "status", "message", "fix"}


def test_doctor_without_an_api_app_names_from_zip(clean_env: Path) -> None:
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 3
    line = next(x for x in result.stdout.splitlines() if " credentials: " in x)
    assert line == (
        "problem  credentials: no Trakt client id configured. Fix: Set [trakt] client_id in the "
        "config or TRAKT_EXPORT_CLIENT_ID (see README, 'Getting access'), or work offline with "
        "--from-zip PATH."
    )


def test_doctor_with_an_app_but_no_login_names_from_zip(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAKT_EXPORT_CLIENT_ID", "some-app")
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 3
    line = next(x for x in result.stdout.splitlines() if " credentials: " in x)
    assert line.endswith(
        "Fix: Run `trakt-export auth login`, or export a public profile with --user NAME, or "
        "work offline with --from-zip PATH (your Trakt data-export ZIP)."
    )


def test_config_init_names_both_ways_in(clean_env: Path) -> None:
    result = runner.invoke(app, ["config", "init"])
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"Wrote {clean_env / 'config.toml'}.",
        "Next, with a Trakt API app: put its client_id and client_secret in [trakt], then run "
        "`trakt-export auth login`.",
        "Without one: download your export (trakt.tv Settings > Data > Export), check it with "
        "`trakt-export doctor --from-zip PATH`, then run `trakt-export movies --from-zip PATH`.",
    ]


@pytest.mark.e2e
def test_make_demo_shows_an_api_export_and_a_zip_export(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "TMPDIR": str(tmp_path), "DEMO_OUT": str(tmp_path / "out")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    done = subprocess.run(
        ["sh", str(root / "scripts" / "demo.sh")],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "== fake Trakt serving the sample account" in done.stdout
    assert "ok       movies: `movies --mode aggregated` can be served" in done.stdout
    assert done.stdout.rstrip().endswith("== the ZIP export is byte-identical to the API export")
    assert (tmp_path / "out" / "zip-letterboxd-history.csv").read_bytes() == (
        tmp_path / "out" / "letterboxd-history.csv"
    ).read_bytes()
