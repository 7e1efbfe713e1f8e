"""The fake's real-Trakt fetching behaviours: each knob of `Faults` as a client sees it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from trakt_fake import FakeTrakt, Token, edge
from trakt_fake.__main__ import _parser, configure
from trakt_fake.mutations import delete_play, new_plays, rewatch
from trakt_fake.records import Collected, utc

API = "https://api.trakt.tv"
HISTORY = "/sync/history/movies"
T0 = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC).timestamp()


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def headers(token: Token | None = None, client_id: str = "test-client") -> dict[str, str]:
    base = {"trakt-api-key": client_id, "trakt-api-version": "2"}
    if token is not None:
        base["Authorization"] = f"Bearer {token.access_token}"
    return base


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> FakeTrakt:
    return FakeTrakt(edge(), clock=clock)


@pytest.fixture
def token(fake: FakeTrakt) -> Token:
    return fake.issue_token("edge-user", 10**8)


@pytest.fixture
def api(fake: FakeTrakt, token: Token) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=httpx.MockTransport(fake.handle), base_url=API, headers=headers(token)
    ) as c:
        yield c


def page(c: httpx.Client, n: int, limit: int = 10, path: str = HISTORY) -> httpx.Response:
    response = c.get(path, params={"page": n, "limit": limit})
    assert response.status_code == 200, response.text
    return response


def ids(response: httpx.Response) -> list[int]:
    return [item["id"] for item in response.json()]


def all_ids(fake: FakeTrakt, endpoint: str = "history/movies") -> list[int]:
    return [item["id"] for item in fake.user_json("edge-user", endpoint)]


def movies(fake: FakeTrakt) -> dict[str, Any]:
    stamps: dict[str, Any] = fake.user_json("edge-user", "last_activities")["movies"]
    return stamps


# ----- 1. permanent over-count -------------------------------------------------------------------


def test_overcount_hides_items_forever_with_a_short_middle_page(
    fake: FakeTrakt, api: httpx.Client, clock: Clock
) -> None:
    full = all_ids(fake)
    assert len(full) == 29
    fake.faults.overcount(HISTORY, hidden=3, at=12)
    pages = [page(api, n) for n in (1, 2, 3)]
    for response in pages:
        assert response.headers["X-Pagination-Item-Count"] == "29"
        assert response.headers["X-Pagination-Page-Count"] == "3"
    assert [len(r.json()) for r in pages] == [10, 7, 9]  # short page 2, later pages exist
    served = [i for r in pages for i in ids(r)]
    assert served == [i for i in full if i not in full[12:15]]
    # Forever, and by identity: after a new play shifts everything, the same plays stay hidden.
    clock.now += 3600
    new_plays(fake, "edge-user", [6])()
    again = [i for n in (1, 2, 3) for i in ids(page(api, n))]
    assert page(api, 1).headers["X-Pagination-Item-Count"] == "30"
    assert set(full[12:15]).isdisjoint(again) and len(again) == 27
    # Other paths are untouched.
    assert len(page(api, 1, 250, "/sync/history").json()) == len(all_ids(fake, "history"))


def test_overcount_defaults_to_the_middle(fake: FakeTrakt, api: httpx.Client) -> None:
    full = all_ids(fake)
    fake.faults.overcount(HISTORY)
    served = ids(page(api, 1, 250))
    assert served == full[:14] + full[15:]


# ----- 2. mutations between page requests --------------------------------------------------------


def test_new_plays_after_page_one_shift_items_across_the_boundary(
    fake: FakeTrakt, api: httpx.Client, clock: Clock
) -> None:
    before = movies(fake)["watched_at"]
    full = all_ids(fake)
    clock.now += 61.5  # seconds matter in last_activities
    fake.faults.mutate_after(1, new_plays(fake, "edge-user", [6, 7]), path_prefix=HISTORY)
    first = page(api, 1)
    assert ids(first) == full[:10]
    second = page(api, 2)
    assert second.headers["X-Pagination-Item-Count"] == "31"
    assert ids(second)[:2] == full[8:10]  # page 1's last two come again
    top = fake.user_json("edge-user", "history/movies")[:2]
    assert [t["movie"]["ids"]["trakt"] for t in top] == [7, 6]  # newest first
    assert top[0]["id"] > top[1]["id"] > max(full)
    stamp = movies(fake)["watched_at"]
    assert stamp != before
    assert stamp == datetime.fromtimestamp(clock.now, UTC).strftime("%Y-%m-%dT%H:%M:%S.500Z")
    # It ran once.
    page(api, 3)
    assert len(all_ids(fake)) == 31


def test_mutate_after_counts_only_matching_requests(fake: FakeTrakt, api: httpx.Client) -> None:
    calls: list[int] = []
    fake.faults.mutate_after(2, lambda: calls.append(1), path_prefix="/sync/watched")
    api.get("/sync/last_activities")
    page(api, 1, path="/sync/watched/movies")
    assert calls == []
    page(api, 1)
    assert calls == []
    page(api, 2, path="/sync/watched/movies")
    assert calls == [1]
    page(api, 3, path="/sync/watched/movies")
    assert calls == [1]
    with pytest.raises(ValueError):
        fake.faults.mutate_after(0, lambda: None)


def test_rewatch_moves_a_film_to_the_top_of_watched_movies(
    fake: FakeTrakt, api: httpx.Client, clock: Clock
) -> None:
    watched = fake.user_json("edge-user", "watched/movies")
    last = watched[-1]
    fake.faults.mutate_after(1, rewatch(fake, "edge-user", last["movie"]["ids"]["trakt"]))
    first = page(api, 1, path="/sync/watched/movies")
    assert first.json()[0] == watched[0]
    top = page(api, 1, path="/sync/watched/movies").json()[0]
    assert top["movie"] == last["movie"]
    assert top["plays"] == last["plays"] + 1
    assert top["last_watched_at"] > watched[0]["last_watched_at"]
    assert len(fake.user_json("edge-user", "watched/movies")) == len(watched)
    with pytest.raises(KeyError):
        rewatch(fake, "edge-user", 999_999)()


def test_delete_play_removes_an_item_and_bumps_watched_at(
    fake: FakeTrakt, api: httpx.Client, clock: Clock
) -> None:
    full = all_ids(fake)
    before = movies(fake)
    clock.now += 7
    fake.faults.mutate_after(1, delete_play(fake, "edge-user", full[3]))
    page(api, 1)
    after = page(api, 1)
    assert after.headers["X-Pagination-Item-Count"] == "28"
    assert ids(after) == full[:3] + full[4:11]
    stamps = movies(fake)
    assert stamps["watched_at"] == datetime.fromtimestamp(clock.now, UTC).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z"
    )
    assert {k: v for k, v in stamps.items() if k != "watched_at"} == {
        k: v for k, v in before.items() if k != "watched_at"
    }
    delete_play(fake, "edge-user")()  # default: the newest play
    assert all_ids(fake) == full[1:3] + full[4:]


# ----- 3. duplicates across pages ----------------------------------------------------------------


def test_duplicate_item_on_two_adjacent_pages(fake: FakeTrakt, api: httpx.Client) -> None:
    full = all_ids(fake)
    fake.faults.duplicate_across_pages(HISTORY, page=1)
    one, two, three = (page(api, n) for n in (1, 2, 3))
    assert ids(one)[-1] == ids(two)[0] == full[9]
    assert len(two.json()) == 10
    served = ids(one) + ids(two) + ids(three)
    assert len(served) == 29 and len(set(served)) == 28
    assert set(full) - set(served) == {full[19]}  # and one item is served nowhere
    assert two.headers["X-Pagination-Item-Count"] == "29"


def test_duplicate_keep_all_serves_one_more_item(fake: FakeTrakt, api: httpx.Client) -> None:
    full = all_ids(fake)
    fake.faults.duplicate_across_pages(HISTORY, page=2, keep_all=True)
    one, two, three = (page(api, n) for n in (1, 2, 3))
    assert ids(two)[-1] == ids(three)[0]
    assert len(three.json()) == 10
    assert sorted(set(ids(one) + ids(two) + ids(three))) == sorted(full)


# ----- 4. account-wide sliding budget ------------------------------------------------------------


def test_account_budget_blocks_every_token_of_the_account_with_cloudflare_html(
    fake: FakeTrakt, api: httpx.Client, clock: Clock
) -> None:
    fake.faults.account_budget(limit=5, period=300)
    other_token = fake.issue_token("edge-user", 10**8)  # a second app/token, same account
    private = fake.issue_token("private-user", 10**8)
    transport = httpx.MockTransport(fake.handle)
    for _ in range(5):
        assert api.get("/sync/last_activities").status_code == 200
    refused = api.get("/sync/last_activities")
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("text/html")
    assert refused.headers["Retry-After"] == "300"
    assert "x-ratelimit" not in refused.headers
    assert refused.text.startswith("<!DOCTYPE html>") and "1015" in refused.text
    with httpx.Client(transport=transport, base_url=API, headers=headers(other_token)) as c:
        assert c.get("/sync/history").status_code == 429
        clock.now += 120
        blocked = c.post("/sync/history", json={})  # every call, not only GETs
        assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "180"
    with httpx.Client(transport=transport, base_url=API, headers=headers(private)) as c:
        assert c.get("/sync/last_activities").status_code == 200  # another account
    clock.now += 179
    assert api.get("/sync/last_activities").headers["Retry-After"] == "1"
    clock.now += 1
    assert api.get("/sync/last_activities").status_code == 200
    assert fake.stats.budget_refused == 4
    assert fake.stats.served_429 == 4


def test_account_budget_is_a_sliding_window(
    fake: FakeTrakt, api: httpx.Client, clock: Clock
) -> None:
    fake.faults.account_budget(limit=5, period=300, retry_after=45)
    for _ in range(3):
        assert api.get("/sync/last_activities").status_code == 200
    clock.now += 100
    for _ in range(2):
        assert api.get("/sync/last_activities").status_code == 200
    clock.now += 201  # the first three left the window, the last two did not
    for _ in range(3):
        assert api.get("/sync/last_activities").status_code == 200
    refused = api.get("/sync/last_activities")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "45"
    clock.now += 100  # t0+401: the block is over and the sends of t0+100 have left
    got = [api.get("/sync/last_activities").status_code for _ in range(3)]
    assert got == [200, 200, 429]


def test_account_budget_for_public_requests_is_per_api_key(fake: FakeTrakt, clock: Clock) -> None:
    fake.faults.account_budget(limit=2, period=300)
    with httpx.Client(
        transport=httpx.MockTransport(fake.handle), base_url=API, headers=headers()
    ) as c:
        assert [c.get("/users/edge-user/history").status_code for _ in range(3)] == [
            200,
            200,
            429,
        ]
        assert c.get("/users/edge-user").status_code == 429
    assert fake.stats.faults["budget"] == 2


def test_token_bucket_rate_limit_still_works_next_to_the_budget(
    fake: FakeTrakt, api: httpx.Client
) -> None:
    fake.faults.account_budget(limit=500)
    fake.faults.rate_limit(limit=2, period=300)
    statuses = [api.get("/sync/last_activities") for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert "x-ratelimit" in statuses[2].headers  # Trakt's own 429, JSON
    assert statuses[2].headers["content-type"].startswith("application/json")
    assert fake.stats.budget_refused == 0


# ----- 5. 200 HTML challenge ---------------------------------------------------------------------


def test_html_challenge_next_n_is_a_200_html_page(fake: FakeTrakt, api: httpx.Client) -> None:
    fake.faults.html_challenge(n=2)
    for _ in range(2):
        response = api.get(HISTORY)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert "Just a moment..." in response.text
        assert "x-pagination-page-count" not in response.headers
        with pytest.raises(json.JSONDecodeError):
            response.json()
    assert isinstance(api.get(HISTORY).json(), list)
    assert fake.stats.faults["challenge"] == 2


def test_html_challenge_with_a_lying_content_type(fake: FakeTrakt, api: httpx.Client) -> None:
    fake.faults.html_challenge(n=1, lying=True)
    response = api.get(HISTORY)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.text.startswith("<!DOCTYPE html>")


def test_html_challenge_rate_is_seeded(fake: FakeTrakt, api: httpx.Client) -> None:
    def run(seed: int) -> list[bool]:
        fake.faults.html_challenge(rate=0.3, seed=seed)
        return [api.get(HISTORY).text.startswith("<") for _ in range(40)]

    first = run(4)
    assert first == run(4)
    assert 0 < sum(first) < 40
    assert first != run(5)


# ----- 6. stripped pagination headers ------------------------------------------------------------


def test_strip_pagination_removes_every_pagination_header(
    fake: FakeTrakt, api: httpx.Client
) -> None:
    plain = page(api, 1)
    fake.faults.strip_pagination()
    stripped = page(api, 1)
    assert [k for k in plain.headers if k.startswith("x-pagination-")]
    assert not [k for k in stripped.headers if k.startswith("x-pagination-")]
    assert stripped.content == plain.content
    assert page(api, 5).json() == []


def test_strip_pagination_by_prefix(fake: FakeTrakt, api: httpx.Client) -> None:
    fake.faults.strip_pagination("/sync/watched")
    assert "x-pagination-page" in page(api, 1).headers
    assert "x-pagination-page" not in page(api, 1, path="/sync/watched/movies").headers


# ----- 7. absurd page counts ---------------------------------------------------------------------


def test_absurd_page_count_with_a_consistent_item_count(fake: FakeTrakt, api: httpx.Client) -> None:
    fake.faults.absurd_page_count()
    first = page(api, 1)
    assert first.headers["X-Pagination-Page-Count"] == "100000"
    assert first.headers["X-Pagination-Item-Count"] == "1000000"
    assert len(first.json()) == 10
    late = page(api, 4)
    assert late.json() == [] and late.headers["X-Pagination-Page-Count"] == "100000"
    assert page(api, 99_999).json() == []


def test_absurd_page_count_with_the_real_item_count(fake: FakeTrakt, api: httpx.Client) -> None:
    fake.faults.absurd_page_count(page_count=5000, consistent=False, path_prefix=HISTORY)
    first = page(api, 1)
    assert first.headers["X-Pagination-Page-Count"] == "5000"
    assert first.headers["X-Pagination-Item-Count"] == "29"
    other = page(api, 1, path="/sync/watched/movies")
    assert other.headers["X-Pagination-Page-Count"] == "3"


# ----- 8. redirects ------------------------------------------------------------------------------


def test_redirect_next_answers_301_with_location(fake: FakeTrakt, api: httpx.Client) -> None:
    fake.faults.redirect_next(1)
    response = api.get(HISTORY, params={"page": 2, "limit": 10})
    assert response.status_code == 301
    assert response.headers["Location"] == "https://trakt.tv/sync/history/movies?page=2&limit=10"
    assert response.headers["content-type"].startswith("text/html")
    assert api.get(HISTORY).status_code == 200
    fake.faults.redirect_next(2, status=302, location="https://trakt.tv/login")
    found = [api.get("/sync/last_activities") for _ in range(3)]
    assert [r.status_code for r in found] == [302, 302, 200]
    assert found[0].headers["Location"] == "https://trakt.tv/login"
    assert fake.stats.faults["redirect"] == 3


# ----- 9. Cloudflare 52x with HTML ---------------------------------------------------------------


@pytest.mark.parametrize("status", [520, 521, 522, 523, 524])
def test_cloudflare_52x_come_with_html(fake: FakeTrakt, api: httpx.Client, status: int) -> None:
    fake.faults.fail_next(1, status=status)
    response = api.get(HISTORY)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.startswith("<html>") and "Cloudflare" in response.text
    fake.faults.error_rate(1.0, statuses=[status])
    assert api.get(HISTORY).headers["content-type"].startswith("text/html")


# ----- 10. minute-precision watch times ----------------------------------------------------------


def test_watch_times_are_served_to_the_minute(
    fake: FakeTrakt, api: httpx.Client, clock: Clock
) -> None:
    clock.now = utc(2025, 7, 1, 10, 0, 0).timestamp() + 42.25
    moment = datetime(2025, 7, 1, 9, 58, 37, tzinfo=UTC)
    fake.add_history("edge-user", 6, moment)
    fake.add_rating("edge-user", 6, 8, moment)
    fake.add_watchlist("edge-user", 3)  # listed at the clock, 10:00:42
    fake.dataset.users["edge-user"].collection.append(Collected(moment, fake.dataset.films[6]))
    fake.dataset.users["edge-user"].changed()
    assert page(api, 1).json()[0]["watched_at"] == "2025-07-01T09:58:00.000Z"
    watched = page(api, 1, path="/sync/watched/movies").json()[0]
    assert watched["last_watched_at"] == "2025-07-01T09:58:00.000Z"
    assert page(api, 1, path="/sync/ratings/movies").json()[0]["rated_at"] == (
        "2025-07-01T09:58:00.000Z"
    )
    listed = [e for e in page(api, 1, 100, "/sync/watchlist").json() if e["listed_at"] > "2025"]
    assert [e["listed_at"] for e in listed] == ["2025-07-01T10:00:00.000Z"]
    collected = page(api, 1, 100, "/sync/collection/movies").json()[0]
    assert collected["collected_at"] == "2025-07-01T09:58:00.000Z"
    stamps = movies(fake)
    assert stamps["watched_at"] == "2025-07-01T10:00:42.250Z"  # seconds (and ms) kept
    assert stamps["watchlisted_at"] == "2025-07-01T10:00:42.250Z"
    minute = re.compile(r"T\d\d:\d\d:00\.000Z$")
    for endpoint, key in [("history", "watched_at"), ("ratings", "rated_at")]:
        assert all(minute.search(e[key]) for e in fake.user_json("edge-user", endpoint))


# ----- 11. trickle (loopback only) ---------------------------------------------------------------


def test_trickle_sends_the_body_one_byte_at_a_time(fake: FakeTrakt, token: Token) -> None:
    fake.faults.trickle(0.004, n=1, path_prefix="/movies/")
    with fake.serve() as url, httpx.Client(base_url=url, headers=headers(), timeout=10) as c:
        assert c.get("/sync/last_activities", headers=headers(token)).status_code == 200
        started = time.monotonic()
        chunks: list[bytes] = []
        with c.stream("GET", "/movies/6") as response:
            assert response.status_code == 200
            chunks = list(response.iter_raw())
        slow = time.monotonic() - started
        body = b"".join(chunks)
        assert json.loads(body)["ids"]["trakt"] == 6
        assert len(chunks) > len(body) // 4  # it really came in pieces
        assert len(body) * 0.004 * 0.9 <= slow < 10
        started = time.monotonic()
        assert c.get("/movies/6").content == body  # n=1: the next one is sent at once
        assert time.monotonic() - started < slow


def test_trickle_trips_a_client_read_timeout(fake: FakeTrakt) -> None:
    fake.faults.trickle(0.3)
    with fake.serve() as url, httpx.Client(base_url=url, headers=headers(), timeout=0.1) as c:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            c.get("/movies/6")
        assert time.monotonic() - started < 5


def test_trickle_is_ignored_by_the_transport(fake: FakeTrakt, api: httpx.Client) -> None:
    fake.faults.trickle(60.0)
    started = time.monotonic()
    assert api.get("/movies/6").status_code == 200
    assert time.monotonic() - started < 5


# ----- 12. exhausted X-Ratelimit on a 200 --------------------------------------------------------


def test_exhausted_ratelimit_header_on_a_successful_response(
    fake: FakeTrakt, api: httpx.Client, clock: Clock
) -> None:
    fake.faults.exhausted_ratelimit(n=1)
    response = page(api, 1)
    assert response.status_code == 200
    limit = json.loads(response.headers["X-Ratelimit"])
    assert limit == {
        "name": "AUTHED_API_GET_LIMIT",
        "period": 300,
        "limit": 1000,
        "remaining": 0,
        "until": "2025-06-01T13:00:00.000Z",
    }
    assert len(response.json()) == 10
    assert "x-ratelimit" not in page(api, 1).headers
    fake.faults.exhausted_ratelimit(until_in=7200)
    with httpx.Client(
        transport=httpx.MockTransport(fake.handle), base_url=API, headers=headers()
    ) as c:
        public = c.get("/users/edge-user/history")
        assert json.loads(public.headers["X-Ratelimit"])["name"] == "UNAUTHED_API_GET_LIMIT"
        assert json.loads(public.headers["X-Ratelimit"])["until"] == "2025-06-01T14:00:00.000Z"
        assert "x-ratelimit" not in c.get("/users/nobody/history").headers  # 404: untouched


# ----- defaults and the serve CLI ----------------------------------------------------------------


def test_everything_is_off_by_default(fake: FakeTrakt, api: httpx.Client) -> None:
    for _ in range(30):
        response = page(api, 1)
        assert response.headers["X-Pagination-Item-Count"] == "29"
        assert "x-ratelimit" not in response.headers
    assert ids(page(api, 1, 250)) == all_ids(fake)
    assert fake.stats.faults == {}


def test_serve_flags_configure_the_faults(fake: FakeTrakt, api: httpx.Client) -> None:
    args = _parser().parse_args(
        ["serve", "--account-budget", "4/60", "--overcount", f"{HISTORY}=2",
         "--duplicate", "/sync/watched/movies=1", "--absurd-page-count", "77",
         "--exhausted-ratelimit", "--trickle", "0.5", "--trickle-path", "/nothing"]
    )  # fmt: skip
    configure(fake, args)
    first = page(api, 1, 250)
    assert len(first.json()) == 27 and first.headers["X-Pagination-Page-Count"] == "77"
    assert "x-ratelimit" in first.headers
    one, two = page(api, 1, path="/sync/watched/movies"), page(api, 2, path="/sync/watched/movies")
    assert one.json()[-1] == two.json()[0]
    assert [api.get(HISTORY).status_code for _ in range(2)] == [200, 429]  # 4 per 60 s
    with pytest.raises(SystemExit):
        _parser().parse_args(["serve", "--overcount", "history=2"])


def test_serve_entry_point_with_budget_strip_and_challenge() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "trakt_fake", "serve", "--dataset", "edge",
         "--token", "tok-1", "--client-id", "cid", "--account-budget", "3/300",
         "--strip-pagination", "--html-challenge-rate", "0.0"],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        match = re.fullmatch(r"URL (http://127\.0\.0\.1:\d+)\n", process.stdout.readline())
        assert match
        auth = {**headers(client_id="cid"), "Authorization": "Bearer tok-1"}
        with httpx.Client(base_url=match.group(1), headers=auth, timeout=10) as c:
            got = [c.get(HISTORY) for _ in range(4)]
        assert [r.status_code for r in got] == [200, 200, 200, 429]
        assert not [k for k in got[0].headers if k.startswith("x-pagination")]
        assert got[3].headers["content-type"].startswith("text/html")
        assert got[3].headers["retry-after"] == "300"
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
