"""The fake's real-Trakt data and access behaviours: unknown-date plays, null media objects and
titles, the `reality` dataset, access refusals, OAuth realism and the export-ZIP layouts."""

from __future__ import annotations

import asyncio
import json
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from trakt_export import USER_AGENT
from trakt_fake import (
    UNKNOWN_DATE,
    FakeTrakt,
    Gone,
    Rating,
    Token,
    Watch,
    edge,
    reality,
)
from trakt_fake.__main__ import dataset_named
from trakt_fake.oauth import OOB_REDIRECT, oauth_state
from trakt_fake.shapes import typed_item
from trakt_fake.ziplayouts import KINDS, social_files, user_stats, write_trakt_zip

API = "https://api.trakt.tv"
EPOCH = "1970-01-01T00:00:00.000Z"
USER = "reality-user"
CONTRACTS = Path("/work/.mirror/trakt+trakt-api/repo")


class Clock:
    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def api_headers(token: Token | None = None, agent: str | None = USER_AGENT) -> dict[str, str]:
    base = {"trakt-api-key": "test-client", "trakt-api-version": "2"}
    if agent is not None:
        base["User-Agent"] = agent
    if token is not None:
        base["Authorization"] = f"Bearer {token.access_token}"
    return base


def call(
    fake: FakeTrakt,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
) -> httpx.Response:
    """One request through `fake.transport()` (an httpx AsyncClient, as the tool uses)."""

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=fake.transport(), base_url=API) as client:
            request = client.build_request(method, path, headers=headers, json=body, params=params)
            if headers is not None and "User-Agent" not in headers:
                del request.headers["User-Agent"]  # a request with no User-Agent at all
            return await client.send(request)

    return asyncio.run(go())


def get(fake: FakeTrakt, path: str, token: Token | None = None, **params: Any) -> Any:
    response = call(fake, "GET", path, api_headers(token), params=params or None)
    assert response.status_code == 200, (path, response.status_code, response.text)
    return response.json()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> FakeTrakt:
    return FakeTrakt(reality(), clock=clock)


@pytest.fixture
def token(fake: FakeTrakt) -> Token:
    return fake.issue_token(USER)


