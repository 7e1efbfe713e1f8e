"""`restore` against the fake: round trip, idempotence, ambiguous writes, 429s, 420 limits.

Everything runs in virtual time: the fake's clock is the client's, and sleeping advances it,
so the write limit (1 POST per second, enforced by the fake) is checked without waiting.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from trakt_export.config import Settings, resolve
from trakt_export.errors import TraktExportError
from trakt_export.run.backup import run_backup
from trakt_export.run.restore import RestoreResult, run_restore
from trakt_export.run.restoreplan import KINDS
from trakt_export.run.session import Options
from trakt_fake import Dataset, FakeTrakt, Show, UserData, large, reality, sample, sized

CLIENT = "test-client"
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


class VirtualClock:
    def __init__(self) -> None:
        self.now = NOW.timestamp()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


class World:
    """The fake with a source account (`demo`) and an empty target (`fresh`)."""

    def __init__(
        self, home: Path, tmp: Path, vip: bool = True, dataset: Dataset | None = None
    ) -> None:
        self.clock = VirtualClock()
        dataset = dataset or sample()
        dataset.users["fresh"] = UserData(username="fresh", vip=vip)
        self.fake = FakeTrakt(dataset, client_id=CLIENT, clock=self.clock)
        self.home = home
        self.tmp = tmp
        self.backups = 0

    def settings(self, user: str) -> Settings:
        token = self.fake.issue_token(user, lifetime=10**9).access_token
        return resolve(
            env={
                "TRAKT_EXPORT_HOME": str(self.home),
                "TRAKT_EXPORT_CLIENT_ID": CLIENT,
                "TRAKT_EXPORT_ACCESS_TOKEN": token,
                "TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS": "2",
            }
        )

    def options(self) -> Options:
        return Options(
            transport=self.fake.transport(),
            clock=self.clock,
            sleep=self.clock.sleep,
            cache_mode="off",
        )

    def backup(self, user: str) -> Path:
        self.backups += 1
        target = self.tmp / f"backup-{user}-{self.backups}"
        run_backup(
            self.settings(user), Options(**{**vars_of(self.options()), "output": str(target)}), NOW
        )
        return target

    def restore(
        self,
        directory: Path,
        user: str = "fresh",
        apply: bool = True,
        only: tuple[str, ...] = KINDS,
    ) -> RestoreResult:
        return run_restore(self.settings(user), self.options(), directory, apply, only)

    def posts(self, user: str = "fresh") -> list[Any]:
        return [r for r in self.fake.writes.log if r.username == user]


def vars_of(options: Options) -> dict[str, Any]:
    return {name: getattr(options, name) for name in options.__slots__}


@pytest.fixture
def world(clean_env: Path, tmp_path: Path) -> World:
    return World(clean_env, tmp_path)


def _load(directory: Path, name: str) -> Any:
    path = directory / name
    return json.loads(path.read_text()) if path.exists() else []


def _media(row: dict[str, Any]) -> tuple[str, int]:
    return row["type"], row[row["type"]]["ids"]["trakt"]


def _known(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows whose media object Trakt still serves (a removed item cannot be restored)."""
    return [r for r in rows if r.get(r["type"]) is not None]


def restorable(directory: Path) -> dict[str, Any]:
    """The content restore promises to bring back (ids, stamps Trakt sets, action aside)."""
    plays = Counter(
        (*_media(r), r["watched_at"][:16])
        for n in ("history-movies.json", "history-episodes.json")
        for r in _known(_load(directory, n))
    )
    ratings = sorted(
        (*_media(r), r["rating"], r["rated_at"])
        for t in ("movies", "shows", "seasons", "episodes")
        for r in _known(_load(directory, f"ratings-{t}.json"))
    )
    watchlist = [
        (*_media(r), r["listed_at"], r["notes"]) for r in _known(_load(directory, "watchlist.json"))
    ]
    favorites = [(*_media(r), r["notes"]) for r in _load(directory, "favorites.json")]
    collection = sorted(
        (r["movie"]["ids"]["trakt"], r["collected_at"])
        for r in _load(directory, "collection-movies.json")
    ) + sorted(
        (r["show"]["ids"]["trakt"], s["number"], e["number"], e["collected_at"])
        for r in _load(directory, "collection-shows.json")
        for s in r["seasons"]
        for e in s["episodes"]
    )
    hidden = {
        s: sorted(
            str(r.get("user", {}).get("ids", {}).get("slug"))
            if r["type"] == "user"
            else str(_media(r))
            for r in _load(directory, f"hidden-{s}.json")
        )
        for s in ("calendar", "progress_watched", "dropped", "comments", "recommendations")
    }
    lists = []
    for lst in _load(directory, "lists.json"):
        slug = lst["ids"]["slug"]
        items = [(*_media(r), r["notes"]) for r in _load(directory, f"list-{slug}.json")]
        settings = {k: lst[k] for k in ("name", "description", "privacy", "sort_by", "sort_how")}
        lists.append((settings, items))
    return {
        "plays": plays,
        "ratings": ratings,
        "watchlist": watchlist,
        "favorites": favorites,
        "collection": collection,
        "hidden": hidden,
        "lists": sorted(lists, key=lambda x: x[0]["name"]),
    }


