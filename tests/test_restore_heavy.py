"""`restore` of a heavy account (20,000 plays, 2,000 ratings, lists with notes, a 250-item
watchlist) into an empty one, in virtual time: complete, no play doubled, zero 429s, and the
virtual time spent within 1.1x of the write floor (write requests x 1 s)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.test_restore import World, restorable
from trakt_fake import Dataset, Listed, UserList, sized


def heavy() -> Dataset:
    dataset = sized(20_000, seed=7)
    user = dataset.users["bench"]
    films = list(dataset.films.values())
    user.ratings = user.ratings[:2000]
    start = user.ratings[0].rated_at
    user.watchlist = [
        Listed(
            900 + i,
            i + 1,
            start + timedelta(hours=i),
            films[-1 - i],
            f"note {i}" if i % 7 else None,
        )
        for i in range(250)
    ]
    user.lists = [
        UserList(
            5000 + n,
            f"Heavy list {n}",
            f"heavy-list-{n}",
            start,
            start,
            privacy=("private", "public", "friends")[n],
            description=f"list number {n}",
            items=[
                Listed(
                    20_000 + n * 1000 + i,
                    i + 1,
                    start + timedelta(minutes=i),
                    films[n * 300 + i],
                    f"why {i}",
                )
                for i in range(120 + 40 * n)
            ],
        )
        for n in range(3)
    ]
    user.vip = True
    return dataset


def test_heavy_round_trip_paced_at_the_write_limit(clean_env: Path, tmp_path: Path) -> None:
    world = World(clean_env, tmp_path, dataset=heavy())
    first = world.backup("bench")
    before = restorable(first)
    assert sum(before["plays"].values()) == 20_000 and len(before["ratings"]) == 2000
    began = world.clock.now
    result = world.restore(first)
    spent = world.clock.now - began
    assert result.error is None, result.error
    posts = world.posts()
    assert posts and all(p.status == 201 for p in posts), "zero 429s: the limiter paces writes"
    # 200 history + 20 ratings + 3 watchlist + 3 lists created + their items in batches.
    assert len(posts) == 200 + 20 + 3 + 3 + 2 + 2 + 2
    assert len(posts) - 1 <= spent <= 1.1 * len(posts)
    after = restorable(world.backup("fresh"))
    assert after == before
    assert world.restore(first).writes == 0
