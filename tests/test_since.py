"""Only new rows (SPEC §5): `--since DATE` and `--since last`, the per-account mark."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.test_golden import CLIENT, check, settings_for
from trakt_export.cli.app import app
from trakt_export.config import Settings
from trakt_export.errors import OutputError, UsageError
from trakt_export.run.export import run_movies
from trakt_export.run.session import Options
from trakt_fake import FakeTrakt, edge
from trakt_fake.records import utc


def rows_of(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


ZONES = {"account": {}, "override": {"TRAKT_EXPORT_EXPORT_TIMEZONE": "America/Los_Angeles"}}


def setup(home: Path, **env: str) -> tuple[FakeTrakt, Settings]:
    fake = FakeTrakt(edge(), client_id=CLIENT)
    token = fake.issue_token("edge-user").access_token
    settings = settings_for(
        home, TRAKT_EXPORT_ACCESS_TOKEN=token, TRAKT_EXPORT_EXPORT_MODE="history", **env
    )
    return fake, settings


@pytest.mark.parametrize("zone", sorted(ZONES))
def test_since_last_three_runs(
    zone: str, clean_env: Path, tmp_path: Path, update_goldens: bool
) -> None:
    fake, settings = setup(clean_env, **ZONES[zone])
    full = tmp_path / "full.csv"
    run_movies(settings, Options(output=str(full), transport=fake.transport()))

    first = tmp_path / "night-1.csv"
    run_movies(settings, Options(output=str(first), transport=fake.transport()), "last")
    assert first.read_bytes() == full.read_bytes()  # the first --since last run: everything
    assert list((clean_env).rglob("since/*.json"))  # the mark, in the data dir

    # New plays: one logged today with an old date (a day the film already has a row), one
    # rewatch on a new day.
    fake.add_history("edge-user", 1, utc(2023, 1, 5, 20))
    fake.add_history("edge-user", 23, utc(2024, 3, 1, 20))
    fake.add_history("edge-user", 23, utc(2024, 3, 2, 3))  # Berlin: 03-02; Los Angeles: 03-01
    second = tmp_path / "night-2.csv"
    run_movies(settings, Options(output=str(second), transport=fake.transport()), "last")
    check(second, f"edge-history-since-last-{zone}.csv", update_goldens)
    rows = rows_of(second)
    assert [(r["Title"], r["WatchedDate"], r["Rewatch"]) for r in rows] == [
        ("Crouching Tiger, Hidden Dragon", "2023-01-05", "false"),
        ("Alien", "2024-03-01", "true"),  # Rewatch over the whole history
    ] + ([("Alien", "2024-03-02", "true")] if zone == "account" else [])

    third = tmp_path / "night-3.csv"
    third.write_text("an earlier file\n")
    result = run_movies(
        settings,
        Options(output=str(third), transport=fake.transport()),
        "last",
    )
    assert result.nothing_new and result.files == []
    assert result.summary().startswith("Nothing new to export: no file written;")
    assert third.read_text() == "an earlier file\n"  # left as it is


def test_since_date_and_rated_unwatched(clean_env: Path, tmp_path: Path) -> None:
    fake, settings = setup(clean_env)
    out = tmp_path / "since.csv"
    run_movies(settings, Options(output=str(out), transport=fake.transport()), "2023-10-01")
    rows = rows_of(out)
    assert rows and all(r["WatchedDate"] >= "2023-10-01" for r in rows if r["WatchedDate"])
    assert ("Alien", "true") in {(r["Title"], r["Rewatch"]) for r in rows}
    full = tmp_path / "full.csv"
    run_movies(settings, Options(output=str(full), transport=fake.transport()))
    every = rows_of(full)
    assert [r for r in rows if r["WatchedDate"]] == [
        r for r in every if r["WatchedDate"] >= "2023-10-01"
    ]
    # Rated-unwatched rows only when rated on or after the date.
    assert run_movies(settings, Options(transport=fake.transport()), "2099-01-01").nothing_new
    fake.add_rating("edge-user", 26, 7, utc(2099, 1, 1, 12))
    late = tmp_path / "late.csv"
    run_movies(settings, Options(output=str(late), transport=fake.transport()), "2099-01-01")
    assert [(r["Year"], r["WatchedDate"], r["Rating10"]) for r in rows_of(late)] == [
        (r["Year"], "", "7") for r in rows_of(late)
    ]
    assert len(rows_of(late)) == 1


def test_since_needs_history_mode_and_a_date(clean_env: Path, tmp_path: Path) -> None:
    fake = FakeTrakt(edge(), client_id=CLIENT)
    settings = settings_for(clean_env, TRAKT_EXPORT_USERNAME="edge-user")
    with pytest.raises(UsageError, match="history mode"):
        run_movies(settings, Options(transport=fake.transport()), "last")
    history = settings_for(clean_env, TRAKT_EXPORT_EXPORT_MODE="history")
    with pytest.raises(UsageError, match="neither a date"):
        run_movies(history, Options(transport=fake.transport()), "yesterday")
    assert fake.stats.total == 0  # checked before any request
    result = CliRunner().invoke(app, ["movies", "--since", "last"])
    assert result.exit_code == 2
    assert "history mode" in result.output


def test_failed_run_does_not_advance_the_mark(clean_env: Path, tmp_path: Path) -> None:
    fake, settings = setup(clean_env)
    run_movies(
        settings, Options(output=str(tmp_path / "a.csv"), transport=fake.transport()), "last"
    )
    fake.add_history("edge-user", 1, utc(2024, 5, 5, 20))
    blocked = tmp_path / "no-such-dir-file"
    blocked.write_text("")
    with pytest.raises(OutputError) as failed:  # writing below a regular file fails
        run_movies(
            settings, Options(output=str(blocked / "x.csv"), transport=fake.transport()), "last"
        )
    assert failed.value.exit_code == 2
    assert str(failed.value) == f"cannot write {blocked / 'x.csv'}: {blocked} is not a directory."
    assert failed.value.hint == (
        "Choose a writable place with -o (or [export] output_dir); previous outputs are untouched."
    )
    again = tmp_path / "b.csv"
    run_movies(settings, Options(output=str(again), transport=fake.transport()), "last")
    assert [r["WatchedDate"] for r in rows_of(again)] == ["2024-05-05"]