def contract(path: str) -> str:
    """A file of Trakt's API contract (skips when the mirror is not on this machine)."""
    if not CONTRACTS.exists():
        pytest.skip("Trakt's contract mirror is not available")
    done = subprocess.run(
        ["git", "-C", str(CONTRACTS), "show", f"HEAD:projects/api/src/contracts/{path}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"{path} is not in the contract mirror")
    return done.stdout


def by_trakt(items: list[dict[str, Any]], trakt: int) -> list[dict[str, Any]]:
    return [i for i in items if i.get("movie") and i["movie"]["ids"]["trakt"] == trakt]


# ----- unknown-date plays ------------------------------------------------------------------


def test_unknown_date_plays_are_served_at_the_epoch_and_sort_last(
    fake: FakeTrakt, token: Token
) -> None:
    history = get(fake, "/sync/history/movies", token, limit=250)
    only_unknown = by_trakt(history, 3001)
    assert [h["watched_at"] for h in only_unknown] == [EPOCH, EPOCH]
    assert only_unknown[0] == {
        "id": 40002,
        "watched_at": EPOCH,
        "action": "watch",
        "type": "movie",
        "movie": {
            "title": "Seen Long Ago",
            "year": 1984,
            "ids": {"trakt": 3001, "slug": "seen-long-ago-1984", "imdb": "tt0087332", "tmdb": 620},
        },
    }
    # Newest first: every epoch play comes after every dated one.
    stamps = [h["watched_at"] for h in history]
    assert stamps.index(EPOCH) == len(stamps) - 4 and set(stamps[-4:]) == {EPOCH}
    mixed = [h["watched_at"] for h in by_trakt(history, 3002)]
    assert mixed == [
        "2024-07-04T04:30:00.000Z",
        "2024-03-10T03:00:00.000Z",
        "2024-03-09T18:00:00.000Z",
        EPOCH,
    ]
    plays = [w for w in fake.dataset.users[USER].history if w.item == fake.dataset.films[3001]]
    assert all(w.unknown_date and w.watched_at == UNKNOWN_DATE for w in plays)


def test_watched_movies_last_watched_at_is_the_epoch_only_when_every_play_is_unknown(
    fake: FakeTrakt, token: Token
) -> None:
    watched = get(fake, "/sync/watched/movies", token)
    (only_unknown,) = by_trakt(watched, 3001)
    assert only_unknown["plays"] == 2
    assert only_unknown["last_watched_at"] == only_unknown["last_updated_at"] == EPOCH
    (mixed,) = by_trakt(watched, 3002)
    assert (mixed["plays"], mixed["last_watched_at"]) == (4, "2024-07-04T04:30:00.000Z")
    (rated,) = by_trakt(watched, 3003)
    assert (rated["plays"], rated["last_watched_at"]) == (1, EPOCH)
    assert by_trakt(get(fake, "/sync/ratings/movies", token), 3003)[0]["rating"] == 9
    # Ordered by last watch: the epoch-only films come last.
    assert [w["movie"]["ids"]["trakt"] for w in watched[-2:]] == [3003, 3001]


def test_unknown_date_plays_never_pull_last_activities_back_and_a_new_one_bumps_it(
    fake: FakeTrakt, token: Token, clock: Clock
) -> None:
    before = get(fake, "/sync/last_activities", token)
    assert before["movies"]["watched_at"] == "2024-07-04T04:30:00.000Z"
    assert EPOCH not in json.dumps(before)
    fake.add_history(USER, 3010, UNKNOWN_DATE)  # "watched, date unknown" logged now
    after = get(fake, "/sync/last_activities", token)
    now = datetime.fromtimestamp(clock.now, UTC)
    assert after["movies"]["watched_at"] == f"{now:%Y-%m-%dT%H:%M:%S}.000Z"
    history = get(fake, "/sync/history/movies", token, limit=250)
    unknown = [h for h in history if h["watched_at"] == EPOCH]
    # Among epoch plays, like any tie, the newer history id comes first.
    assert unknown[0]["movie"]["ids"]["trakt"] == 3010
    assert unknown[0]["id"] == max(h["id"] for h in history)


def test_stats_count_unknown_date_plays_like_any_other() -> None:
    user = reality().users[USER]
    stats = user_stats(user)
    film_plays = [w for w in user.history if not isinstance(w.item, Gone)]
    assert stats["movies"]["plays"] == len(film_plays) + 1  # plus the removed film's play
    assert stats["movies"]["watched"] == len({w.item.trakt for w in film_plays})
    assert stats["movies"]["ratings"] == stats["ratings"]["total"] == 6
    assert sum(stats["ratings"]["distribution"].values()) == 6


# ----- null media objects, null titles and years -------------------------------------------


def test_null_media_objects_are_served_as_null_with_their_type(
    fake: FakeTrakt, token: Token
) -> None:
    for path in ("/sync/history", "/sync/history/movies", f"/users/{USER}/history/movies"):
        removed = [h for h in get(fake, path, token, limit=250) if h["movie"] is None]
        assert removed == [
            {"id": 40006, "watched_at": "2024-02-01T20:00:00.000Z", "action": "scrobble"}
            | {"type": "movie", "movie": None}
        ], path
    ratings = get(fake, "/sync/ratings/movies", token)
    assert [r for r in ratings if r["movie"] is None] == [
        {"rated_at": "2024-08-01T12:03:00.000Z", "rating": 4, "type": "movie", "movie": None}
    ]
    watchlist = get(fake, "/sync/watchlist/movies", token)
    assert [w for w in watchlist if w["movie"] is None] == [
        {
            "rank": 2,
            "id": 502,
            "listed_at": "2024-05-02T08:00:00.000Z",
            "notes": None,
            "type": "movie",
            "movie": None,
        }
    ]
    # Watched movies aggregate plays of known films only.
    assert all(w["movie"] is not None for w in get(fake, "/sync/watched/movies", token))
    assert typed_item(Gone("episode")) == {"type": "episode", "episode": None, "show": None}
    assert typed_item(Gone("show")) == {"type": "show", "show": None}


def test_null_media_objects_keep_episode_and_show_endpoints_apart() -> None:
    ds = reality()
    user = ds.users[USER]
    user.history.append(Watch(49_999, datetime(2024, 9, 1, tzinfo=UTC), "watch", Gone("episode")))
    user.ratings.append(Rating(datetime(2024, 9, 2, tzinfo=UTC), 3, Gone("show")))
    fake = FakeTrakt(ds)
    token = fake.issue_token(USER)
    assert get(fake, "/sync/history/episodes", token) == [
        {"id": 49_999, "watched_at": "2024-09-01T00:00:00.000Z", "action": "watch"}
        | {"type": "episode", "episode": None, "show": None}
    ]
    assert all(h["type"] == "movie" for h in get(fake, "/sync/history/movies", token, limit=250))
    assert get(fake, "/sync/ratings/shows", token)[0]["show"] is None
    assert all(r["type"] == "movie" for r in get(fake, "/sync/ratings/movies", token))
    activities = get(fake, "/sync/last_activities", token)
    assert activities["episodes"]["watched_at"] == "2024-09-01T00:00:00.000Z"
    assert activities["shows"]["rated_at"] == "2024-09-02T00:00:00.000Z"


def test_films_without_title_ids_or_year(fake: FakeTrakt, token: Token) -> None:
    history = get(fake, "/sync/history/movies", token, limit=250)
    assert by_trakt(history, 3004)[0]["movie"] == {
        "title": None,
        "year": 2011,
        "ids": {"trakt": 3004, "slug": "3004-2011", "imdb": "tt1568346", "tmdb": 65754},
    }
    assert by_trakt(history, 3005)[0]["movie"] == {
        "title": None,
        "year": None,
        "ids": {"trakt": 3005, "slug": "3005", "imdb": None, "tmdb": None},
    }
    assert by_trakt(history, 3006)[0]["movie"]["year"] is None
    watchlist = get(fake, "/sync/watchlist/movies", token)
    assert by_trakt(watchlist, 3006)[0]["movie"]["title"] == "Announced Project"
    assert {w["movie"]["title"] for w in watchlist if w["movie"]} == {"Announced Project", None}
    assert get(fake, "/movies/3005") == by_trakt(history, 3005)[0]["movie"]


def test_the_contract_allows_null_media_objects_where_the_fake_serves_them() -> None:
    # Trakt's response schemas mark the media object `nullish()` in each of these shapes.
    for path in (
        "users/schema/response/activityHistoryResponseSchema.ts",  # history
        "users/schema/response/ratedItemResponseSchema.ts",  # ratings
        "_internal/response/listedMediaResponseSchema.ts",  # watchlist
    ):
        assert "movie: movieResponseSchema.nullish()" in contract(path), path
    assert "year: z.number().int().nullish()" in contract(
        "_internal/response/movieResponseSchema.ts"
    )
    history = contract("users/schema/response/activityHistoryResponseSchema.ts")
    assert "episode: episodeResponseSchema.nullish()" in history
    assert "show: showResponseSchema.nullish()" in history


# ----- the reality dataset -----------------------------------------------------------------


def test_reality_dataset_holds_every_case() -> None:
    ds = reality()
    assert ds.primary == USER
    user = ds.users[USER]
    assert user.timezone == "America/Los_Angeles"
    zone = ZoneInfo(user.timezone)
    plays: dict[int, list[Watch]] = {}
    for watch in user.history:
        plays.setdefault(getattr(watch.item, "trakt", 0), []).append(watch)
    assert all(w.unknown_date for w in plays[3001]) and len(plays[3001]) == 2
    mixed = plays[3002]
    assert sum(w.unknown_date for w in mixed) == 1 and len(mixed) == 4
    local_days = [w.watched_at.astimezone(zone).date().isoformat() for w in mixed]
    assert local_days.count("2024-03-09") == 2  # two dated plays on one local day...
    assert len({w.watched_at.date() for w in mixed if not w.unknown_date}) == 3  # ...two UTC days
    assert [w.unknown_date for w in plays[3003]] == [True]
    assert any(r.item == ds.films[3003] for r in user.ratings)
    assert any(isinstance(w.item, Gone) for w in user.history)
    assert any(isinstance(r.item, Gone) for r in user.ratings)
    assert any(isinstance(e.item, Gone) for e in user.watchlist)
    untitled = ds.films[3004]
    assert untitled.title is None and untitled.imdb and untitled.tmdb
    bare = ds.films[3005]
    assert (bare.title, bare.imdb, bare.tmdb, bare.year) == (None, None, None, None)
    assert ds.films[3006].year is None
    # Around local midnight: 23:59 on 31 May and 00:01 on 1 June in Los Angeles, both 1 June UTC.
    (late,), (early,) = plays[3007], plays[3008]
    assert late.watched_at.date() == early.watched_at.date()
    assert late.watched_at.astimezone(zone).strftime("%m-%d %H:%M") == "05-31 23:59"
    assert early.watched_at.astimezone(zone).strftime("%m-%d %H:%M") == "06-01 00:01"
    (owl,) = plays[3009]
    assert owl.watched_at.astimezone(ZoneInfo("Asia/Tokyo")).day == 16
    assert owl.watched_at.astimezone(zone).day == 15
    assert reality() is not ds and reality().users[USER].history == user.history  # fresh, equal


def test_reality_dataset_is_served_by_name(fake: FakeTrakt, token: Token) -> None:
    assert dataset_named("reality").primary == USER
    settings = get(fake, "/users/settings", token)
    assert settings["account"]["timezone"] == "America/Los_Angeles"


# ----- access refusals ---------------------------------------------------------------------


def test_cloudflare_refuses_missing_and_library_user_agents_when_required(
    fake: FakeTrakt, token: Token
) -> None:
    path = "/sync/history/movies"
    for agent in (None, "python-httpx/0.28.1", "python-requests/2.32.3"):
        # Off by default: any agent gets through.
        assert call(fake, "GET", path, api_headers(token, agent)).status_code == 200
    fake.access.require_user_agent = True
    for agent in (None, "", "python-httpx/0.28.1", "python-requests/2.32.3"):
        response = call(fake, "GET", path, api_headers(token, agent))
        assert response.status_code == 403, agent
        assert response.headers["content-type"].startswith("text/html")
        assert "error code: 1010" in response.text
        assert "x-pagination-page" not in response.headers
    assert call(fake, "GET", path, api_headers(token, USER_AGENT)).status_code == 200
    assert call(fake, "GET", path, api_headers(token, "Kodi/21 script.trakt")).status_code == 200
    refused = call(fake, "POST", "/oauth/device/code", {}, {"client_id": "test-client"})
    assert refused.status_code == 403  # Cloudflare fronts the OAuth host too


def test_cloudflare_refuses_a_capitalised_api_key_header_when_asked(
    fake: FakeTrakt, token: Token
) -> None:
    capitalised = {
        "Trakt-Api-Key": "test-client",
        "trakt-api-version": "2",
        "User-Agent": USER_AGENT,
    }
    assert call(fake, "GET", f"/users/{USER}/ratings", capitalised).status_code == 200
    fake.access.reject_capitalised_headers = True
    response = call(fake, "GET", f"/users/{USER}/ratings", capitalised)
    assert response.status_code == 403 and "error code: 1010" in response.text
    assert call(fake, "GET", f"/users/{USER}/ratings", api_headers()).status_code == 200


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (420, {"x-account-limit": "100", "x-upgrade-url": "https://trakt.tv/vip"}),
        (423, {"x-account-locked": "true", "x-account-deactivated": "false"}),
        (426, {"x-upgrade-url": "https://trakt.tv/vip", "x-vip-user": "false"}),
    ],
)
def test_status_for_answers_account_statuses_with_empty_bodies(
    fake: FakeTrakt, token: Token, status: int, expected: dict[str, str]
) -> None:
    fake.access.status_for("/sync/ratings", status, times=2)
    for _ in range(2):
        response = call(fake, "GET", "/sync/ratings/movies", api_headers(token))
        assert response.status_code == status
        assert response.content == b""
        assert expected.items() <= dict(response.headers).items()
    assert call(fake, "GET", "/sync/history", api_headers(token)).status_code == 200  # other path
    assert call(fake, "GET", "/sync/ratings/movies", api_headers(token)).status_code == 200  # spent
    fake.access.status_for("/sync/", 403)  # until cleared
    for _ in range(3):
        blocked = call(fake, "GET", "/sync/history", api_headers(token))
        assert blocked.status_code == 403 and "error code: 1010" in blocked.text
    fake.access.clear()
    assert call(fake, "GET", "/sync/history", api_headers(token)).status_code == 200


