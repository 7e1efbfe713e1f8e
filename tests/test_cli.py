"""The CLI's exit codes and messages (SPEC §6), through typer's CliRunner and the loopback fake."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from trakt_export import __version__
from trakt_export.cli.app import app
from trakt_fake import FakeTrakt

CLIENT = "test-client"
runner = CliRunner()


def login(fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAKT_EXPORT_ACCESS_TOKEN", fake.issue_token("edge-user").access_token)


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"trakt-export {__version__}\n"


def test_movies_writes_csv_and_one_summary_line(
    served: FakeTrakt, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    login(served, monkeypatch)
    result = runner.invoke(app, ["movies", "--mode", "history"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("Exported 29 rows to letterboxd-history.csv (1 file); 5 HTTP requests")
    assert (tmp_path / "letterboxd-history.csv").read_text().count("\n") == 30


def test_watchlist_summary_counts_the_rows_written(
    served: FakeTrakt, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    login(served, monkeypatch)
    result = runner.invoke(app, ["watchlist"])
    assert result.exit_code == 0, result.stderr
    written = (tmp_path / "letterboxd-watchlist.csv").read_text().count("\n") - 1
    assert written > 0
    assert result.stderr.startswith(
        f"Exported {written} rows to letterboxd-watchlist.csv (1 file); "
    )


def test_stdout_output_carries_only_csv(served: FakeTrakt, monkeypatch: pytest.MonkeyPatch) -> None:
    login(served, monkeypatch)
    result = runner.invoke(app, ["-q", "watchlist", "-o", "-"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes.startswith(b"Title,Year,imdbID,tmdbID\r\n")  # CRLF kept
    assert result.stderr == ""


def test_no_credentials_exit_3_with_the_three_ways(served: FakeTrakt, clean_env: Path) -> None:
    result = runner.invoke(app, ["movies"])
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        f"Error: no Trakt credentials: no saved login ({clean_env / 'token.json'}), no "
        f"TRAKT_EXPORT_ACCESS_TOKEN and no username ({clean_env / 'config.toml'}); "
        f"TRAKT_EXPORT_HOME is {clean_env}.",
        "Run `trakt-export auth login`, or export a public profile with --user NAME, or work "
        "offline with --from-zip PATH (your Trakt data-export ZIP).",
    ]


def test_private_profile_exit_3(served: FakeTrakt, tmp_path: Path) -> None:
    result = runner.invoke(app, ["movies", "--user", "private-user"])
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        "Error: the Trakt profile 'private-user' is private.",
        "Log in with `trakt-export auth login`, or make the profile public on Trakt.",
    ]
    assert not (tmp_path / "letterboxd-aggregated.csv").exists()


def test_unknown_user_exit_2(served: FakeTrakt) -> None:
    result = runner.invoke(app, ["movies", "--user", "nobody-here"])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: Trakt has no such resource (404 Not Found at GET ")


def test_bad_api_key_exit_3(served: FakeTrakt, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAKT_EXPORT_CLIENT_ID", "wrong")
    result = runner.invoke(app, ["movies", "--user", "edge-user"])
    assert result.exit_code == 3
    assert "Trakt refused the API key (403 Forbidden" in result.stderr


def test_bad_mode_exit_2_one_line(served: FakeTrakt) -> None:
    result = runner.invoke(app, ["movies", "--mode", "weekly", "--user", "edge-user"])
    assert result.exit_code == 2
    assert "weekly" in result.stderr
    assert "Traceback" not in result.stderr


def test_lock_held_exit_5(served: FakeTrakt, monkeypatch: pytest.MonkeyPatch) -> None:
    from trakt_export.config import resolve
    from trakt_export.lock import RunLock

    login(served, monkeypatch)
    with RunLock(resolve().paths.lock_file):
        result = runner.invoke(app, ["movies"])
    assert result.exit_code == 5
    assert "holds the lock" in result.stderr


def test_split_output_from_cli(
    served: FakeTrakt, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    login(served, monkeypatch)
    result = runner.invoke(app, ["movies", "--mode", "history", "--max-rows", "10", "-o", "d.csv"])
    assert result.exit_code == 0, result.stderr
    parts = sorted(p.name for p in tmp_path.glob("d-*.csv"))
    assert parts == ["d-01.csv", "d-02.csv", "d-03.csv"]
    assert "(3 files)" in result.stderr
