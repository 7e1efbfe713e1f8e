"""`backup` of everything (SPEC §1): every file, its counts against the fake's data, the
manifest and `--verify`, refusals recorded, public mode, the heavy TV account under Trakt's real
budget, incremental repeat runs and the backup directory rule."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.test_engine import START, VirtualClock, make_fake, options
from trakt_export.cli.app import app
from trakt_export.config import Settings, resolve
from trakt_export.errors import OutputError, PrivateProfileError
from trakt_export.run.backup import BACKUP_ENDPOINTS, HIDDEN_SECTIONS, run_backup
from trakt_export.run.backupdir import sha256
from trakt_export.run.session import Options
from trakt_fake import FakeTrakt, edge, heavy_tv
from trakt_fake.records import Episode

CLIENT = "test-client"
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
DATED = f"trakt-backup-{NOW.astimezone().strftime('%Y%m%d-%H%M%S')}"  # local time
runner = CliRunner()


def settings_for(home: Path, **env: str) -> Settings:
    return resolve(env={"TRAKT_EXPORT_HOME": str(home), "TRAKT_EXPORT_CLIENT_ID": CLIENT, **env})


@pytest.fixture
def fake() -> FakeTrakt:
    return FakeTrakt(edge(), client_id=CLIENT)


@pytest.fixture
def settings(fake: FakeTrakt, clean_env: Path) -> Settings:
    return settings_for(
        clean_env,
        TRAKT_EXPORT_ACCESS_TOKEN=fake.issue_token("edge-user").access_token,
        TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS="1",
    )


def backup(fake: FakeTrakt, settings: Settings, output: Path | str | None) -> Path:
    out = None if output is None else str(output)
    return run_backup(settings, Options(output=out, transport=fake.transport()), NOW).directory


def load(directory: Path, name: str) -> Any:
    return json.loads((directory / name).read_text())


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in directory.rglob("*") if p.is_file()
    }


def sync_expected(fake: FakeTrakt, user: str, endpoint: str) -> Any:
    full = endpoint == "watched/shows"
    return fake.user_json(user, endpoint, progress=full, specials=full)


def test_full_account_backup_holds_every_file_with_the_fakes_counts(
    fake: FakeTrakt, settings: Settings, tmp_path: Path
) -> None:
    target = backup(fake, settings, tmp_path / "b")
    user = fake.dataset.users["edge-user"]
    manifest = load(target, "manifest.json")
    expected_files = {f"{stem}.json" for stem in BACKUP_ENDPOINTS} | {
        "lists.json", "favorites.json", "comments.json", "playback.json", "notes.json",
        "profile.json", "stats.json", "settings.json", "last_activities.json",
    } | {f"hidden-{s}.json" for s in HIDDEN_SECTIONS} | {
        f"list-{lst.slug}.json" for lst in user.lists
    }  # fmt: skip
    assert {p.name for p in target.iterdir()} == expected_files | {"manifest.json"}
    assert set(manifest["files"]) == expected_files and manifest["unavailable"] == {}
    for stem, endpoint in BACKUP_ENDPOINTS.items():
        assert load(target, f"{stem}.json") == sync_expected(fake, "edge-user", endpoint), stem
    counts = {
        "lists.json": len(user.lists),
        "favorites.json": len(user.favorites),
        "comments.json": len(user.comments),
        "playback.json": len(user.playback),
        "notes.json": len(user.notes),
        **{f"list-{lst.slug}.json": len(lst.items) for lst in user.lists},
        **{f"hidden-{s}.json": n for s, n in Counter(h.section for h in user.hidden).items()},
    }
    for name, count in counts.items():
        assert len(load(target, name)) == count, name
        entry = manifest["files"][name]
        assert entry["items"] == entry["announced"] == count, name
    assert all(n for name, n in counts.items() if name != "list-empty.json")  # some of each
    shows = load(target, "watched-shows.json")
    assert all(item["seasons"] for item in shows)  # seasons and episodes, not bare shows
    entry = manifest["files"]["watched-shows.json"]
    assert entry["endpoint"] == "/sync/watched/shows"
    assert entry["query"] == {"extended": "progress", "specials": "true"}
    assert entry["page_limit"] == 100
    stamps = fake.user_json("edge-user", "last_activities")
    assert entry["activity"] == f"{stamps['episodes']['watched_at']}|{stamps['shows']['hidden_at']}"
    assert manifest["files"]["lists.json"]["activity"] == stamps["lists"]["updated_at"]
    assert load(target, "profile.json")["ids"]["slug"] == "edge-user"
    assert load(target, "stats.json")["movies"]["plays"] == 29
    assert load(target, "last_activities.json") == stamps
    assert manifest["account"] == "edge-user" and manifest["mode"] == "token"
    assert manifest["started_at"] == "2026-11-25T06:00:00Z" and manifest["ended_at"]
    for name, entry in manifest["files"].items():
        assert entry["sha256"] == sha256(target / name), name


def test_verify_passes_fresh_and_names_a_changed_or_missing_file(
    fake: FakeTrakt, settings: Settings, tmp_path: Path
) -> None:
    target = backup(fake, settings, tmp_path / "b")
    ok = runner.invoke(app, ["backup", "--verify", str(target)])
    assert ok.exit_code == 0, ok.output
    assert "verified" in ok.output
    for name in ("history-movies.json", "list-top.json", "stats.json", "settings.json"):
        path = target / name
        original = path.read_bytes()
        path.write_bytes(original[:10] + bytes([original[10] ^ 1]) + original[11:])
        bad = runner.invoke(app, ["backup", "--verify", str(target)])
        assert bad.exit_code == 2, name
        assert f"{name} differs" in bad.output
        path.write_bytes(original)
    (target / "comments.json").unlink()
    (target / "notes.json").write_bytes(b"")
    gone = runner.invoke(app, ["backup", "--verify", str(target)])
    assert gone.exit_code == 2
    assert "comments.json is missing" in gone.output and "notes.json differs" in gone.output
    nothing = runner.invoke(app, ["backup", "--verify", str(tmp_path)])
    assert nothing.exit_code == 2 and "manifest" in nothing.output
    assert "Traceback" not in nothing.output
    both = runner.invoke(app, ["backup", "--verify", str(target), "-o", "x"])
    assert both.exit_code == 2 and "takes no -o" in both.output


def test_refused_endpoint_gets_no_file_and_a_manifest_entry(
    fake: FakeTrakt, clean_env: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    token = fake.issue_token("private-user").access_token  # not VIP: notes answer 426
    settings = settings_for(clean_env, TRAKT_EXPORT_ACCESS_TOKEN=token)
    target = backup(fake, settings, tmp_path / "b")
    manifest = load(target, "manifest.json")
    assert not (target / "notes.json").exists()
    assert manifest["unavailable"]["notes.json"]["status"] == 426
    assert "VIP" in manifest["unavailable"]["notes.json"]["reason"]
    assert [r.message for r in caplog.records if "notes.json" in r.message] != []
    assert (target / "history-movies.json").exists()


def test_public_mode_backs_up_what_is_public(
    fake: FakeTrakt, clean_env: Path, tmp_path: Path
) -> None:
    settings = settings_for(clean_env, TRAKT_EXPORT_USERNAME="edge-user")
    target = backup(fake, settings, tmp_path / "b")
    manifest = load(target, "manifest.json")
    assert manifest["mode"] == "public"
    login_only = {"playback.json", "settings.json", "last_activities.json"} | {
        f"hidden-{s}.json" for s in HIDDEN_SECTIONS
    }
    assert set(manifest["unavailable"]) == login_only
    assert not any((target / name).exists() for name in login_only)
    public_lists = {"top", "top-01", "shows-only", "empty"}
    assert {lst["ids"]["slug"] for lst in load(target, "lists.json")} == public_lists
    assert {p.name for p in target.glob("list-*.json")} == {f"list-{s}.json" for s in public_lists}
    assert [n["privacy"] for n in load(target, "notes.json")] == ["public"]
    for stem, endpoint in BACKUP_ENDPOINTS.items():
        assert load(target, f"{stem}.json") == sync_expected(fake, "edge-user", endpoint), stem
    assert manifest["files"]["history-movies.json"]["endpoint"] == "/users/edge-user/history/movies"


def test_heavy_tv_account_within_the_real_budget_and_incremental(clean_env: Path) -> None:
    clock = VirtualClock()
    fake = make_fake(heavy_tv(), clock)
    fake.faults.account_budget(500, 300)
    settings = settings_for(
        clean_env, TRAKT_EXPORT_ACCESS_TOKEN=fake.issue_token("tv-fan").access_token
    )
    first = run_backup(settings, options(fake.transport(), clock, output="one"), NOW)
    assert fake.stats.served_429 == 0 and fake.stats.budget_refused == 0
    user = fake.dataset.users["tv-fan"]
    shows = load(first.directory, "watched-shows.json")
    assert shows == fake.user_json("tv-fan", "watched/shows", progress=True, specials=True)
    episodes = sum(len(s["episodes"]) for item in shows for s in item["seasons"])
    played = {w.item.trakt for w in user.history if isinstance(w.item, Episode)}
    assert episodes == len(played) and episodes > 6000
    assert len(list(first.directory.glob("list-*.json"))) == len(user.lists) == 30
    assert fake.stats.by_path["GET /sync/watched/shows"] == 3  # 300 shows, 100 per page
    # Nothing changed: last_activities + settings + the unstamped stats (the profile rides on
    # the settings answer's user object).
    fake.stats.reset()
    run_backup(settings, options(fake.transport(), clock, output="two"), NOW)
    assert fake.stats.total == 2 + 1
    assert snapshot(first.directory).keys() == snapshot(Path("two")).keys()


def test_lists_are_read_again_only_when_the_lists_stamp_changes(
    fake: FakeTrakt, settings: Settings, tmp_path: Path
) -> None:
    backup(fake, settings, tmp_path / "one")
    fake.stats.reset()
    fake.add_comment("edge-user", fake.dataset.films[12], "new")  # not a lists change
    backup(fake, settings, tmp_path / "two")
    assert not [p for p in fake.stats.by_path if p.startswith("GET /users/me/lists")]
    assert fake.stats.total == 3 + 1 + 1  # + comments + the consistency re-check (SPEC §4)
    fake.add_list("edge-user", "Fresh one")
    fake.stats.reset()
    three = backup(fake, settings, tmp_path / "three")
    lists = [p for p in fake.stats.by_path if p.startswith("GET /users/me/lists")]
    count = len(fake.dataset.users["edge-user"].lists)
    assert len(lists) == 1 + count and fake.stats.total == 3 + 1 + count + 1
    assert load(three, "list-fresh-one.json") == []


def test_plays_added_while_the_backup_runs_are_read_again_never_half(
    fake: FakeTrakt, settings: Settings, tmp_path: Path
) -> None:
    from trakt_fake.mutations import new_plays

    fake.faults.mutate_after(
        1, new_plays(fake, "edge-user", [12, 13]), path_prefix="/sync/history/movies"
    )
    directory = backup(fake, settings, tmp_path / "b")
    assert load(directory, "history-movies.json") == sync_expected(
        fake, "edge-user", "history/movies"
    )  # the data after the change, whole
    assert load(directory, "last_activities.json") == fake.user_json("edge-user", "last_activities")
    assert fake.stats.by_path["GET /sync/last_activities"] == 3  # start, re-check, re-check


def test_a_backup_whose_data_never_settles_is_exit_4_and_writes_nothing(
    fake: FakeTrakt, settings: Settings, tmp_path: Path
) -> None:
    from trakt_export.errors import DataChangingError
    from trakt_fake.mutations import new_plays

    for n in range(1, 6):
        fake.faults.mutate_after(
            n, new_plays(fake, "edge-user", [12]), path_prefix="/sync/history/movies"
        )
    fake.stats.reset()
    with pytest.raises(DataChangingError) as caught:
        backup(fake, settings, tmp_path / "b")
    assert not (tmp_path / "b").exists()
    # the exports' re-check (api.recheck): the first read, then at most 3 re-reads
    assert (
        "kept changing while it was backed up (history-movies.json, watched-movies.json)"
        in caught.value.message
    )
    assert fake.stats.by_path["GET /sync/last_activities"] == 1 + 4


# ----- the directory rule -----------------------------------------------------------------


def test_foreign_directory_gets_a_dated_backup_inside_untouched(
    fake: FakeTrakt, settings: Settings, tmp_path: Path
) -> None:
    home = tmp_path / "backups"
    (home / "sub").mkdir(parents=True)
    (home / "notes.txt").write_text("mine")
    (home / "sub" / "manifest.json").write_text("{}")
    before = snapshot(home)
    target = backup(fake, settings, home)
    assert target == home / DATED and (target / "manifest.json").exists()
    after = snapshot(home)
    assert {k: v for k, v in after.items() if not k.startswith(DATED)} == before
    assert sorted(p.name for p in home.iterdir()) == sorted([DATED, "notes.txt", "sub"])
    empty = tmp_path / "empty"
    empty.mkdir()
    assert backup(fake, settings, empty) == empty / DATED
    slash = backup(fake, settings, f"{tmp_path / 'fresh'}/")
    assert slash == tmp_path / "fresh" / DATED
    assert backup(fake, settings, None) == Path(DATED)  # output_dir "." by default


def test_earlier_backup_is_replaced(fake: FakeTrakt, settings: Settings, tmp_path: Path) -> None:
    target = tmp_path / "latest"
    backup(fake, settings, target)
    (target / "history-movies.json").write_text("[]\n")  # a stale file of ours
    assert backup(fake, settings, target) == target
    assert load(target, "history-movies.json") == fake.user_json("edge-user", "history/movies")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "latest"]
    assert runner.invoke(app, ["backup", "--verify", str(target)]).exit_code == 0


def test_earlier_backup_with_a_user_file_is_foreign(
    fake: FakeTrakt, settings: Settings, tmp_path: Path
) -> None:
    target = tmp_path / "latest"
    backup(fake, settings, target)
    (target / "README.txt").write_text("my notes about this backup")
    before = snapshot(target)
    assert backup(fake, settings, target) == target / DATED
    after = snapshot(target)
    assert {k: v for k, v in after.items() if not k.startswith(DATED)} == before


def test_a_file_in_the_way_is_a_usage_error(
    fake: FakeTrakt, settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="not a directory") as info:
        backup(fake, settings, tmp_path / "file")
    assert info.value.exit_code == 2 and fake.stats.total == 0  # refused before any request
    assert (tmp_path / "file").read_text() == "x"


def test_a_file_added_to_the_earlier_backup_during_the_run_is_kept(
    fake: FakeTrakt, settings: Settings, tmp_path: Path
) -> None:
    target = tmp_path / "latest"
    backup(fake, settings, target)
    fake.faults.mutate_after(3, lambda: (target / "mine.txt").write_text("added meanwhile"))
    before = {**snapshot(target), "mine.txt": b"added meanwhile"}
    assert backup(fake, settings, target) == target / DATED
    after = snapshot(target)
    assert {k: v for k, v in after.items() if not k.startswith(DATED)} == before


def test_a_backup_larger_than_the_limiter_window_is_paced_not_refused(clean_env: Path) -> None:
    clock = VirtualClock()
    fake = make_fake(edge(), clock)
    fake.faults.account_budget(20, 300)  # Trakt's real rule, scaled down to this small account
    settings = settings_for(
        clean_env,
        TRAKT_EXPORT_ACCESS_TOKEN=fake.issue_token("edge-user").access_token,
        TRAKT_EXPORT_NETWORK_REQUESTS_PER_WINDOW="18",
    )
    result = run_backup(settings, options(fake.transport(), clock, output="paced"), NOW)
    assert result.stats.requests > 20 and fake.stats.served_429 == 0
    assert clock.now - START >= 300  # waited for the window instead of hitting the budget
    assert runner.invoke(app, ["backup", "--verify", "paced"]).exit_code == 0


def test_a_private_profile_in_public_mode_fails_before_writing(
    fake: FakeTrakt, clean_env: Path, tmp_path: Path
) -> None:
    settings = settings_for(clean_env, TRAKT_EXPORT_USERNAME="private-user")
    with pytest.raises(PrivateProfileError) as info:
        backup(fake, settings, tmp_path / "b")
    assert info.value.exit_code == 3 and not (tmp_path / "b").exists()
    assert fake.stats.total == 1