def test_a_locked_account_answers_423_to_its_own_and_public_calls(
    fake: FakeTrakt, token: Token
) -> None:
    fake.dataset.users[USER].locked = True
    for path, bearer in (
        ("/sync/history", token),
        ("/users/me/ratings", token),
        ("/users/settings", token),
        (f"/users/{USER}/watchlist", None),
    ):
        response = call(fake, "GET", path, api_headers(bearer))
        assert response.status_code == 423, path
        assert response.headers["x-account-locked"] == "true"


def test_vip_only_endpoints_answer_426_to_free_accounts(fake: FakeTrakt, token: Token) -> None:
    path = f"/users/{USER}/notes"
    assert call(fake, "GET", path, api_headers(token)).status_code == 426  # the route's own rule
    ratings = f"/users/{USER}/ratings/movies"
    assert call(fake, "GET", ratings, api_headers(token)).status_code == 200
    fake.access.vip_only.add("ratings")  # the knob makes any segment VIP-only
    response = call(fake, "GET", ratings, api_headers(token))
    assert (response.status_code, response.content) == (426, b"")
    assert response.headers["x-vip-user"] == "false"
    assert call(fake, "GET", "/sync/ratings/movies", api_headers(token)).status_code == 426
    assert call(fake, "GET", "/sync/history", api_headers(token)).status_code == 200
    fake.dataset.users[USER].vip = True
    assert call(fake, "GET", path, api_headers(token)).status_code == 200
    assert call(fake, "GET", ratings, api_headers(token)).status_code == 200


