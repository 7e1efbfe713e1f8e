"""`backup` against the fake: complete files, manifest, all-or-nothing directory, count checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from trakt_export.config import Settings, resolve
from trakt_export.errors import TraktUnavailableError
from trakt_export.run.backup import BACKUP_ENDPOINTS, run_backup
from trakt_export.run.session import Options
from trakt_fake import FakeTrakt, large

CLIENT = "test-client"
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


def settings_for(home: Path, **env: str) -> Settings:
    return resolve(env={"TRAKT_EXPORT_HOME": str(home), "TRAKT_EXPORT_CLIENT_ID": CLIENT, **env})


@pytest.fixture
def fake() -> FakeTrakt:
    return FakeTrakt(large(), client_id=CLIENT)


@pytest.fixture
def settings(fake: FakeTrakt, clean_env: Path) -> Settings:
    return settings_for(
        clean_env,
        TRAKT_EXPORT_ACCESS_TOKEN=fake.issue_token("big-user").access_token,
        TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS="1",
    )


def test_backup_of_large_dataset_is_complete(
    fake: FakeTrakt, settings: Settings, tmp_path: Path
) -> None:
    target = tmp_path / "backup"
    result = run_backup(settings, Options(output=str(target), transport=fake.transport()), NOW)
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["version"] and manifest["created_at"] == "2026-11-25T06:00:00Z"
    for stem, endpoint in BACKUP_ENDPOINTS.items():
        full = endpoint == "watched/shows"  # with seasons and episodes (extended=progress)
        expected = fake.user_json("big-user", endpoint, progress=full, specials=full)
        saved = json.loads((target / f"{stem}.json").read_text())
        assert saved == expected, f"{stem}.json differs from the dataset"
        entry = manifest["files"][f"{stem}.json"]
        assert entry["items"] == len(expected) == entry["announced"]
    assert json.loads((target / "last_activities.json").read_text()) == fake.user_json(
        "big-user", "last_activities"
    )
    assert (target / "settings.json").exists()
    assert result.items == sum(
        len(fake.user_json("big-user", e)) for e in BACKUP_ENDPOINTS.values()
    )


def test_failure_mid_backup_leaves_no_directory_and_keeps_earlier_one(
    fake: FakeTrakt, settings: Settings, tmp_path: Path
) -> None:
    target = tmp_path / "backup"
    run_backup(settings, Options(output=str(target), transport=fake.transport()), NOW)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    fake.add_rating(
        "big-user", fake.user_json("big-user", "watched/movies")[0]["movie"]["ids"]["trakt"], 3, NOW
    )
    fake.faults.fail_next(50, status=503, path_prefix="/sync/ratings")
    with pytest.raises(TraktUnavailableError):
        run_backup(settings, Options(output=str(target), transport=fake.transport()), NOW)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".backup")) == []


def test_underdelivered_listing_is_backed_up_as_served_with_both_counts(
    fake: FakeTrakt, settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake.faults.underdeliver("/sync/collection/movies", missing=1)
    run_backup(settings, Options(output=str(tmp_path / "b"), transport=fake.transport()), NOW)
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    entry = manifest["files"]["collection-movies.json"]
    served = len(fake.user_json("big-user", "collection/movies")) - 1
    assert (entry["announced"], entry["served"], entry["items"]) == (served + 1, served, served)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert [w for w in warnings if "announced" in w] == [
        f"Trakt announced {served + 1} items for collection/movies but served {served} "
        f"(hidden or removed titles); exported {served}."
    ]


def test_warm_backup_with_nothing_changed_makes_three_requests(
    fake: FakeTrakt, settings: Settings, tmp_path: Path
) -> None:
    run_backup(settings, Options(output=str(tmp_path / "one"), transport=fake.transport()), NOW)
    fake.stats.reset()
    run_backup(settings, Options(output=str(tmp_path / "two"), transport=fake.transport()), NOW)
    # last_activities, settings + the unstamped stats (the profile rides on settings' user)
    assert fake.stats.total <= 2 + 1
    for stem in [*BACKUP_ENDPOINTS, "profile"]:
        one = (tmp_path / "one" / f"{stem}.json").read_bytes()
        assert one == (tmp_path / "two" / f"{stem}.json").read_bytes()