def test_round_trip_of_the_sample_into_an_empty_account(world: World) -> None:
    first = world.backup("demo")
    before = restorable(first)
    assert before["plays"] and before["lists"] and before["ratings"]
    result = world.restore(first)
    assert result.error is None, result.error
    assert result.plan[0] == "Restore plan: the backup of demo into the account fresh"
    assert restorable(world.backup("fresh")) == before
    # Paced: no write ever met the fake's 1-per-second limit.
    assert all(r.status != 429 for r in world.posts())
    assert all(r.status in (201,) for r in world.posts())


def test_dry_run_writes_nothing_and_second_apply_plans_and_writes_nothing(world: World) -> None:
    first = world.backup("demo")
    dry = world.restore(first, apply=False)
    assert world.posts() == []
    assert "history: 40 to add" in "\n".join(dry.plan)
    world.restore(first)
    writes = len(world.posts())
    again = world.restore(first)
    assert len(world.posts()) == writes, "a finished restore must write nothing"
    assert sum(o.planned for o in again.outcomes.values()) == 0


def test_partly_filled_account_gets_only_the_missing_plays(world: World) -> None:
    first = world.backup("demo")
    source = world.fake.dataset.users["demo"]
    # The target already holds some of the plays (same film, same minute) and one extra one.
    for watch in source.history[:10]:
        world.fake.add_history("fresh", watch.item.trakt, watch.watched_at)
    world.restore(first)
    assert restorable(world.backup("fresh"))["plays"] == restorable(first)["plays"]


def test_timeout_after_a_history_write_was_applied_is_reread_not_resent(world: World) -> None:
    first = world.backup("demo")
    world.fake.writes.cut_after(1, "timeout", "/sync/history")
    result = world.restore(first)
    assert result.error is None
    assert restorable(world.backup("fresh"))["plays"] == restorable(first)["plays"]
    history = [r for r in world.posts() if r.path == "/sync/history"]
    assert len(history) == 1, "the applied batch must not be sent again"


@pytest.mark.parametrize("kind", ["reset", "500"])
def test_reset_or_5xx_after_write_then_complete_without_double(world: World, kind: str) -> None:
    first = world.backup("demo")
    world.fake.writes.cut_after(2, kind, "/sync/")
    result = world.restore(first)
    assert result.error is None
    assert restorable(world.backup("fresh")) == restorable(first)


def test_429_bursts_are_waited_out_and_resent(world: World) -> None:
    first = world.backup("demo")
    world.fake.writes.burst_429(3)
    result = world.restore(first)
    assert result.error is None
    assert restorable(world.backup("fresh"))["plays"] == restorable(first)["plays"]


def test_free_account_over_its_limits_exit_3_then_upgrade_completes(
    clean_env: Path, tmp_path: Path
) -> None:
    world = World(clean_env, tmp_path, vip=False)
    world.fake.writes.limits["watchlist"] = 2
    world.fake.writes.limits["lists"] = 0
    first = world.backup("demo")
    result = world.restore(first)
    assert result.error is not None and result.error.exit_code == 3
    message = str(result.error)
    # The watchlist's one batch passes the limit of 2 (nothing of it applied); both lists
    # (8 + 1 items) cannot be created: 2 lists and their 9 items.
    assert "watchlist: 6 not restored (over the free account's limit of 2)" in message
    assert "lists: 11 not restored (over the free account's limit of 0 personal lists)" in message
    assert result.outcomes["ratings"].stopped == ""
    assert restorable(world.backup("fresh"))["plays"] == restorable(first)["plays"]
    world.fake.writes.upgrade("fresh")
    again = world.restore(first)
    assert again.error is None
    assert restorable(world.backup("fresh")) == restorable(first)


def test_damaged_backup_is_refused_with_exit_2(world: World) -> None:
    first = world.backup("demo")
    (first / "ratings-movies.json").write_text("[]\n")
    with pytest.raises(TraktExportError) as caught:
        world.restore(first)
    assert caught.value.exit_code == 2
    assert world.posts() == []


def test_round_trip_of_shows_seasons_episodes_and_hidden_items(
    clean_env: Path, tmp_path: Path
) -> None:
    world = World(clean_env, tmp_path, dataset=large())
    big = world.fake.dataset.users["big-user"]
    show = next(r.item for r in big.ratings if isinstance(r.item, Show))
    world.fake.hide("big-user", "calendar", show)
    world.fake.hide("big-user", "dropped", show)
    world.fake.hide("big-user", "comments", "some-troll")
    first = world.backup("big-user")
    before = restorable(first)
    assert before["collection"] and any(len(c) == 4 for c in before["collection"])
    result = world.restore(first)
    assert result.error is None, result.error
    after = restorable(world.backup("fresh"))
    assert after == before
    assert after["hidden"]["comments"] == ["some-troll"]