def test_refusals_come_before_faults_and_leave_them_pending(fake: FakeTrakt, token: Token) -> None:
    fake.faults.fail_next(1, 503)
    fake.access.status_for("/sync/", 420, times=1)
    assert call(fake, "GET", "/sync/history", api_headers(token)).status_code == 420
    assert call(fake, "GET", "/sync/history", api_headers(token)).status_code == 503
    assert call(fake, "GET", "/sync/history", api_headers(token)).status_code == 200
    assert fake.stats.by_status[420] == 1


def test_a_deleted_or_blocked_app_gets_bare_403_and_invalid_client(
    fake: FakeTrakt, token: Token
) -> None:
    state = oauth_state(fake)
    for status in ("deleted", "blocked"):
        state.app_status = status
        response = call(fake, "GET", "/sync/history", api_headers(token))
        assert (response.status_code, response.content) == (403, b"")
        for path, body in (
            ("/oauth/device/code", {"client_id": "test-client"}),
            ("/oauth/device/token", oauth_body(code="x")),
            ("/oauth/token", refresh_body(token)),
        ):
            answer = call(fake, "POST", path, {}, body)
            assert answer.status_code == 401, (status, path)
            assert answer.json()["error"] == "invalid_client"
    state.app_status = "active"
    assert call(fake, "GET", "/sync/history", api_headers(token)).status_code == 200
    assert call(fake, "POST", "/oauth/token", {}, refresh_body(token)).status_code == 200


