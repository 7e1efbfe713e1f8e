"""The fake Trakt server: shapes, pagination, header checks, privacy, faults, mutation, serving."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from trakt_fake import FakeTrakt, Token, edge, large, sample, sized
from trakt_fake.shapes import LIST_ENDPOINTS

API = "https://api.trakt.tv"
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


class Clock:
    """A settable clock (epoch seconds) so expiry and refill never need real waiting."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def headers(token: Token | str | None = None, client_id: str = "test-client") -> dict[str, str]:
    base = {
        "trakt-api-key": client_id,
        "trakt-api-version": "2",
        "Content-Type": "application/json",
    }
    if token is not None:
        base["Authorization"] = (
            f"Bearer {token.access_token if isinstance(token, Token) else token}"
        )
    return base


def client(fake: FakeTrakt, token: Token | str | None = None) -> httpx.Client:
    return httpx.Client(
        transport=httpx.MockTransport(fake.handle), base_url=API, headers=headers(token)
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> FakeTrakt:
    return FakeTrakt(edge(), clock=clock)


@pytest.fixture
def edge_client(fake: FakeTrakt) -> Iterator[httpx.Client]:
    with client(fake, fake.issue_token("edge-user")) as c:
        yield c


def fetch_all(c: httpx.Client, path: str, limit: int) -> tuple[list[Any], httpx.Response]:
    first = c.get(path, params={"page": 1, "limit": limit})
    assert first.status_code == 200
    items = list(first.json())
    for page in range(2, int(first.headers["X-Pagination-Page-Count"]) + 1):
        items += c.get(path, params={"page": page, "limit": limit}).json()
    return items, first


def timestamps(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key.endswith("_at") and isinstance(inner, str):
                yield inner
            else:
                yield from timestamps(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from timestamps(inner)


# ----- pagination ----------------------------------------------------------------------------


def test_pages_concatenate_to_the_full_list_with_correct_headers(edge_client: httpx.Client) -> None:
    items, first = fetch_all(edge_client, "/sync/history/movies", limit=7)
    fake_items = edge_client.get("/sync/history/movies", params={"limit": 250}).json()
    assert items == fake_items
    assert first.headers["X-Pagination-Page"] == "1"
    assert first.headers["X-Pagination-Limit"] == "7"
    total = int(first.headers["X-Pagination-Item-Count"])
    assert total == len(items) > 20
    assert first.headers["X-Pagination-Page-Count"] == str(-(-total // 7))
    assert first.headers["Content-Type"] == "application/json; charset=utf-8"


def test_history_is_newest_first_and_typed(fake: FakeTrakt) -> None:
    history = fake.user_json("edge-user", "history")
    times = [item["watched_at"] for item in history]
    assert times == sorted(times, reverse=True)
    assert {item["type"] for item in history} == {"movie", "episode"}
    assert {item["action"] for item in history} == {"scrobble", "checkin", "watch"}
    episode = next(item for item in history if item["type"] == "episode")
    assert set(episode) == {"id", "watched_at", "action", "type", "episode", "show"}
    assert fake.user_json("edge-user", "history/shows") == [
        item for item in history if item["type"] == "episode"
    ]
    assert all(item["type"] == "movie" for item in fake.user_json("edge-user", "history/movies"))


def test_default_limit_is_100_and_limits_clamp_to_250() -> None:
    fake = FakeTrakt(large())
    with client(fake, fake.issue_token("big-user")) as c:
        default = c.get("/sync/history/movies")
        assert default.headers["X-Pagination-Limit"] == "100"
        assert len(default.json()) == 100
        clamped = c.get("/sync/history/movies", params={"limit": 1000})
        assert clamped.headers["X-Pagination-Limit"] == "250"
        assert len(clamped.json()) == 250
        assert clamped.headers["X-Pagination-Page-Count"] == "3"  # 600 plays
        shows = c.get("/sync/watched/shows", params={"limit": 250, "extended": "progress"})
        assert shows.headers["X-Pagination-Limit"] == "100"
        assert len(shows.json()) == 100


def test_page_past_the_end_is_an_empty_list(edge_client: httpx.Client) -> None:
    response = edge_client.get("/sync/ratings", params={"page": 99, "limit": 10})
    assert response.status_code == 200
    assert response.json() == []
    assert response.headers["X-Pagination-Page"] == "99"
    assert response.headers["X-Pagination-Page-Count"] == "3"


def test_empty_list_still_reports_one_page(fake: FakeTrakt) -> None:
    with client(fake, fake.issue_token("private-user")) as c:
        response = c.get("/sync/collection/movies", params={"limit": 250})
    assert response.json() == []
    assert response.headers["X-Pagination-Item-Count"] == "0"
    assert response.headers["X-Pagination-Page-Count"] == "1"


def test_large_has_more_than_one_full_page_everywhere() -> None:
    fake = FakeTrakt(large())
    wanted = [e for e in LIST_ENDPOINTS if e not in ("watchlist/seasons", "watchlist/episodes")]
    for endpoint in wanted:
        assert len(fake.user_json("big-user", endpoint)) > 250, endpoint


def test_ratings_filter_by_value(edge_client: httpx.Client) -> None:
    items, _ = fetch_all(edge_client, "/sync/ratings/movies/9,10", limit=250)
    assert items and {item["rating"] for item in items} == {9, 10}
    assert all(item["type"] == "movie" for item in items)


# ----- required headers and auth -------------------------------------------------------------


def test_wrong_or_missing_api_key_is_403(fake: FakeTrakt) -> None:
    transport = httpx.MockTransport(fake.handle)
    with httpx.Client(transport=transport, base_url=API) as c:
        bad_key = {**headers(), "trakt-api-key": "someone-else"}
        assert c.get("/users/edge-user/history", headers=bad_key).status_code == 403
        no_key = {k: v for k, v in headers().items() if k != "trakt-api-key"}
        assert c.get("/users/edge-user/history", headers=no_key).status_code == 403


def test_api_version_is_required(fake: FakeTrakt) -> None:
    with httpx.Client(transport=httpx.MockTransport(fake.handle), base_url=API) as c:
        missing = {k: v for k, v in headers().items() if k != "trakt-api-version"}
        assert c.get("/users/edge-user/history", headers=missing).status_code == 400
        old = {**headers(), "trakt-api-version": "1"}
        assert c.get("/users/edge-user/history", headers=old).status_code == 403


def test_body_without_json_content_type_is_412(fake: FakeTrakt) -> None:
    with httpx.Client(transport=httpx.MockTransport(fake.handle), base_url=API) as c:
        plain = {**headers(), "Content-Type": "text/plain"}
        response = c.post("/sync/history", headers=plain, content=b"{}")
    assert response.status_code == 412


def test_sync_needs_a_valid_unexpired_token(fake: FakeTrakt, clock: Clock) -> None:
    with client(fake) as anonymous:
        assert anonymous.get("/sync/history").status_code == 401
        assert anonymous.get("/users/settings").status_code == 401
        assert anonymous.get("/users/me/history").status_code == 401
    with client(fake, "not-a-token") as forged:
        assert forged.get("/sync/history").status_code == 401
        # A bad token fails even where OAuth is optional, like Trakt.
        assert forged.get("/users/edge-user/history").status_code == 401
    token = fake.issue_token("edge-user", lifetime=3600)
    assert token.created_at == int(clock.now) and token.expires_in == 3600
    assert fake.tokens[token.access_token] == token
    with client(fake, token) as c:
        assert c.get("/sync/history").status_code == 200
        clock.now += 3600
        expired = c.get("/sync/history")
    assert expired.status_code == 401


def test_users_me_maps_to_the_token_owner(fake: FakeTrakt) -> None:
    with client(fake, fake.issue_token("private-user")) as c:
        mine = c.get("/users/me/history", params={"limit": 250}).json()
        settings = c.get("/users/settings").json()
    assert mine == fake.user_json("private-user", "history")
    assert settings["user"]["username"] == "private-user"
    assert settings["user"]["private"] is True


# ----- public and private profiles -----------------------------------------------------------


def test_public_user_needs_only_the_client_id(fake: FakeTrakt) -> None:
    with client(fake) as c:
        response = c.get("/users/edge-user/ratings", params={"limit": 250})
        profile = c.get("/users/edge-user").json()
    assert response.status_code == 200
    assert response.json() == fake.user_json("edge-user", "ratings")
    assert profile["username"] == "edge-user" and profile["private"] is False


def test_private_user_needs_their_own_token(fake: FakeTrakt) -> None:
    with client(fake) as anonymous:
        refused = anonymous.get("/users/private-user/history")
        assert anonymous.get("/users/private-user").status_code == 401
    assert refused.status_code == 401
    assert refused.headers["X-Private-User"] == "true"
    with client(fake, fake.issue_token("edge-user")) as other:
        assert other.get("/users/private-user/watched/movies").status_code == 401
    with client(fake, fake.issue_token("private-user")) as owner:
        allowed = owner.get("/users/private-user/watched/movies")
    assert allowed.status_code == 200
    assert len(allowed.json()) == 2


def test_unknown_user_and_path_are_404(fake: FakeTrakt) -> None:
    with client(fake) as c:
        assert c.get("/users/nobody-here/history").status_code == 404
        assert c.get("/users/edge-user/watched").status_code == 404
        assert c.get("/users/edge-user/history/movies/1/2").status_code == 404
        assert c.get("/nowhere").status_code == 404


# ----- shapes ----------------------------------------------------------------------------------


def test_every_timestamp_has_trakts_format(fake: FakeTrakt) -> None:
    seen = 0
    for endpoint in (*LIST_ENDPOINTS, "last_activities", "settings"):
        for stamp in timestamps(fake.user_json("edge-user", endpoint)):
            assert STAMP.match(stamp), (endpoint, stamp)
            seen += 1
    assert seen > 100


def test_edge_dataset_covers_the_awkward_cases(fake: FakeTrakt) -> None:
    history = fake.user_json("edge-user", "history/movies")
    movies = {item["movie"]["ids"]["trakt"]: item["movie"] for item in history}
    titles = {m["title"] for m in movies.values()}
    assert any("," in t for t in titles) and any('"' in t for t in titles)
    assert any("'" in t for t in titles) and any(t.startswith("=") for t in titles)
    assert any(re.search("[\u3040-\u30ff\u4e00-\u9fff]", t) for t in titles)  # Japanese
    assert any(re.search("[\u0400-\u04ff]", t) for t in titles)  # Cyrillic
    assert any(ord(ch) > 0xFFFF for t in titles for ch in t)  # emoji
    ids = [m["ids"] for m in movies.values()]
    assert any(i["imdb"] is None and i["tmdb"] is not None for i in ids)
    assert any(i["tmdb"] is None and i["imdb"] is not None for i in ids)
    assert any(i["imdb"] is None and i["tmdb"] is None for i in ids)
    assert any(m["year"] is None for m in movies.values())

    movie_ratings = fake.user_json("edge-user", "ratings/movies")
    assert {r["rating"] for r in movie_ratings} == set(range(1, 11))
    rated = {r["movie"]["ids"]["trakt"] for r in movie_ratings}
    assert rated - set(movies), "a rated-but-never-watched film"
    assert set(movies) - rated, "a watched-unrated film"
    for kind in ("shows", "seasons", "episodes"):
        assert fake.user_json("edge-user", f"ratings/{kind}"), kind

    watched = fake.user_json("edge-user", "watched/movies")
    days = {item["movie"]["ids"]["trakt"]: item["plays"] for item in watched if item["plays"] >= 3}
    assert days, "a film watched on several days"
    same_day: dict[tuple[int, str], set[str]] = {}
    for item in history:
        key = (item["movie"]["ids"]["trakt"], item["watched_at"][:10])
        same_day.setdefault(key, set()).add(item["action"])
    assert {"scrobble", "checkin"} in same_day.values()
    assert any(item["watched_at"][11:16] == "23:30" for item in history)
    assert any(item["watched_at"][11:16] == "00:30" for item in history)

    watchlist = fake.user_json("edge-user", "watchlist")
    assert [w["rank"] for w in watchlist] == sorted(w["rank"] for w in watchlist)
    assert {w["type"] for w in watchlist} == {"movie", "show"}
    assert any(w["notes"] for w in watchlist if w["type"] == "movie")
    assert any(
        w["movie"]["ids"]["imdb"] is None and w["movie"]["ids"]["tmdb"] is None
        for w in watchlist
        if w["type"] == "movie"
    )
    collected = fake.user_json("edge-user", "collection/movies")
    assert collected and {c["type"] for c in collected} == {"movie"}
    assert all(set(c) == {"collected_at", "updated_at", "type", "movie"} for c in collected)
    shows = fake.user_json("edge-user", "collection/shows")
    assert shows[0]["type"] == "show"
    assert [e["number"] for e in shows[0]["seasons"][0]["episodes"]] == [1, 2]
    assert fake.user_json("edge-user", "settings")["account"]["timezone"] == "Europe/Berlin"


def test_watched_movies_derive_from_history(fake: FakeTrakt) -> None:
    history = fake.user_json("edge-user", "history/movies")
    for entry in fake.user_json("edge-user", "watched/movies"):
        plays = [h for h in history if h["movie"] == entry["movie"]]
        assert entry["plays"] == len(plays)
        assert entry["last_watched_at"] == max(h["watched_at"] for h in plays)


def test_watched_shows_nest_seasons_and_episodes(edge_client: httpx.Client) -> None:
    shows = edge_client.get("/sync/watched/shows", params={"extended": "progress"}).json()
    assert shows[0]["show"]["title"] == "Breaking Bad"
    assert shows[0]["show"]["aired_episodes"] == 62
    assert shows[0]["reset_at"] is None
    episodes = shows[0]["seasons"][0]["episodes"]
    assert [e["number"] for e in episodes] == [1, 2, 3]
    assert episodes[0]["plays"] == 2
    assert shows[0]["plays"] == 4
    bare = edge_client.get("/sync/watched/shows", params={"extended": "noseasons"}).json()
    assert "seasons" not in bare[0]


def test_last_activities_has_the_full_shape(fake: FakeTrakt) -> None:
    activities = fake.user_json("edge-user", "last_activities")
    assert set(activities) >= {
        "all", "movies", "episodes", "shows", "seasons", "comments", "lists",
        "watchlist", "favorites", "account",
    }  # fmt: skip
    assert set(activities["movies"]) >= {
        "watched_at", "collected_at", "rated_at", "watchlisted_at", "paused_at", "hidden_at",
    }  # fmt: skip
    history = fake.user_json("edge-user", "history/movies")
    assert activities["movies"]["watched_at"] == history[0]["watched_at"]
    assert activities["all"] == max(
        stamp for section in activities.values() if isinstance(section, dict)
        for stamp in section.values()
    )  # fmt: skip
    assert "settings_at" in activities["account"]
    assert "updated_at" in activities["watchlist"]


def test_people_lists_directors_and_finds_films_by_any_id(fake: FakeTrakt) -> None:
    with client(fake) as c:
        by_id = c.get("/movies/27/people").json()
        by_slug = c.get("/movies/no-country-for-old-men-2007/people").json()
        by_imdb = c.get("/movies/tt0477348/people").json()
        none = c.get("/movies/6/people").json()
        missing = c.get("/movies/999999/people")
    directing = by_id["crew"]["directing"]
    assert [d["person"]["name"] for d in directing] == ["Joel Coen", "Ethan Coen"]
    assert all(d["jobs"] == ["Director"] and d["person"]["ids"]["trakt"] for d in directing)
    assert by_slug == by_id == by_imdb
    assert none["crew"] == {}
    assert missing.status_code == 404


def test_sample_is_a_demo_library() -> None:
    fake = FakeTrakt(sample())
    history = fake.user_json("demo", "history/movies")
    watched = fake.user_json("demo", "watched/movies")
    assert len(watched) >= 35
    assert any(item["plays"] > 1 for item in watched)
    assert fake.user_json("demo", "ratings/movies")
    assert fake.user_json("demo", "watchlist/movies")
    assert all(item["movie"]["ids"]["imdb"].startswith("tt") for item in history)


def test_sized_is_seeded_and_fast() -> None:
    assert FakeTrakt(sized(60, seed=3)).user_json("bench", "history") == FakeTrakt(
        sized(60, seed=3)
    ).user_json("bench", "history")
    assert FakeTrakt(sized(60, seed=3)).user_json("bench", "history") != FakeTrakt(
        sized(60, seed=4)
    ).user_json("bench", "history")
    fake = FakeTrakt(sized(100_000))
    with client(fake, fake.issue_token("bench")) as c:
        last = c.get("/sync/history/movies", params={"page": 400, "limit": 250})
        watched = c.get("/sync/watched/movies", params={"limit": 250})
    assert last.headers["X-Pagination-Item-Count"] == "100000"
    assert len(last.json()) == 250
    assert int(watched.headers["X-Pagination-Item-Count"]) == 100_000 // 3
    assert fake.user_json("bench", "ratings/movies")


# ----- faults -----------------------------------------------------------------------------------


def test_fail_next_counts_down_and_respects_the_prefix(
    edge_client: httpx.Client, fake: FakeTrakt
) -> None:
    fake.faults.fail_next(2, status=502, path_prefix="/sync/ratings")
    assert edge_client.get("/sync/history").status_code == 200
    first = edge_client.get("/sync/ratings")
    assert first.status_code == 502
    assert first.headers["Content-Type"].startswith("text/html")
    assert edge_client.get("/sync/ratings").status_code == 502
    assert edge_client.get("/sync/ratings").status_code == 200
    fake.faults.fail_next(1)
    assert edge_client.get("/sync/history").status_code == 503


def test_error_rate_is_deterministic_per_seed(fake: FakeTrakt) -> None:
    def statuses(seed: int) -> list[int]:
        fake.faults.error_rate(0.5, statuses=(500, 521), seed=seed)
        with client(fake) as c:
            return [c.get("/users/edge-user/history").status_code for _ in range(40)]

    run = statuses(7)
    assert run == statuses(7)
    assert run != statuses(8)
    assert set(run) == {200, 500, 521}
    fake.faults.clear()
    with client(fake) as c:
        assert all(c.get("/users/edge-user").status_code == 200 for _ in range(10))


def test_truncate_rate_cuts_json_in_half(fake: FakeTrakt) -> None:
    with client(fake) as c:
        whole = c.get("/users/edge-user/history")
        fake.faults.truncate_rate(1.0)
        cut = c.get("/users/edge-user/history")
    assert cut.status_code == 200
    assert len(cut.content) == len(whole.content) // 2
    with pytest.raises(ValueError):
        json.loads(cut.content)


def test_drop_next_resets_the_connection_in_transport_mode(fake: FakeTrakt) -> None:
    fake.faults.drop_next(1)
    with client(fake) as c:
        with pytest.raises(httpx.RemoteProtocolError):
            c.get("/users/edge-user/history")
        assert c.get("/users/edge-user/history").status_code == 200
    assert fake.stats.total == 2


def test_force_429_sends_retry_after_and_x_ratelimit(fake: FakeTrakt, clock: Clock) -> None:
    fake.faults.force_429(2, retry_after=7)
    with client(fake) as c:
        limited = [c.get("/users/edge-user/history") for _ in range(3)]
    assert [r.status_code for r in limited] == [429, 429, 200]
    assert limited[0].headers["Retry-After"] == "7"
    info = json.loads(limited[0].headers["X-Ratelimit"])
    assert info["remaining"] == 0 and info["period"] == 300 and info["limit"] == 1000
    assert info["until"] == (
        datetime.fromtimestamp(clock.now + 7, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    )
    assert fake.stats.served_429 == 2


def test_rate_limit_is_a_token_bucket_per_user(fake: FakeTrakt, clock: Clock) -> None:
    fake.faults.rate_limit(limit=3, period=30)
    with client(fake, fake.issue_token("edge-user")) as alice:
        assert [alice.get("/sync/history").status_code for _ in range(3)] == [200] * 3
        over = alice.get("/sync/history")
        assert over.status_code == 429
        assert over.headers["Retry-After"] == "10"  # one token refills in 30/3 s
        assert json.loads(over.headers["X-Ratelimit"])["name"] == "AUTHED_API_GET_LIMIT"
        with client(fake, fake.issue_token("private-user")) as bob:
            assert bob.get("/sync/history").status_code == 200  # a separate bucket
        clock.now += 10
        assert alice.get("/sync/history").status_code == 200
        assert alice.get("/sync/history").status_code == 429


def test_underdeliver_serves_fewer_items_than_announced(
    edge_client: httpx.Client, fake: FakeTrakt
) -> None:
    fake.faults.underdeliver("/sync/history/movies", missing=2)
    items, first = fetch_all(edge_client, "/sync/history/movies", limit=10)
    assert int(first.headers["X-Pagination-Item-Count"]) == len(items) + 2
    assert edge_client.get("/sync/history").status_code == 200
    fake.faults.clear()
    items, first = fetch_all(edge_client, "/sync/history/movies", limit=10)
    assert int(first.headers["X-Pagination-Item-Count"]) == len(items)


# ----- mutation -----------------------------------------------------------------------------


def test_mutations_bump_last_activities(fake: FakeTrakt, clock: Clock) -> None:
    before = fake.user_json("edge-user", "last_activities")
    clock.now = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
    fake.add_history("edge-user", 6, datetime(2024, 12, 31, 21, tzinfo=UTC), action="scrobble")
    after = fake.user_json("edge-user", "last_activities")
    assert after["movies"]["watched_at"] == "2025-01-01T00:00:00.000Z"
    assert after["all"] == "2025-01-01T00:00:00.000Z"
    assert after["movies"]["rated_at"] == before["movies"]["rated_at"]
    newest = fake.user_json("edge-user", "history")[0]
    assert newest["movie"]["ids"]["trakt"] == 6 and newest["action"] == "scrobble"
    assert newest["id"] > max(h["id"] for h in fake.user_json("edge-user", "history")[1:])
    watched = {w["movie"]["ids"]["trakt"]: w for w in fake.user_json("edge-user", "watched/movies")}
    assert watched[6]["plays"] == 2

    # Same clock again: the timestamp still moves, so caches keyed on it notice.
    fake.add_rating("edge-user", 6, 9, datetime(2025, 1, 1, tzinfo=UTC))
    fake.add_rating("edge-user", 6, 10, datetime(2025, 1, 1, tzinfo=UTC))
    rated = fake.user_json("edge-user", "last_activities")["movies"]["rated_at"]
    assert rated == "2025-01-01T00:00:00.001Z"
    ratings = [
        r for r in fake.user_json("edge-user", "ratings/movies") if r["movie"]["ids"]["trakt"] == 6
    ]
    assert [r["rating"] for r in ratings] == [10]

    fake.add_watchlist("edge-user", 13)
    activities = fake.user_json("edge-user", "last_activities")
    assert activities["movies"]["watchlisted_at"] == activities["watchlist"]["updated_at"]
    assert activities["watchlist"]["updated_at"] > before["watchlist"]["updated_at"]
    watchlist = fake.user_json("edge-user", "watchlist")
    assert watchlist[-1]["movie"]["ids"]["trakt"] == 13
    assert watchlist[-1]["rank"] == len(watchlist)


# ----- serving, concurrency, stats ---------------------------------------------------------------


async def test_async_transport_counts_concurrency_with_injected_sleep() -> None:
    arrived = 0
    everyone_in = asyncio.Event()

    async def gate(seconds: float) -> None:
        # Zero-time "latency" that holds each request until all five are inside.
        nonlocal arrived
        assert seconds == 0.05
        arrived += 1
        if arrived == 5:
            everyone_in.set()
        await everyone_in.wait()

    fake = FakeTrakt(edge(), latency=0.05, sleep=gate)
    async with httpx.AsyncClient(transport=fake.transport(), base_url=API, headers=headers()) as c:
        responses = await asyncio.gather(
            *(c.get("/users/edge-user/history", params={"page": p}) for p in range(1, 6))
        )
    assert [r.status_code for r in responses] == [200] * 5
    assert fake.stats.max_in_flight == 5
    assert fake.stats.in_flight == 0
    assert fake.stats.by_path["GET /users/edge-user/history"] == 5
    assert sorted(seen.query["page"] for seen in fake.stats.requests) == ["1", "2", "3", "4", "5"]
    assert fake.stats.requests[0].headers["trakt-api-key"] == "test-client"
    fake.stats.reset()
    assert (fake.stats.total, fake.stats.max_in_flight, fake.stats.requests) == (0, 0, [])


async def test_async_transport_drop_raises() -> None:
    fake = FakeTrakt(edge())
    fake.faults.drop_next(1)
    async with httpx.AsyncClient(transport=fake.transport(), base_url=API, headers=headers()) as c:
        with pytest.raises(httpx.RemoteProtocolError):
            await c.get("/users/edge-user")
        assert (await c.get("/users/edge-user")).status_code == 200


def test_loopback_server_with_a_real_client(fake: FakeTrakt) -> None:
    token = fake.issue_token("edge-user")
    with fake.serve() as url:
        assert re.match(r"^http://127\.0\.0\.1:\d+$", url)
        with httpx.Client(base_url=url, headers=headers(token)) as c:
            items, _ = fetch_all(c, "/sync/history", limit=10)
            assert items == fake.user_json("edge-user", "history")
            assert c.get("/sync/history", params={"limit": 3}).headers["X-Pagination-Limit"] == "3"
            fake.faults.drop_next(1)
            with pytest.raises(httpx.RemoteProtocolError):
                c.get("/sync/watchlist")
            fake.faults.force_429(1, retry_after=3)
            limited = c.get("/sync/watchlist")
            assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
            assert c.get("/sync/watchlist").status_code == 200
    assert fake.stats.by_path["GET /sync/history"] == 5  # four pages and one probe


def test_serve_entry_point_prints_its_url_and_stops_on_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "trakt_fake", "serve", "--dataset", "edge",
         "--token", "tok-1", "--client-id", "cid"],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.fullmatch(r"URL (http://127\.0\.0\.1:\d+)\n", line)
        assert match, line
        response = httpx.get(
            match.group(1) + "/sync/last_activities",
            headers={**headers("tok-1", client_id="cid")},
            timeout=10,
        )
        assert response.status_code == 200
        assert STAMP.match(response.json()["all"])
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
    assert process.stdout.read() == ""


def test_user_json_rejects_unknowns(fake: FakeTrakt) -> None:
    with pytest.raises(KeyError):
        fake.user_json("nobody", "history")
    with pytest.raises(KeyError):
        fake.user_json("edge-user", "favorites")
    with pytest.raises(KeyError):
        fake.issue_token("nobody")


def test_datasets_are_fresh_objects() -> None:
    first = FakeTrakt(edge(), clock=Clock())
    first.add_history("edge-user", 6, datetime(2024, 1, 1, tzinfo=UTC) - timedelta(days=1))
    assert (
        len(FakeTrakt(edge()).user_json("edge-user", "history"))
        == len(first.user_json("edge-user", "history")) - 1
    )
