"""The fake's write side, request by request: validation, 201 bodies (checked against Trakt's
contract where the mirror is available), the write limit, 420 limits, no de-duplication,
not_found echoes and moving activity stamps."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from tests.test_fake_data import contract
from trakt_fake import FakeTrakt, UserData, sample

CLIENT = "test-client"
START = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> FakeTrakt:
    dataset = sample()
    dataset.users["fresh"] = UserData(username="fresh")
    return FakeTrakt(dataset, client_id=CLIENT, clock=clock)


def post(
    fake: FakeTrakt,
    path: str,
    body: Any,
    *,
    user: str = "fresh",
    raw: bytes | None = None,
    typed: bool | None = None,
) -> httpx.Response:
    token = fake.issue_token(user).access_token
    headers = {
        "trakt-api-key": CLIENT,
        "trakt-api-version": "2",
        "Authorization": f"Bearer {token}",
    }
    if typed if typed is not None else raw is None:
        headers["Content-Type"] = "application/json"
    content = raw if raw is not None else json.dumps(body).encode()
    request = httpx.Request("POST", f"https://api.trakt.tv{path}", headers=headers, content=content)
    return fake.handle(request)


def get(fake: FakeTrakt, path: str, user: str = "fresh") -> Any:
    token = fake.issue_token(user).access_token
    headers = {
        "trakt-api-key": CLIENT,
        "trakt-api-version": "2",
        "Authorization": f"Bearer {token}",
    }
    return fake.handle(httpx.Request("GET", f"https://api.trakt.tv{path}", headers=headers)).json()


def movie(trakt: int, **extra: Any) -> dict[str, Any]:
    return {"ids": {"trakt": trakt}, **extra}


def top_keys(schema: str, name: str) -> set[str]:
    """The top-level keys of a `z.object({...})` named `name` in a contract file."""
    body = schema[schema.index(f"export const {name}") :]
    depth, keys, token = 0, set(), ""
    for char in body[body.index("z.object(") + len("z.object(") :]:
        if char in "({[":
            depth += 1
        elif char in ")}]":
            depth -= 1
            if depth < 0:
                break
        elif depth == 1 and char == ":":
            keys.add(token.strip().split()[-1].strip(","))
            token = ""
            continue
        elif depth == 1 and char == ",":
            token = ""
            continue
        if depth == 1 and char not in "({[":
            token += char
    return {re.sub(r"\W", "", k) for k in keys}


def test_history_is_never_de_duplicated_and_moves_the_stamp(fake: FakeTrakt, clock: Clock) -> None:
    before = get(fake, "/sync/last_activities")["movies"]["watched_at"]
    play = movie(100, watched_at="2020-01-02T03:04:00.000Z")
    first = post(fake, "/sync/history", {"movies": [play, play]})
    assert first.status_code == 201
    assert first.json()["added"] == {"movies": 2, "episodes": 0}
    clock.now += 1
    assert post(fake, "/sync/history", {"movies": [play]}).json()["added"]["movies"] == 1
    assert len(get(fake, "/sync/history/movies")) == 3
    assert get(fake, "/sync/last_activities")["movies"]["watched_at"] > before
    unknown = movie(101, watched_at="unknown")
    clock.now += 1
    post(fake, "/sync/history", {"movies": [unknown]})
    assert "1970-01-01T00:00:00.000Z" in [h["watched_at"] for h in get(fake, "/sync/history")]


def test_unknown_ids_are_echoed_in_not_found(fake: FakeTrakt) -> None:
    answer = post(fake, "/sync/ratings", {"movies": [movie(999_999, rating=7)]}).json()
    assert answer["added"]["movies"] == 0
    assert answer["not_found"]["movies"] == [movie(999_999, rating=7)]


def test_write_limit_is_one_per_second_per_user(fake: FakeTrakt, clock: Clock) -> None:
    assert post(fake, "/sync/watchlist", {"movies": [movie(100)]}).status_code == 201
    clock.now += 0.5
    fast = post(fake, "/sync/watchlist", {"movies": [movie(101)]})
    assert fast.status_code == 429 and fast.headers["Retry-After"] == "1"
    assert post(fake, "/sync/watchlist", {"movies": [movie(101)]}, user="demo").status_code == 201
    clock.now += 0.5
    again = post(fake, "/sync/watchlist", {"movies": [movie(100), movie(101)]}).json()
    assert again["added"]["movies"] == 1 and again["existing"]["movies"] == 1
    assert again["list"]["item_count"] == 2


def test_validation_412_400_422(fake: FakeTrakt, clock: Clock) -> None:
    assert post(fake, "/sync/history", None, raw=b'{"movies": []}').status_code == 412
    clock.now += 1
    assert post(fake, "/sync/history", None, raw=b"[1]", typed=True).status_code == 400
    clock.now += 1
    assert post(fake, "/sync/ratings", {"movies": [movie(100, rating=11)]}).status_code == 422
    clock.now += 1
    assert post(fake, "/users/me/lists", {"privacy": "public"}).status_code == 422
    clock.now += 1
    assert post(fake, "/users/me/lists", {"name": "x", "privacy": "secret"}).status_code == 422
    clock.now += 1
    assert post(fake, "/users/me/lists", {"name": "x", "description": None}).status_code == 422
    clock.now += 1
    assert post(fake, "/users/demo/lists", {"name": "not mine"}).status_code == 404


def test_free_account_limits_answer_420_with_headers_and_apply_nothing(
    fake: FakeTrakt, clock: Clock
) -> None:
    fake.writes.limits["watchlist"] = 1
    over = post(fake, "/sync/watchlist", {"movies": [movie(100), movie(101)]})
    assert over.status_code == 420
    assert over.headers["X-Account-Limit"] == "1" and over.headers["X-VIP-User"] == "false"
    assert over.headers["X-Upgrade-URL"].startswith("https://")
    assert get(fake, "/sync/watchlist") == []
    fake.writes.upgrade("fresh")
    clock.now += 1
    assert post(fake, "/sync/watchlist", {"movies": [movie(100), movie(101)]}).status_code == 201


def test_lists_are_created_with_settings_and_filled_with_notes(
    fake: FakeTrakt, clock: Clock
) -> None:
    settings = {"name": "Best", "description": "d", "privacy": "friends", "sort_by": "added"}
    created = post(fake, "/users/me/lists", settings)
    assert created.status_code == 201
    body = created.json()
    assert {k: body[k] for k in settings} == settings and isinstance(body["ids"]["trakt"], int)
    clock.now += 1
    path = f"/users/me/lists/{body['ids']['trakt']}/items"
    filled = post(fake, path, {"movies": [movie(100, notes="why")]}).json()
    assert filled["added"]["movies"] == 1 and filled["list"]["item_count"] == 1
    items = get(fake, f"/users/me/lists/{body['ids']['trakt']}/items")
    assert items[0]["notes"] == "why"


def test_cut_after_applies_then_times_out(fake: FakeTrakt) -> None:
    fake.writes.cut_after(1, "timeout", "/sync/history")
    with pytest.raises(httpx.ReadTimeout):
        post(fake, "/sync/history", {"movies": [movie(100, watched_at="2020-01-01T00:00:00Z")]})
    assert len(get(fake, "/sync/history")) == 1


def test_201_bodies_have_the_contract_keys(fake: FakeTrakt, clock: Clock) -> None:
    cases = [
        ("/sync/history", "sync/schema/response/historyResponseSchema.ts", "historyResponse"),
        ("/sync/ratings", "sync/schema/response/ratingsResponseSchema.ts", "ratingsSync"),
        ("/sync/watchlist", "_internal/response/listAddResponseSchema.ts", "listAddResponse"),
        ("/sync/favorites", "_internal/response/listAddResponseSchema.ts", "listAddResponse"),
        (
            "/users/hidden/calendar",
            "users/schema/response/hiddenAddResponseSchema.ts",
            "hiddenAddResponse",
        ),
    ]
    for path, file, name in cases:
        clock.now += 1
        answer = post(fake, path, {"movies": [movie(100, rating=5)]})
        assert answer.status_code == 201, path
        assert set(answer.json()) == top_keys(contract(file), name), path