# ----- OAuth --------------------------------------------------------------------------------


def oauth_body(**fields: str) -> dict[str, str]:
    return {"client_id": "test-client", "client_secret": "test-secret", **fields}


def refresh_body(token: Token, redirect_uri: str | None = OOB_REDIRECT) -> dict[str, str]:
    body = oauth_body(refresh_token=token.refresh_token, grant_type="refresh_token")
    if redirect_uri is not None:
        body["redirect_uri"] = redirect_uri
    return body


def test_refresh_checks_the_apps_redirect_uri(fake: FakeTrakt, token: Token) -> None:
    for wrong in ("http://localhost/callback", None):
        response = call(fake, "POST", "/oauth/token", {}, refresh_body(token, wrong))
        assert response.status_code == 401
        assert response.json() == {
            "error": "invalid_grant",
            "error_description": "The provided authorization grant is invalid, expired, "
            "revoked, does not match the redirection URI used in the authorization request, "
            "or was issued to another client.",
        }
    # A refused refresh spends nothing: the pair still works.
    assert call(fake, "GET", "/sync/history", api_headers(token)).status_code == 200
    fresh = call(fake, "POST", "/oauth/token", {}, refresh_body(token))
    assert fresh.status_code == 200
    assert set(fresh.json()) == {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "scope",
        "created_at",
    }
    oauth_state(fake).redirect_uri = "https://example.org/trakt/callback"
    renewed = Token(**vars_of(fresh.json(), USER))
    assert call(fake, "POST", "/oauth/token", {}, refresh_body(renewed)).status_code == 401
    custom = refresh_body(renewed, "https://example.org/trakt/callback")
    assert call(fake, "POST", "/oauth/token", {}, custom).status_code == 200