def test_only_limits_the_kinds_written(world: World) -> None:
    first = world.backup("demo")
    world.restore(first, only=("ratings",))
    assert {r.path for r in world.posts()} == {"/sync/ratings"}
    after = restorable(world.backup("fresh"))
    assert after["ratings"] == restorable(first)["ratings"] and not after["plays"]


def test_items_trakt_does_not_know_are_counted_in_a_warning_not_missing(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    first = world.backup("demo")
    gone = world.fake.dataset.users["demo"].history[0].item.trakt
    world.fake.writes.catalog.films.pop(gone)  # Trakt no longer matches this film
    result = world.restore(first, only=("history",))
    assert result.error is None, result.error
    assert ("movies", gone) in result.outcomes["history"].not_found
    assert "Trakt does not know 1 items" in caplog.text
    assert all(w.item.trakt != gone for w in world.fake.dataset.users["fresh"].history)


def test_writes_acknowledged_but_missing_afterwards_exit_4_naming_them(world: World) -> None:
    first = world.backup("demo")
    fresh = world.fake.dataset.users["fresh"]

    def lose_plays() -> None:  # Trakt acknowledged the write, then lost three of the plays
        del fresh.history[:3]
        fresh.changed()

    # The prefix matches the two history reads before the write, too.
    world.fake.faults.mutate_after(3, lose_plays, "/sync/history")
    result = world.restore(first, only=("history", "ratings"))
    assert result.error is not None and result.error.exit_code == 4
    assert "history: 3" in str(result.error) and "ratings" not in str(result.error)
    rerun = world.restore(first, only=("history", "ratings"))
    assert rerun.error is None and rerun.outcomes["history"].added == 3


def test_a_renamed_list_is_found_again_through_the_mapping_never_created_twice(
    world: World,
) -> None:
    first = world.backup("demo")
    world.restore(first, only=("lists",))
    fresh = world.fake.dataset.users["fresh"]
    assert len(fresh.lists) == 2
    renamed = fresh.lists[0]
    renamed.name, renamed.slug = "Renamed by hand", "renamed-by-hand"
    lost = renamed.items.pop()
    fresh.changed()
    world.restore(first, only=("lists",))
    assert len(fresh.lists) == 2, "a list was created twice"
    assert lost.item in [entry.item for entry in renamed.items]


def test_epoch_plays_go_back_as_unknown_and_removed_items_are_counted(
    clean_env: Path, tmp_path: Path
) -> None:
    world = World(clean_env, tmp_path, dataset=reality())
    first = world.backup("reality-user")
    result = world.restore(first, only=("history", "ratings", "watchlist"))
    assert result.error is None, result.error
    history = next(line for line in result.plan if line.startswith("  history:"))
    assert "never restored (removed from Trakt's catalogue" in history
    sent = [
        play["watched_at"]
        for record in world.posts()
        if record.path == "/sync/history"
        for group in record.body.values()
        for play in group
    ]
    assert "unknown" in sent
    known = restorable(first)["plays"]
    assert restorable(world.backup("fresh"))["plays"] == known


def test_a_refused_connection_is_sent_again_it_never_reached_trakt(world: World) -> None:
    first = world.backup("demo")
    inner = world.fake.transport()
    refused = [0]

    class Refusing(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "POST" and refused[0] < 2:
                refused[0] += 1
                raise httpx.ConnectError("connection refused", request=request)
            return await inner.handle_async_request(request)

    options = world.options()
    options.transport = Refusing()
    result = run_restore(world.settings("fresh"), options, first, True, ("history",))
    assert result.error is None and refused[0] == 2
    assert restorable(world.backup("fresh"))["plays"] == restorable(first)["plays"]


class Killed(BaseException):
    """The process dies (SIGKILL) at this point: nothing after it runs."""


@pytest.mark.parametrize("journal", [True, False])
def test_a_rerun_right_after_a_kill_waits_for_lagging_reads_never_doubling(
    clean_env: Path, tmp_path: Path, journal: bool
) -> None:
    world = World(clean_env, tmp_path, dataset=sized(300, seed=1))
    first = world.backup("bench")
    world.fake.writes.lag = 5.0  # reads show the account before the writes for 5 s

    async def dies_when_pacing(seconds: float) -> None:
        if seconds >= 0.5:  # the write limiter holding the second history write
            raise Killed
        await world.clock.sleep(seconds)

    options = world.options()
    options.sleep = dies_when_pacing
    with pytest.raises(Killed):
        run_restore(world.settings("fresh"), options, first, True, ("history",))
    fresh = world.fake.dataset.users["fresh"]
    assert len(fresh.history) == 100  # the first batch was applied and acknowledged
    if not journal:
        (world.settings("fresh").paths.data_dir / "restore-journal.jsonl").unlink()
    world.restore(first, only=("history",))
    world.clock.now += 10  # let any lag pass
    after = restorable(world.backup("fresh"))["plays"]
    if journal:
        assert after == restorable(first)["plays"]
    else:  # the control: a lagging read believed blindly doubles the acknowledged plays
        assert Counter(after.values())[2] == 100
