"""The fake's endpoints for `lists` and `backup`: comments, lists, favorites, playback, hidden
items, notes, profile, stats, watched-shows realism and the last_activities stamps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.test_fake import Clock, client, headers
from trakt_fake import FakeTrakt, Token, edge, heavy_tv, sample
from trakt_fake.__main__ import dataset_named
from trakt_fake.records import Season, utc
from trakt_fake.socialsets import SPOILER_TEXT

COMMENT_KEYS = {
    "id", "parent_id", "created_at", "updated_at", "comment", "spoiler", "review", "replies",
    "likes", "language", "user_rating", "user_stats", "user",
}  # fmt: skip
LIST_KEYS = {
    "name", "description", "privacy", "share_link", "type", "display_numbers", "allow_comments",
    "sort_by", "sort_how", "created_at", "updated_at", "item_count", "comment_count", "likes",
    "ids", "user",
}  # fmt: skip


@pytest.fixture
def clock() -> Clock:
    return Clock(utc(2024, 1, 1).timestamp())


@pytest.fixture
def fake(clock: Clock) -> FakeTrakt:
    return FakeTrakt(edge(), clock=clock)


@pytest.fixture
def token(fake: FakeTrakt) -> Token:
    return fake.issue_token("edge-user")


@pytest.fixture
def me(fake: FakeTrakt, token: Token) -> Iterator[httpx.Client]:
    with client(fake, token) as c:
        yield c


@pytest.fixture
def public(fake: FakeTrakt) -> Iterator[httpx.Client]:
    with client(fake) as c:
        yield c


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def paged(response: httpx.Response) -> tuple[int, int, int, int]:
    h = response.headers
    return (
        int(h["X-Pagination-Page"]),
        int(h["X-Pagination-Limit"]),
        int(h["X-Pagination-Page-Count"]),
        int(h["X-Pagination-Item-Count"]),
    )


# ----- comments ----------------------------------------------------------------------------


def test_comments_have_the_contract_shape_newest_first(public: httpx.Client) -> None:
    response = public.get("/users/edge-user/comments/all/all")
    items = ok(response)
    assert paged(response) == (1, 100, 1, 8)  # replies excluded by default
    for item in items:
        assert set(item["comment"]) == COMMENT_KEYS
        assert item["type"] in {"movie", "show", "season", "episode", "list"}
        assert item["type"] in item
        assert item["comment"]["parent_id"] == 0
        assert set(item["comment"]["user_stats"]) == {"rating", "play_count", "completed_count"}
        assert item["comment"]["user"]["username"] == "edge-user"
    created = [i["comment"]["created_at"] for i in items]
    assert created == sorted(created, reverse=True)
    season = next(i for i in items if i["type"] == "season")
    assert season["show"]["title"] == "Breaking Bad"
    assert next(i for i in items if i["type"] == "list")["list"]["ids"]["slug"] == "top"


def test_comments_on_films_cover_the_review_cases(public: httpx.Client) -> None:
    films = ok(public.get("/users/edge-user/comments/all/movies"))
    assert {i["type"] for i in films} == {"movie"}
    inception = [i for i in films if i["movie"]["ids"]["trakt"] == 13]
    assert len({i["comment"]["created_at"][:10] for i in inception}) == 2  # different days
    spoiler = next(i["comment"] for i in inception if i["comment"]["spoiler"])
    assert spoiler["comment"] == SPOILER_TEXT
    assert "\n" in spoiler["comment"] and all(c in spoiler["comment"] for c in "&<>")
    assert spoiler["replies"] == 1
    assert spoiler["user_rating"] == 9 and spoiler["user_stats"]["play_count"] == 2
    unseen = next(i["comment"] for i in films if i["movie"]["ids"]["trakt"] == 26)
    assert unseen["user_rating"] is None and unseen["user_stats"]["play_count"] == 0
    reviews = ok(public.get("/users/edge-user/comments/reviews/movies"))
    assert [i["movie"]["title"] for i in reviews] == ["Alien"]
    assert reviews[0]["comment"]["review"] is True
    shouts = ok(public.get("/users/edge-user/comments/shouts/movies"))
    assert len(shouts) == len(films) - 1
    assert {i["type"] for i in ok(public.get("/users/edge-user/comments/all/shows"))} == {"show"}
    assert len(ok(public.get("/users/edge-user/comments/all/episodes"))) == 1


def test_comment_replies_only_on_request(me: httpx.Client) -> None:
    replies = ok(me.get("/users/me/comments/all/movies", params={"include_replies": "only"}))
    assert [i["comment"]["parent_id"] for i in replies] == [1]
    both = me.get("/users/me/comments", params={"include_replies": "true"})
    assert paged(both)[3] == 9
    assert me.get("/users/me/comments/bogus/all").status_code == 404
    assert me.get("/sync/comments").status_code == 404  # Trakt has no such path
    assert me.get("/users/me/comments/all/people").status_code == 404


def test_comments_paginate_and_clamp(me: httpx.Client) -> None:
    first = me.get("/users/me/comments/all/all", params={"limit": 3, "page": 2})
    assert paged(first) == (2, 3, 3, 8) and len(first.json()) == 3
    assert paged(me.get("/users/me/comments/all/all", params={"limit": 9999}))[1] == 250
    assert me.get("/users/me/comments/all/all", params={"page": 9}).json() == []


def test_private_users_comments_need_their_token(fake: FakeTrakt) -> None:
    with client(fake) as c:
        denied = c.get("/users/private-user/comments/all/all")
    assert denied.status_code == 401 and denied.headers["X-Private-User"] == "true"
    with client(fake, fake.issue_token("private-user")) as c:
        assert ok(c.get("/users/private-user/comments/all/all")) == []


# ----- lists -------------------------------------------------------------------------------


def test_lists_hide_private_ones_in_public_mode(public: httpx.Client, me: httpx.Client) -> None:
    response = public.get("/users/edge-user/lists")
    shown = ok(response)
    assert paged(response)[3] == 4
    assert {lst["ids"]["slug"] for lst in shown} == {"top", "top-01", "shows-only", "empty"}
    for lst in shown:
        assert set(lst) == LIST_KEYS and lst["type"] == "personal" and lst["privacy"] == "public"
    mine = ok(me.get("/users/me/lists"))
    secret = next(lst for lst in mine if lst["ids"]["slug"] == "secret")
    assert secret["privacy"] == "private" and secret["item_count"] == 1
    assert public.get("/users/edge-user/lists/secret/items").status_code == 404
    assert public.get("/users/edge-user/lists/4004").status_code == 404
    assert ok(me.get("/users/me/lists/4004/items"))[0]["notes"] == "guilty"
    assert ok(public.get("/users/edge-user/lists/top"))["item_count"] == 12


def test_list_items_are_ranked_mixed_and_carry_notes(public: httpx.Client) -> None:
    response = public.get("/users/edge-user/lists/top/items")
    items = ok(response)
    assert response.headers["X-Applied-Sort-By"] == "rank"
    assert [i["rank"] for i in items] == list(range(1, 13))
    assert {i["type"] for i in items} == {"movie", "show", "episode"}
    for item in items:
        assert {"rank", "id", "listed_at", "notes", "type"} <= set(item)
    assert items[0]["notes"] == 'Masterpiece & "must-see" <3'
    episode = next(i for i in items if i["type"] == "episode")
    assert episode["show"]["title"] == "Breaking Bad" and episode["notes"] == "Pilot!"
    by_id = ok(public.get("/users/edge-user/lists/4001/items"))
    assert by_id == items
    films = ok(public.get("/users/edge-user/lists/top/items/movie"))
    assert len(films) == 10 and {i["type"] for i in films} == {"movie"}
    assert ok(public.get("/users/edge-user/lists/top/items/movies")) == films
    media = ok(public.get("/users/edge-user/lists/top/items/movie,show/rank/asc"))
    assert {i["type"] for i in media} == {"movie", "show"}
    assert ok(public.get("/users/edge-user/lists/shows-only/items/movie")) == []
    assert ok(public.get("/users/edge-user/lists/empty/items")) == []
    assert public.get("/users/edge-user/lists/top/items/person").status_code == 404
    assert public.get("/users/edge-user/lists/nope/items").status_code == 404


def test_list_items_paginate(public: httpx.Client) -> None:
    page = public.get("/users/edge-user/lists/top/items", params={"limit": 5, "page": 3})
    assert paged(page) == (3, 5, 3, 12)
    assert [i["rank"] for i in page.json()] == [11, 12]


# ----- favorites ---------------------------------------------------------------------------


def test_favorites_are_ranked_with_notes(public: httpx.Client, me: httpx.Client) -> None:
    response = public.get("/users/edge-user/favorites")
    items = ok(response)
    assert paged(response) == (1, 100, 1, 3)
    assert [i["rank"] for i in items] == [1, 2, 3]
    assert items[0]["notes"] == "Bong!" and items[0]["type"] == "movie"
    assert {"rank", "id", "listed_at", "notes"} <= set(items[0])
    assert [i["type"] for i in ok(me.get("/users/me/favorites/movies"))] == ["movie", "movie"]
    assert [i["type"] for i in ok(me.get("/users/me/favorites/shows/rank/asc"))] == ["show"]
    assert me.get("/users/me/favorites/episodes").status_code == 404


# ----- playback ----------------------------------------------------------------------------


def test_playback_is_token_only(fake: FakeTrakt, me: httpx.Client, public: httpx.Client) -> None:
    assert public.get("/sync/playback").status_code == 401
    assert public.get("/users/edge-user/playback").status_code == 404
    everything = me.get("/sync/playback")
    items = ok(everything)
    assert "X-Pagination-Page" not in everything.headers  # "Pagination Optional"
    assert [i["type"] for i in items] == ["episode", "movie"]  # newest pause first
    episode, movie = items
    assert set(movie) == {"progress", "paused_at", "id", "type", "movie"}
    assert movie["progress"] == 42.5 and movie["movie"]["title"] == "Paddington 2"
    assert episode["show"]["title"] == "Breaking Bad" and episode["episode"]["number"] == 3
    assert ok(me.get("/sync/playback/movies")) == [movie]
    assert ok(me.get("/sync/playback/episodes")) == [episode]
    assert me.get("/sync/playback/shows").status_code == 404
    page = me.get("/sync/playback", params={"limit": 1})
    assert paged(page) == (1, 1, 2, 2)
    since = me.get("/sync/playback", params={"start_at": "2023-11-01T00:00:00.000Z"})
    assert ok(since) == [episode]


# ----- hidden ------------------------------------------------------------------------------


def test_hidden_items_per_section(me: httpx.Client, public: httpx.Client) -> None:
    assert public.get("/users/hidden/progress_watched").status_code == 401
    expected = {
        "progress_watched": "show",
        "progress_collected": "season",
        "calendar": "movie",
        "recommendations": "movie",
        "dropped": "show",
        "comments": "user",
    }
    for section, kind in expected.items():
        response = me.get(f"/users/hidden/{section}")
        items = ok(response)
        assert paged(response) == (1, 100, 1, 1), section
        assert items[0]["type"] == kind and kind in items[0] and "hidden_at" in items[0]
    season = ok(me.get("/users/hidden/progress_collected"))[0]
    assert season["show"]["title"] == "Breaking Bad"
    assert ok(me.get("/users/hidden/calendar", params={"type": "show"})) == []
    assert me.get("/users/hidden/everything").status_code == 404


# ----- notes -------------------------------------------------------------------------------


def test_notes_need_vip_and_respect_privacy(fake: FakeTrakt, me: httpx.Client) -> None:
    mine = ok(me.get("/users/me/notes"))
    assert [n["id"] for n in mine] == [2, 1]
    assert set(mine[0]) == {"id", "notes", "privacy", "spoiler", "created_at", "updated_at", "item"}
    assert mine[1]["item"]["type"] == "movie" and mine[1]["item"]["movie"]["ids"]["trakt"] == 13
    assert [n["id"] for n in ok(me.get("/users/me/notes/shows"))] == [2]
    with client(fake) as c:
        assert [n["privacy"] for n in ok(c.get("/users/edge-user/notes"))] == ["public"]
    with client(fake, fake.issue_token("private-user")) as c:
        refused = c.get("/users/me/notes")
    assert refused.status_code == 426
    assert refused.json()["error"] == "vip_required"


# ----- profile, stats, settings ------------------------------------------------------------


def test_profile_stats_and_settings(me: httpx.Client, public: httpx.Client) -> None:
    full = ok(public.get("/users/edge-user", params={"extended": "full"}))
    assert full["vip"] is True and "joined_at" in full and full["ids"]["slug"] == "edge-user"
    assert "joined_at" not in ok(public.get("/users/edge-user"))
    stats = ok(public.get("/users/edge-user/stats"))
    assert set(stats) == {"movies", "shows", "seasons", "episodes", "network", "ratings"}
    assert stats["movies"]["plays"] == 29 and stats["episodes"]["plays"] == 4
    assert stats["shows"]["watched"] == 1 and stats["movies"]["comments"] == 5
    assert stats["ratings"]["total"] == sum(stats["ratings"]["distribution"].values())
    assert set(stats["seasons"]) == {"ratings", "comments"}
    assert ok(me.get("/users/settings"))["account"]["timezone"] == "Europe/Berlin"
    assert public.get("/users/settings").status_code == 401


# ----- watched shows and ratings realism ---------------------------------------------------


def test_watched_shows_need_extended_progress_for_seasons() -> None:
    fake = FakeTrakt(heavy_tv())
    with client(fake, fake.issue_token("tv-fan")) as c:
        bare = c.get("/sync/watched/shows", params={"limit": 250})
        assert paged(bare)[1] == 250 and paged(bare)[3] == 300
        assert all("seasons" not in item for item in bare.json())
        progress = c.get("/sync/watched/shows", params={"limit": 250, "extended": "progress"})
        assert paged(progress)[1:3] == (100, 3)
        numbers = {s["number"] for item in progress.json() for s in item["seasons"]}
        assert 0 not in numbers and 1 in numbers
        specials = c.get(
            "/users/tv-fan/watched/shows",
            params={"extended": "progress", "specials": "true", "limit": 100},
        )
        assert 0 in {s["number"] for item in specials.json() for s in item["seasons"]}
    assert all("seasons" not in item for item in fake.user_json("tv-fan", "watched/shows"))
    with_seasons = fake.user_json("tv-fan", "watched/shows", progress=True, specials=True)
    assert sum(len(e["episodes"]) for i in with_seasons for s in [i] for e in s["seasons"]) > 0


def test_rated_seasons_carry_aired_episodes(me: httpx.Client) -> None:
    seasons = ok(me.get("/sync/ratings/seasons"))
    assert seasons[0]["season"]["aired_episodes"] == 7


# ----- last_activities ---------------------------------------------------------------------


def test_activity_stamps_follow_the_records(fake: FakeTrakt) -> None:
    stamps = fake.user_json("edge-user", "last_activities")
    assert stamps["movies"]["commented_at"] == "2023-09-02T08:00:00.000Z"
    assert stamps["lists"]["commented_at"] == "2023-07-02T09:00:00.000Z"
    assert stamps["movies"]["paused_at"] == "2023-07-01T16:00:00.000Z"
    assert stamps["episodes"]["paused_at"] == "2023-12-02T21:00:00.000Z"
    assert stamps["favorites"]["updated_at"] == "2023-10-02T11:00:00.000Z"
    assert stamps["shows"]["favorited_at"] == "2023-10-02T11:00:00.000Z"
    assert stamps["shows"]["hidden_at"] == "2023-08-05T09:00:00.000Z"
    assert stamps["shows"]["dropped_at"] == "2023-08-05T13:00:00.000Z"
    assert stamps["comments"]["blocked_at"] == "2023-08-05T14:00:00.000Z"
    assert stamps["notes"]["updated_at"] == "2023-05-09T10:00:00.000Z"


def test_mutations_bump_their_stamps(fake: FakeTrakt, clock: Clock, me: httpx.Client) -> None:
    def stamp(section: str, key: str) -> str:
        value: str = ok(me.get("/sync/last_activities"))[section][key]
        return value

    film = fake.dataset.films[12]
    show = fake.dataset.shows[1391]
    season = Season(show, 2)
    steps: list[tuple[tuple[str, str], Any]] = [
        (("movies", "commented_at"), lambda: fake.add_comment("edge-user", film, "New & <b>")),
        (("lists", "updated_at"), lambda: fake.add_list_item("edge-user", "top", film, "n")),
        (("lists", "updated_at"), lambda: fake.add_list("edge-user", "Fresh")),
        (("movies", "favorited_at"), lambda: fake.add_favorite("edge-user", film)),
        (("favorites", "updated_at"), lambda: fake.add_favorite("edge-user", show)),
        (("movies", "paused_at"), lambda: fake.add_playback("edge-user", film, 12.5)),
        (("seasons", "hidden_at"), lambda: fake.hide("edge-user", "progress_watched", season)),
        (("notes", "updated_at"), lambda: fake.add_note("edge-user", film, "noted")),
    ]  # fmt: skip
    for where, mutate in steps:
        before = stamp(*where)
        clock.now += 61
        mutate()
        assert stamp(*where) > before, where
    # A clock behind the stored stamp still moves it forward (by a millisecond).
    clock.now = utc(2020, 1, 1).timestamp()
    before = stamp("movies", "commented_at")
    fake.add_comment("edge-user", film, "late")
    assert stamp("movies", "commented_at") > before
    top = ok(me.get("/users/me/lists/top/items"))
    assert top[-1]["movie"]["ids"]["trakt"] == 12 and top[-1]["rank"] == 13
    assert top[-1]["notes"] == "n"
    assert ok(me.get("/users/me/lists/fresh"))["item_count"] == 0
    assert len(ok(me.get("/users/me/comments/all/movies"))) == 4 + 2


def test_replies_count_on_the_parent(fake: FakeTrakt, me: httpx.Client) -> None:
    fake.add_comment("edge-user", fake.dataset.films[23], "reply", parent_id=4)
    items = ok(me.get("/users/me/comments/all/movies", params={"include_replies": "true"}))
    assert next(i for i in items if i["comment"]["id"] == 4)["comment"]["replies"] == 1


# ----- datasets ----------------------------------------------------------------------------


def test_heavy_tv_is_heavy() -> None:
    dataset = heavy_tv()  # built in ~0.04 s; speed is the benchmarks' business, not a unit test's
    user = dataset.users["tv-fan"]
    assert len(dataset.shows) == 300 and user.vip
    assert sum(1 for w in user.history if w.item.__class__.__name__ == "Episode") == 20_000
    assert len(user.lists) == 30 and len(user.comments) > 30
    assert {"top", "top-01"} <= {lst.slug for lst in user.lists}
    assert any(lst.privacy == "private" for lst in user.lists)
    assert any(all(e.item.__class__.__name__ != "Film" for e in lst.items) for lst in user.lists)
    assert dataset_named("heavy_tv").primary == "tv-fan"
    fake = FakeTrakt(dataset)
    with client(fake, fake.issue_token("tv-fan")) as c:
        history = c.get("/sync/history/episodes", params={"limit": 250})
        assert paged(history)[2:] == (80, 20_000)


def test_sample_has_lists_favorites_and_comments() -> None:
    fake = FakeTrakt(sample())
    with client(fake) as c:
        assert len(ok(c.get("/users/demo/lists"))) == 2
        assert len(ok(c.get("/users/demo/favorites"))) == 2
        comments = ok(c.get("/users/demo/comments/all/movies"))
        assert any(i["comment"]["spoiler"] for i in comments)


def test_a_comment_on_a_removed_item_has_null_media(fake: FakeTrakt, me: httpx.Client) -> None:
    fake.add_comment("edge-user", None, "the film is gone")
    newest = ok(me.get("/users/me/comments/all/movies"))[0]
    assert newest["type"] == "movie" and newest["movie"] is None
    assert newest["comment"]["user_rating"] is None


def test_new_routes_work_over_loopback(fake: FakeTrakt, token: Token) -> None:
    with fake.serve() as url, httpx.Client(base_url=url, headers=headers(token)) as c:
        assert len(ok(c.get("/users/me/lists/top/items"))) == 12
        assert len(ok(c.get("/sync/playback"))) == 2