def vars_of(body: dict[str, Any], username: str) -> dict[str, Any]:
    return {
        "access_token": body["access_token"],
        "refresh_token": body["refresh_token"],
        "username": username,
        "created_at": body["created_at"],
        "expires_in": body["expires_in"],
    }


def test_refresh_tokens_are_single_use_and_rotate(fake: FakeTrakt, token: Token) -> None:
    first = call(fake, "POST", "/oauth/token", {}, refresh_body(token)).json()
    assert first["refresh_token"] != token.refresh_token
    assert first["access_token"] != token.access_token
    assert call(fake, "GET", "/sync/history", api_headers(token)).status_code == 401  # old pair
    reused = call(fake, "POST", "/oauth/token", {}, refresh_body(token))
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    second = Token(**vars_of(first, USER))
    assert call(fake, "GET", "/sync/history", api_headers(second)).status_code == 200
    assert call(fake, "POST", "/oauth/token", {}, refresh_body(second)).status_code == 200
    assert call(fake, "POST", "/oauth/token", {}, refresh_body(second)).status_code == 400


def test_device_pending_is_a_bare_400(fake: FakeTrakt) -> None:
    code = call(fake, "POST", "/oauth/device/code", {}, {"client_id": "test-client"}).json()
    pending = call(fake, "POST", "/oauth/device/token", {}, oauth_body(code=code["device_code"]))
    assert (pending.status_code, pending.content) == (400, b"")
    assert "application/json" not in pending.headers.get("content-type", "")


def test_the_contract_matches_the_fakes_oauth_answers() -> None:
    index = contract("oauth/index.ts")
    assert "400: z.undefined()" in index  # device-token pending has no body
    assert "Refresh tokens are single-use" in index
    assert "redirect_uri: z.string(" in contract("oauth/schema/request/tokenBaseSchema.ts")
    error = contract("oauth/schema/response/tokenErrorResponseSchema.ts")
    assert "error: z.string(" in error and "error_description: z.string(" in error


# ----- export ZIP layouts -------------------------------------------------------------------


def members(path: Path) -> dict[str, Any]:
    """Member name -> parsed JSON (None for non-JSON junk such as __MACOSX forks)."""
    with zipfile.ZipFile(path) as archive:
        out: dict[str, Any] = {}
        for name in archive.namelist():
            raw = archive.read(name)
            out[name] = None if name.startswith("__MACOSX/") else json.loads(raw)
        return out


