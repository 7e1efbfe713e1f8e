"""`trakt-export restore` through the CLI (in-process Typer runner against the fake on
loopback): the plan on stdout, exit codes, --only, --report counting the writes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trakt_export.cli.app import app
from trakt_export.config import resolve
from trakt_export.run.backup import run_backup
from trakt_export.run.session import Options
from trakt_export.transport import ratelimit
from trakt_fake import FakeTrakt, UserData, sample

CLIENT = "test-client"


@pytest.fixture
def fake() -> FakeTrakt:
    dataset = sample()
    dataset.users["fresh"] = UserData(username="fresh", vip=True)
    return FakeTrakt(dataset, client_id=CLIENT)


@pytest.fixture
def backup(fake: FakeTrakt, clean_env: Path, tmp_path: Path) -> Path:
    settings = resolve(
        env={
            "TRAKT_EXPORT_HOME": str(clean_env),
            "TRAKT_EXPORT_CLIENT_ID": CLIENT,
            "TRAKT_EXPORT_ACCESS_TOKEN": fake.issue_token("demo").access_token,
        }
    )
    target = tmp_path / "backup"
    run_backup(settings, Options(output=str(target), transport=fake.transport()), datetime.now(UTC))
    return target


@pytest.fixture
def served(fake: FakeTrakt, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTrakt]:
    with fake.serve() as url:
        monkeypatch.setenv("TRAKT_EXPORT_API_URL", url)
        monkeypatch.setenv("TRAKT_EXPORT_AUTH_URL", url)
        monkeypatch.setenv("TRAKT_EXPORT_CLIENT_ID", CLIENT)
        monkeypatch.setenv("TRAKT_EXPORT_ACCESS_TOKEN", fake.issue_token("fresh").access_token)
        fake.writes.interval = 0.0  # loopback in real time: no need to wait out Trakt's limit
        # ... nor for our side of it: the CLI has no virtual clock, and the pacing at 1 write/s
        # is proven in virtual time by test_restore_heavy (tests never really sleep).
        monkeypatch.setattr(ratelimit, "WRITE_LIMIT", (1000, 1.0))
        yield fake


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_dry_run_prints_the_plan_on_stdout_and_writes_nothing(
    served: FakeTrakt, backup: Path
) -> None:
    code, out, err = invoke("restore", str(backup))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Restore plan: the backup of demo into the account fresh"
    assert [line.split(":")[0].strip() for line in lines[1:8]] == [
        "history",
        "ratings",
        "watchlist",
        "collection",
        "lists",
        "favorites",
        "hidden",
    ]
    assert "not restored: comments" in out
    assert "Dry run" in err and served.writes.log == []


def test_apply_with_only_and_report_counting_the_writes(
    served: FakeTrakt, backup: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    code, out, err = invoke(
        "--report", str(report), "restore", str(backup), "--apply", "--only", "history,ratings"
    )
    assert code == 0, err
    assert "Restored" in err and "every planned item checked" in err
    assert "  history: 40 to add" in out and "  watchlist" not in out
    assert {r.path for r in served.writes.log} == {"/sync/history", "/sync/ratings"}
    endpoints = json.loads(report.read_text())["endpoints"]
    assert endpoints["/sync/history"]["requests"] == 1
    assert endpoints["/sync/ratings"]["requests"] == 1
    code, _, err = invoke("restore", str(backup), "--apply", "--only", "history,ratings")
    assert code == 0 and len(served.writes.log) == 2  # nothing more written


def test_usage_errors_and_damaged_backup(served: FakeTrakt, backup: Path) -> None:
    code, _, err = invoke("restore", str(backup), "--only", "history,plays")
    assert code == 2 and "plays" in err
    (backup / "watchlist.json").write_text("[]\n")
    code, _, err = invoke("restore", str(backup), "--apply")
    assert code == 2 and "watchlist.json differs" in err
    assert served.writes.log == []


def test_public_profile_mode_cannot_restore(
    served: FakeTrakt, backup: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRAKT_EXPORT_ACCESS_TOKEN")
    monkeypatch.setenv("TRAKT_EXPORT_USERNAME", "fresh")
    code, _, err = invoke("restore", str(backup), "--apply")
    assert code == 3 and "login" in err


def test_free_account_limit_exit_3_names_what_was_not_restored(
    served: FakeTrakt, backup: Path
) -> None:
    served.dataset.users["fresh"].vip = False
    served.writes.limits["watchlist"] = 1
    code, out, err = invoke("restore", str(backup), "--apply")
    assert code == 3
    listed = len(served.dataset.users["demo"].watchlist)
    assert f"watchlist: {listed} not restored (over the free account's limit of 1)" in err, err
    assert "Restore plan" in out


def test_quiet_hides_the_plan_only_with_apply(served: FakeTrakt, backup: Path) -> None:
    code, out, _ = invoke("-q", "restore", str(backup), "--only", "favorites")
    assert code == 0 and out.startswith("Restore plan")
    code, out, err = invoke("-q", "restore", str(backup), "--apply", "--only", "favorites")
    assert code == 0 and out == "" and err == ""
    assert [r.path for r in served.writes.log] == ["/sync/favorites"]
