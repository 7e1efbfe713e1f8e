"""Property: whatever the target account already holds of the backup (plays repeated 0-2
times, ratings equal or different, watchlist items), `restore --apply` leaves every play at
max(backup, account) — never one more — keeps differing ratings, and a second run writes
nothing."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_restore import World, restorable

RUNS = itertools.count()
PLAYS = 40  # the sample's plays
RATED = 28  # the sample's ratings


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    repeats=st.lists(st.integers(0, 2), min_size=PLAYS, max_size=PLAYS),
    ratings=st.lists(st.sampled_from(["none", "same", "other"]), min_size=RATED, max_size=RATED),
    listed=st.lists(st.booleans(), min_size=4, max_size=4),
)
def test_random_overlaps_are_completed_without_doubles(
    tmp_path: Path, repeats: list[int], ratings: list[str], listed: list[bool]
) -> None:
    run = next(RUNS)
    source = World(tmp_path / f"src-{run}", tmp_path / f"out-{run}")
    backup = source.backup("demo")
    world = World(tmp_path / f"home-{run}", tmp_path / f"out-{run}")
    demo = world.fake.dataset.users["demo"]
    for watch, times in zip(demo.history, repeats, strict=True):
        for _ in range(times):
            world.fake.add_history("fresh", watch.item.trakt, watch.watched_at)
    kept: dict[int, int] = {}
    for rating, choice in zip(demo.ratings, ratings, strict=True):
        if choice != "none":
            value = rating.rating if choice == "same" else rating.rating % 10 + 1
            world.fake.add_rating("fresh", rating.item.trakt, value, rating.rated_at)
            kept[rating.item.trakt] = value
    for entry, chosen in zip(demo.watchlist, listed, strict=False):
        if chosen:
            world.fake.add_watchlist("fresh", entry.item.trakt)
    before = Counter(
        ("movie", w.item.trakt, f"{w.watched_at:%Y-%m-%dT%H:%M}")
        for w in world.fake.dataset.users["fresh"].history
    )

    result = world.restore(backup)
    assert result.error is None, result.error
    after = restorable(world.backup("fresh"))
    wanted = restorable(backup)["plays"] | before  # per play: the larger count
    assert after["plays"] == wanted
    rated = {r[1]: r[2] for r in after["ratings"]}
    assert all(rated[trakt] == value for trakt, value in kept.items()), "a rating was changed"
    assert len(rated) == RATED
    assert {w[1] for w in after["watchlist"]} == {w[1] for w in restorable(backup)["watchlist"]}
    assert world.restore(backup).writes == 0