def test_paged_layout_numbers_every_kind(tmp_path: Path) -> None:
    fake = FakeTrakt(edge())
    archive = write_trakt_zip(fake, tmp_path / "paged.zip", "edge-user", "paged", page_size=2)
    files = members(archive)
    ratings = fake.user_json("edge-user", "ratings/movies")
    assert len(ratings) == 25
    pages = [f"ratings-movies-{n}.json" for n in range(1, 14)]
    assert all(page in files for page in pages) and "ratings-movies-14.json" not in files
    assert "ratings-movies-10.json" in files
    assert [item for page in pages for item in files[page]] == ratings
    for stem, endpoint in KINDS.items():
        numbered = sorted(
            (n for n in files if n.startswith(f"{stem}-") and n[len(stem) + 1 : -5].isdigit()),
            key=lambda n: int(n[len(stem) + 1 : -5]),
        )
        assert numbered and numbered[0] == f"{stem}-1.json", stem
        merged = [item for name in numbered for item in files[name]]
        whole = endpoint == "watched/shows"  # the ZIP holds every season (and specials)
        assert merged == fake.user_json("edge-user", endpoint, progress=whole, specials=whole), stem
        assert all(len(files[name]) <= 2 for name in numbered)
    assert "watched-movies-1.json" in files and "lists-watchlist-3.json" in files
    assert files["user-settings.json"]["account"]["timezone"] == "Europe/Berlin"
    assert files["user-profile.json"]["username"] == "edge-user"
    assert "joined_at" in files["user-profile.json"]
    stats = files["user-stats.json"]
    assert set(stats) == {"movies", "shows", "seasons", "episodes", "network", "ratings"}
    assert stats["movies"]["plays"] == len(fake.user_json("edge-user", "history/movies"))


def test_flat_layout_has_one_file_per_kind(tmp_path: Path) -> None:
    fake = FakeTrakt(reality())
    files = members(write_trakt_zip(fake, tmp_path / "flat.zip", USER, "flat"))
    assert set(files) == {f"{stem}.json" for stem in KINDS} | {
        "user-settings.json",
        "user-profile.json",
        "user-stats.json",
    }
    for stem, endpoint in KINDS.items():
        assert files[f"{stem}.json"] == fake.user_json(USER, endpoint), stem
    history = files["watched-history.json"]
    assert history[-1]["watched_at"] == EPOCH
    assert [h["id"] for h in history if h["movie"] is None] == [40006]
    assert files["user-stats.json"]["movies"]["plays"] == len(history)


def test_category_folder_layouts(tmp_path: Path) -> None:
    fake = FakeTrakt(reality())
    folders = members(write_trakt_zip(fake, tmp_path / "f.zip", USER, "folders"))
    assert {
        "watched/watched-history.json",
        "watched/watched-movies.json",
        "watched/watched-shows.json",
        "ratings/ratings-movies.json",
        "ratings/ratings-episodes.json",
        "collection/collection-movies.json",
        "lists/watchlist.json",
        "user-settings.json",
    } <= set(folders)
    assert folders["lists/watchlist.json"] == fake.user_json(USER, "watchlist")
    assert folders["ratings/ratings-movies.json"] == fake.user_json(USER, "ratings/movies")
    old = members(write_trakt_zip(fake, tmp_path / "old.zip", USER, "user-folders"))
    assert set(old) == {f"{USER}/{name}" for name in folders}
    assert old[f"{USER}/watched/watched-movies.json"] == fake.user_json(USER, "watched/movies")
    assert old[f"{USER}/lists/watchlist.json"] == folders["lists/watchlist.json"]


def test_errors_file_names_the_endpoints_left_out(tmp_path: Path) -> None:
    archive = write_trakt_zip(
        reality(), tmp_path / "e.zip", USER, "paged", errors=["ratings-movies", "lists-watchlist"]
    )
    files = members(archive)
    assert not any(n.startswith(("ratings-movies", "lists-watchlist")) for n in files)
    assert "watched-history-1.json" in files
    assert files["_errors.json"] == [
        {
            "file": "ratings-movies",
            "endpoint": f"/users/{USER}/ratings/movies",
            "status": 500,
            "error": "Internal Server Error",
        },
        {
            "file": "lists-watchlist",
            "endpoint": f"/users/{USER}/watchlist",
            "status": 500,
            "error": "Internal Server Error",
        },
    ]
    with pytest.raises(ValueError, match="unknown kinds"):
        write_trakt_zip(reality(), tmp_path / "x.zip", USER, errors=["ratings-films"])


