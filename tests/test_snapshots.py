"""Consistent snapshots through the real stack (SPEC §4): advisory counts, page bounds, the
header-less walk, de-duplication, the consistency re-check and a cache that keeps only what
passed. Each fake behaviour of TRAKT-REALITY.md against the exported rows."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_engine import CLIENT, VirtualClock, make_fake, options, settings_for
from trakt_export.config import Settings
from trakt_export.errors import DataChangingError, TraktUnavailableError
from trakt_export.run.export import run_movies
from trakt_export.transport.cache import APICache, CacheTransport
from trakt_export.transport.client import CacheMode
from trakt_export.transport.stage import Stage
from trakt_fake import FakeTrakt, sized
from trakt_fake.mutations import delete_play, new_plays, rewatch

USER = "bench"
EVENTS = 800  # 4 history pages, 2 pages of watched films, 1 of ratings
HISTORY = "/sync/history/movies"


class World:
    """One fake, one virtual clock, one data dir: runs the real export and keeps its CSV."""

    def __init__(
        self,
        home: Path,
        mode: str = "history",
        public: bool = False,
        events: int = EVENTS,
        now: float | None = None,
    ) -> None:
        self.clock = VirtualClock() if now is None else VirtualClock(now)
        self.fake = make_fake(sized(events), self.clock)
        self.home = home
        self.public = public
        self.prefix = f"/users/{USER}/" if public else "/sync/"
        token = "" if public else self.fake.issue_token(USER).access_token
        extra = {"TRAKT_EXPORT_USERNAME": USER} if public else {}
        self.settings: Settings = settings_for(
            home,
            token,
            TRAKT_EXPORT_EXPORT_MODE=mode,
            TRAKT_EXPORT_EXPORT_MAX_ROWS="0",
            TRAKT_EXPORT_EXPORT_MAX_BYTES="0",
            **extra,
        )
        self.runs = 0

    def path(self, endpoint: str) -> str:
        return self.prefix + endpoint

    def export(self, cache_mode: CacheMode = "use") -> tuple[bytes, int]:
        """(CSV bytes, requests) of one run."""
        self.runs += 1
        out = self.home / f"run-{self.runs}.csv"
        self.fake.stats.reset()
        result = run_movies(
            self.settings,
            options(self.fake.transport(), self.clock, output=str(out), cache_mode=cache_mode),
        )
        return out.read_bytes(), result.stats.requests

    def truth(self) -> bytes:
        """What Trakt holds now, read with every fault off and no cache."""
        return self.export("off")[0]


def rows(csv: bytes) -> list[bytes]:
    return csv.splitlines()[1:]


def plays(csv: bytes) -> Counter[bytes]:
    """Rows without the Rewatch flag (a play Trakt never served changes the next one's)."""
    return Counter(row.rsplit(b",", 1)[0] for row in rows(csv))


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def history_pages(world: World) -> int:
    return -(-len(world.fake.user_json(USER, "history/movies")) // 250)


# ----- advisory counts ---------------------------------------------------------------------


def test_overcount_with_a_short_middle_page_exports_what_was_served_with_one_warning(
    clean_env: Path, caplog: pytest.LogCaptureFixture
) -> None:
    world = World(clean_env)
    clean = plays(world.truth())
    world.fake.faults.overcount(HISTORY, hidden=3, at=300)  # page 2 is short, pages 3-4 follow
    csv, requests = world.export()
    assert requests == 2 + 4 + 1 + 1  # the minimum: nothing re-read for counts alone
    got = plays(csv)
    assert got.total() == EVENTS - 3
    assert not got - clean
    assert warnings(caplog) == [
        f"Trakt announced {EVENTS} items for history/movies but served {EVENTS - 3} "
        f"(hidden or removed titles); exported {EVENTS - 3}."
    ]
    # Every run is fine, forever: the warm one replays the committed snapshot.
    caplog.clear()
    again, warm = world.export()
    assert again == csv and warm == 2


# ----- page bounds and the walk without headers ------------------------------------------


def test_without_pagination_headers_pages_are_read_until_an_empty_one(clean_env: Path) -> None:
    world = World(clean_env)
    clean = world.truth()
    world.fake.faults.strip_pagination()
    csv, _ = world.export()
    assert csv == clean
    got = sorted(int(s.query["page"]) for s in world.fake.stats.requests if s.path == HISTORY)
    pages = history_pages(world)
    # every page, then the empty one that ends the walk (workers may have one more in flight)
    assert got[: pages + 1] == list(range(1, pages + 2))
    assert len(got) <= pages + 1 + world.settings.network.concurrency


def test_an_absurd_page_count_is_never_walked(clean_env: Path) -> None:
    world = World(clean_env)
    clean = world.truth()
    world.fake.faults.absurd_page_count(100_000, consistent=True)
    csv, requests = world.export("off")
    assert csv == clean
    assert requests < 40  # stops at the first empty page, not 100,000 pages


def test_an_absurd_page_count_with_the_real_item_count_is_bounded_by_it(clean_env: Path) -> None:
    world = World(clean_env)
    clean = world.truth()
    world.fake.faults.absurd_page_count(5000, consistent=False, path_prefix=HISTORY)
    csv, _ = world.export("off")
    assert csv == clean
    got = [s for s in world.fake.stats.requests if s.path == HISTORY]
    assert len(got) <= EVENTS // 250 + 1


# ----- de-duplication --------------------------------------------------------------------


def test_an_item_repeated_across_pages_is_exported_once(
    clean_env: Path, caplog: pytest.LogCaptureFixture
) -> None:
    world = World(clean_env)
    clean = rows(world.truth())
    world.fake.faults.duplicate_across_pages(HISTORY, page=1, keep_all=True)
    got = rows(world.export()[0])
    assert sorted(got) == sorted(clean)  # nothing doubled, nothing lost
    assert warnings(caplog) == []


def test_a_duplicate_that_pushes_an_item_off_is_reported(
    clean_env: Path, caplog: pytest.LogCaptureFixture
) -> None:
    world = World(clean_env)
    clean = plays(world.truth())
    world.fake.faults.duplicate_across_pages(HISTORY, page=2)
    got = plays(world.export()[0])
    assert got.total() == EVENTS - 1
    assert not got - clean  # a row lost, none doubled
    assert warnings(caplog) == [  # served twice, named as such (not "hidden or removed")
        f"Trakt announced {EVENTS} items for history/movies but served {EVENTS - 1}: "
        f"1 served twice across pages in place of another item; exported {EVENTS - 1}."
    ]


def test_watched_films_are_deduplicated_by_film(clean_env: Path) -> None:
    world = World(clean_env, mode="aggregated")
    clean = world.truth()
    # aggregated mode reads the history (SPEC §5 v2.2): a play served twice is one viewing
    world.fake.faults.duplicate_across_pages(HISTORY, page=1, keep_all=True)
    assert world.export()[0] == clean


# ----- data that changes while it is read ------------------------------------------------


def mutation(world: World, kind: str, seed: int = 0) -> Callable[[], None]:
    fake = world.fake
    films = sorted(fake.dataset.films)
    if kind == "new_plays":
        return new_plays(fake, USER, [films[seed % len(films)], films[(seed * 7) % len(films)]])
    if kind == "rewatch":
        return rewatch(fake, USER, films[(seed * 13) % len(films)])
    history = fake.dataset.users[USER].history
    return delete_play(fake, USER, history[(seed * 31) % len(history)].id)


@pytest.mark.parametrize("public", [False, True], ids=["token", "public"])
@pytest.mark.parametrize(
    ("kind", "mode", "path"),
    [
        ("new_plays", "history", "history/movies"),
        ("delete_play", "history", "history/movies"),
        ("rewatch", "aggregated", "history/movies"),
    ],
)
def test_a_change_between_pages_is_read_again(
    clean_env: Path, kind: str, mode: str, path: str, public: bool
) -> None:
    world = World(clean_env, mode=mode, public=public)
    before = world.truth()
    world.fake.faults.mutate_after(1, mutation(world, kind, 3), path_prefix=world.path(path))
    csv, _ = world.export()
    page_ones = [s for s in world.fake.stats.requests if s.path == world.path(path)]
    page_ones = [s for s in page_ones if s.query["page"] == "1"]
    assert len(page_ones) >= 2  # read again (public mode: the re-check, then the re-read)
    world.fake.faults.clear()
    after = world.truth()
    assert before != after
    assert csv == after
    # The next run replays a committed, correct snapshot.
    nxt, requests = world.export()
    assert nxt == after
    assert requests <= (2 if not public else 0)


@pytest.mark.parametrize("public", [False, True], ids=["token", "public"])
def test_data_that_keeps_changing_is_exit_4_and_leaves_the_cache_as_it_was(
    clean_env: Path, public: bool
) -> None:
    world = World(clean_env, public=public)
    world.export()  # a committed snapshot in the cache

    def forever() -> None:
        new_plays(world.fake, USER, [1])()
        world.fake.faults.mutate_after(2, forever, path_prefix=world.path("history/movies"))

    forever()  # the cached history is stale now: it is read live, and changes under every read
    if public:
        world.clock.now += 25 * 3600  # public snapshots live by their TTL only
    with pytest.raises(DataChangingError) as caught:
        world.export()
    assert caught.value.exit_code == 4
    assert "kept changing" in caught.value.message
    assert caught.value.hint == "Try again in a moment."
    world.fake.faults.clear()
    truth = world.truth()
    assert world.export()[0] == truth


def test_cold_token_run_makes_exactly_the_minimum_and_warm_two(clean_env: Path) -> None:
    world = World(clean_env)
    _, cold = world.export()
    ratings = -(-len(world.fake.user_json(USER, "ratings/movies")) // 250)
    assert cold == 2 + history_pages(world) + ratings + 1
    _, warm = world.export()
    assert warm == 2


# ----- the property --------------------------------------------------------------------------


BEFORE: dict[tuple[str, bool], bytes] = {}  # the untouched data's export, per mode


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(["new_plays", "rewatch", "delete_play"]),
    after=st.integers(1, 8),
    on_listing=st.booleans(),
    public=st.booleans(),
    mode=st.sampled_from(["history", "aggregated"]),
    seed=st.integers(0, 50),
)
def test_a_random_change_gives_before_or_after_and_never_poisons_the_cache(
    tmp_path_factory: pytest.TempPathFactory,
    kind: str,
    after: int,
    on_listing: bool,
    public: bool,
    mode: str,
    seed: int,
) -> None:
    world = World(tmp_path_factory.mktemp("home"), mode=mode, public=public, events=520)
    before = BEFORE.get((mode, public)) or BEFORE.setdefault((mode, public), world.truth())
    prefix = world.path("history/movies")  # both modes read the history (SPEC §5 v2.2)
    world.fake.faults.mutate_after(
        after, mutation(world, kind, seed), path_prefix=prefix if on_listing else None
    )
    try:
        csv: bytes | None = world.export()[0]
    except DataChangingError:
        csv = None
    world.fake.faults.clear()
    truth = world.truth()
    assert csv is None or csv in (before, truth)
    # The next run is right: nothing bad was cached. (A public snapshot that passed its checks
    # lives by its TTL, so it may replay the data as it was before the change.)
    expected = csv if public and csv is not None else truth
    assert world.export()[0] == expected


# ----- memory: the cache writer cannot make bodies pile up -------------------------------


class GatedCache(APICache):
    """A cache whose stores wait on a gate (a disk slower than the network)."""

    def __init__(self, directory: Path, gate: threading.Event) -> None:
        super().__init__(directory, {"sync": 24.0})
        self.gate = gate

    def put(self, key: str, entry: dict[str, Any]) -> None:
        self.gate.wait(10)
        super().put(key, entry)


async def test_a_slow_cache_writer_holds_a_bounded_number_of_bodies(tmp_path: Path) -> None:
    fake = FakeTrakt(sized(200), client_id="test-client")
    token = fake.issue_token(USER).access_token
    gate = threading.Event()
    transport = CacheTransport(fake.transport(), GatedCache(tmp_path / "c", gate), max_pending=4)
    headers = {"trakt-api-key": "test-client", "trakt-api-version": "2"}
    headers["Authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient(
        base_url="https://api.trakt.tv", transport=transport, headers=headers
    ) as http:
        stage = Stage("/sync/history/movies?limit=1")
        hint = {"kind": "sync", "account": USER, "listing": stage.listing, "stage": stage}

        async def page(number: int) -> int:
            response = await http.get(
                "/sync/history/movies",
                params={"page": number, "limit": 1},
                extensions={"trakt_export": hint},
            )
            return response.status_code

        tasks = [asyncio.create_task(page(n)) for n in range(1, 41)]
        for _ in range(200):
            await asyncio.sleep(0)
        assert transport.held == 4  # the rest wait for room: no body beyond the bound
        assert sum(t.done() for t in tasks) <= 4
        gate.set()
        assert await asyncio.gather(*tasks) == [200] * 40
        assert transport.most_held == 4
        stage.commit(USER, None)


class SlowActivities(httpx.AsyncBaseTransport):
    """The fake behind a network that delivers last_activities later than the pages beside it
    (the first round's requests race on separate connections)."""

    def __init__(self, fake: FakeTrakt, clock: VirtualClock) -> None:
        self.inner = fake.transport()
        self.clock = clock

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/sync/last_activities":
            await self.clock.sleep(0.05)
        return await self.inner.handle_async_request(request)


def test_a_change_between_page_one_and_last_activities_of_the_first_round_is_caught(
    clean_env: Path,
) -> None:
    world = World(clean_env, now=1_900_000_000.0)  # 2030: the dataset's stamps lie in the past
    world.fake.faults.mutate_after(1, mutation(world, "new_plays"), path_prefix=HISTORY)
    out = clean_env / "raced.csv"
    run_movies(
        world.settings,
        options(SlowActivities(world.fake, world.clock), world.clock, output=str(out)),
    )
    firsts = [s for s in world.fake.stats.requests if s.path == HISTORY and s.query["page"] == "1"]
    assert len(firsts) == 2  # page 1 read again beside pages 2..N
    assert out.read_bytes() == world.truth()


@pytest.mark.parametrize("public", [False, True], ids=["token", "public"])
def test_a_challenge_page_mid_listing_never_reaches_the_next_run(
    clean_env: Path, public: bool
) -> None:
    world = World(clean_env, public=public)
    history = world.path("history/movies")
    world.fake.faults.mutate_after(1, lambda: world.fake.faults.html_challenge(1), history)
    try:
        csv: bytes | None = world.export()[0]
    except TraktUnavailableError as error:
        assert error.exit_code == 4
        csv = None
    world.fake.faults.clear()
    truth = world.truth()
    assert csv in (None, truth)
    assert world.export()[0] == truth


@pytest.mark.parametrize("skew", [-120.0, 120.0], ids=["trakt-behind", "trakt-ahead"])
def test_a_first_round_change_is_caught_when_trakts_clock_differs_from_ours(
    clean_env: Path, skew: float
) -> None:
    """The stamp of a change made while the first round was in flight is Trakt's time, not
    ours: two minutes apart either way, the change must still be seen (CLOCK_SLACK)."""
    world = World(clean_env, now=1_900_000_000.0)
    clock = world.clock
    world.fake = FakeTrakt(
        sized(EVENTS), client_id=CLIENT, clock=lambda: clock() + skew, sleep=clock.sleep
    )
    world.settings = settings_for(
        clean_env,
        world.fake.issue_token(USER).access_token,
        TRAKT_EXPORT_EXPORT_MODE="history",
        TRAKT_EXPORT_EXPORT_MAX_ROWS="0",
        TRAKT_EXPORT_EXPORT_MAX_BYTES="0",
    )
    world.fake.faults.mutate_after(1, mutation(world, "new_plays"), path_prefix=HISTORY)
    out = clean_env / "skewed.csv"
    run_movies(world.settings, options(SlowActivities(world.fake, clock), clock, output=str(out)))
    firsts = [s for s in world.fake.stats.requests if s.path == HISTORY and s.query["page"] == "1"]
    assert len(firsts) == 2  # page 1 read again: the change was seen
    assert out.read_bytes() == world.truth()


def test_a_short_first_page_without_headers_is_followed_by_one_worker(clean_env: Path) -> None:
    """Without pagination headers a short page 1 says little: one worker reads on, page by
    page, so the empty page 2 ends the walk after one request, not after a volley of them."""
    world = World(clean_env, events=100)  # one page of 100 at limit 250
    clean = world.truth()
    world.fake.faults.strip_pagination()
    world.fake.latency = 0.05  # virtual: requests in flight really overlap
    csv, _ = world.export("off")
    assert csv == clean
    got = sorted(int(s.query["page"]) for s in world.fake.stats.requests if s.path == HISTORY)
    assert got == [1, 2]