def test_macosx_junk_upper_case_and_optional_user_files(tmp_path: Path) -> None:
    archive = write_trakt_zip(
        reality(),
        tmp_path / "mac.zip",
        USER,
        "folders",
        macosx=True,
        upper=True,
        user_profile=False,
        user_stats_file=False,
    )
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
        fork = z.read("__MACOSX/WATCHED/._WATCHED-HISTORY.JSON")
    assert "WATCHED/WATCHED-HISTORY.JSON" in names and "LISTS/WATCHLIST.JSON" in names
    assert "USER-SETTINGS.JSON" in names and "USER-PROFILE.JSON" not in names
    assert "USER-STATS.JSON" not in names
    real = [n for n in names if not n.startswith("__MACOSX/")]
    forks = {n for n in names if n.startswith("__MACOSX/")}
    expected = set()
    for name in real:
        head, _, base = name.rpartition("/")
        expected.add(f"__MACOSX/{head}/._{base}" if head else f"__MACOSX/._{base}")
    assert forks == expected
    assert fork.startswith(b"\x00\x05\x16\x07")  # AppleDouble, not JSON


def test_two_accounts_in_one_zip(tmp_path: Path) -> None:
    fake = FakeTrakt(edge())
    files = members(
        write_trakt_zip(fake, tmp_path / "two.zip", ["edge-user", "private-user"], "flat")
    )
    for username in ("edge-user", "private-user"):
        assert files[f"{username}/user-settings.json"]["user"]["username"] == username
        assert files[f"{username}/watched-history.json"] == fake.user_json(username, "history")
    old = members(
        write_trakt_zip(fake, tmp_path / "old.zip", ["edge-user", "private-user"], "user-folders")
    )
    assert {n.split("/")[0] for n in old} == {"edge-user", "private-user"}


def test_extra_kinds_are_laid_out_like_the_others_and_the_social_hook_is_empty(
    tmp_path: Path,
) -> None:
    fake = FakeTrakt(reality())
    assert social_files(fake, USER) == {}
    lists: list[Any] = [{"name": "Best of 2023", "ids": {"trakt": 7, "slug": "best-of-2023"}}]
    extra: dict[str, list[Any]] = {"lists-lists": lists, "lists-list-7-best-of-2023": [{"rank": 1}]}
    paged = members(write_trakt_zip(fake, tmp_path / "p.zip", USER, "paged", extra=extra))
    assert paged["lists-lists-1.json"] == lists
    assert paged["lists-list-7-best-of-2023-1.json"] == [{"rank": 1}]
    flat = members(write_trakt_zip(fake, tmp_path / "f.zip", USER, "flat", extra=extra))
    assert flat["lists-list-7-best-of-2023.json"] == [{"rank": 1}]
    folders = members(write_trakt_zip(fake, tmp_path / "d.zip", USER, "folders", extra=extra))
    assert folders["lists/lists.json"] == lists
    assert folders["lists/list-7-best-of-2023.json"] == [{"rank": 1}]


def test_zips_are_deterministic_and_validate_their_arguments(tmp_path: Path) -> None:
    first = write_trakt_zip(reality(), tmp_path / "a.zip", USER, macosx=True).read_bytes()
    second = write_trakt_zip(reality(), tmp_path / "b.zip", USER, macosx=True).read_bytes()
    assert first == second
    with pytest.raises(ValueError, match="layout"):
        write_trakt_zip(reality(), tmp_path / "c.zip", USER, "nested")
    with pytest.raises(ValueError, match="page_size"):
        write_trakt_zip(reality(), tmp_path / "c.zip", USER, page_size=0)
    with pytest.raises(KeyError):
        write_trakt_zip(reality(), tmp_path / "c.zip", "nobody")
