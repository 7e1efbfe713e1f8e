"""FakeTrakt: an in-process Trakt API v2 answering httpx requests (transport or loopback).

Faithfulness choices, from Trakt's docs, the trakt/trakt-api contracts and maintainers' answers:

- `trakt-api-key` missing or not the client id -> 403 (Trakt keeps 403 for a bad key or an
  unapproved app). `trakt-api-version` missing -> 400; any value but `2` -> 403 (what Trakt
  answers since v1 was sunset). A request body without `Content-Type: application/json`
  -> 412 (Trakt's documented meaning of 412).
- `/sync/*`, `/users/settings` and `/users/me/*` need `Authorization: Bearer <token>`: missing,
  unknown or expired -> 401. A bad token is 401 on every endpoint, even optional-OAuth ones.
- `/users/{slug}/*` of a private user without a token of that user -> 401 with
  `X-Private-User: true` (Trakt's answer; 403 would mean a bad API key). Unknown user -> 404.
- Lists: `page` (default 1), `limit` (default 100, silently clamped to 250; 100 for
  watched/shows with `extended=progress`, the only way to get its `seasons`; season 0 only
  with `specials=true`); headers `X-Pagination-Page/-Limit/-Page-Count/-Item-Count`; page count is
  at least 1; a page past the end is `[]` with 200. Unparsable numbers fall back to defaults.
- Bodies are compact UTF-8 JSON, `Content-Type: application/json; charset=utf-8`.
- Comments, lists, favorites, notes, stats, `/sync/playback` and `/users/hidden/*` are
  answered by `social.extra_route` (one hook in `_user_route`); see `social.py`/`account.py`.
- `/oauth/*` goes to `trakt_fake.oauth.handle_oauth(fake, request)` (404 until it exists).

- Times: `watched_at`, `last_watched_at`, `rated_at`, `listed_at` and `collected_at` are
  served to the minute (`…T12:34:00.000Z`), as Trakt stores them; `last_activities` stamps and
  `updated_at` keep seconds.

Fault order per request (details in `faults`): dropped connection is decided first (the body is
cut later), then access refusals (`fake.access`, see access.py: 420/423/426, Cloudflare 403),
Cloudflare's answers (account budget, redirects, 200 HTML challenge; API paths only), forced
429, `fail_next`, `error_rate`, the token-bucket rate limit (API paths only), then normal
routing (hidden and duplicated items shape listing pages); pagination-header and
`X-Ratelimit` knobs, `truncate_rate` and `underdeliver` alter responses; `mutate_after`
callbacks run once the answer is ready; the loopback server may trickle the body.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx

from trakt_fake.access import Access
from trakt_fake.edits import SocialMutations
from trakt_fake.faults import Early, Faults
from trakt_fake.records import (
    MILLISECOND,
    Dataset,
    Film,
    Listed,
    Rating,
    Token,
    UserData,
    Watch,
    as_utc,
)
from trakt_fake.shapes import (
    LIST_ENDPOINTS,
    activity_times,
    full_list,
    last_activities,
    listing,
    movie_summary,
    people,
    profile,
    settings,
    shape_watched_shows,
)
from trakt_fake.social import extra_route
from trakt_fake.stats import Seen, Stats
from trakt_fake.writes import CUT, Writes

JSON_TYPE = "application/json; charset=utf-8"
DEFAULT_LIMIT = 100
MAX_LIMIT = 250
PROGRESS_MAX_LIMIT = 100  # Trakt caps pages lower with extended=progress
DEFAULT_TOKEN_LIFETIME = 24 * 3600  # seconds; pass `lifetime` for longer-lived tokens

_USER_ENDPOINTS = frozenset({"history", "watched", "ratings", "collection", "watchlist"})


class _Answer:
    """A finished answer, or a connection the fake should cut mid-body."""

    __slots__ = ("drop", "response")

    def __init__(self, response: httpx.Response, drop: bool) -> None:
        self.response = response
        self.drop = drop


def _encode(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, headers={"Content-Type": JSON_TYPE, **(headers or {})}, content=_encode(body)
    )


def _error(status: int, error: str, description: str, **headers: str) -> httpx.Response:
    return _json(status, {"error": error, "error_description": description}, headers)


def _int_param(params: httpx.QueryParams, name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        return default


class FakeTrakt(SocialMutations):
    """The fake Trakt API. Thread-safe: one lock guards the dataset and tokens."""

    def __init__(
        self,
        dataset: Dataset,
        client_id: str = "test-client",
        client_secret: str = "test-secret",
        clock: Callable[[], float] | None = None,
        latency: float = 0.0,
        sleep: Callable[[float], Awaitable[object]] | None = None,
    ) -> None:
        self.dataset = dataset
        self.client_id = client_id
        self.client_secret = client_secret
        self.clock: Callable[[], float] = clock or time.time
        self.latency = latency
        self.sleep: Callable[[float], Awaitable[object]] = sleep or asyncio.sleep
        self.tokens: dict[str, Token] = {}
        self.stats = Stats()
        self.faults = Faults(lambda: self.clock())
        self.access = Access()  # Cloudflare 403, 420/423/426, dead app: see access.py
        self.writes = Writes(self)  # POSTs, the write limit, 420 limits: see writes.py
        self.lock = threading.RLock()
        self._token_serial = 0

    # ----- entry points -----------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request synchronously (latency is a real sleep)."""
        request.read()
        answer = self.answer_sync(request)
        if answer.drop:
            if answer.response.extensions.get(CUT) == "timeout":
                raise httpx.ReadTimeout("timed out waiting for the answer", request=request)
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body", request=request
            )
        return answer.response

    async def handle_async(self, request: httpx.Request) -> httpx.Response:
        """Answer one request; latency awaits the injected async sleep."""
        await request.aread()
        seen = self._enter(request)
        status: int | None = None
        try:
            if self.latency > 0:
                await self.sleep(self.latency)
            answer = self._process(request, seen)
            status = None if answer.drop else answer.response.status_code
        finally:
            self.stats.leave(status)
        if answer.drop:
            if answer.response.extensions.get(CUT) == "timeout":
                raise httpx.ReadTimeout("timed out waiting for the answer", request=request)
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body", request=request
            )
        return answer.response

    def answer_sync(self, request: httpx.Request) -> _Answer:
        """For the loopback server: the answer, with `drop` telling it to cut the body."""
        seen = self._enter(request)
        status: int | None = None
        try:
            if self.latency > 0:
                time.sleep(self.latency)
            answer = self._process(request, seen)
            status = None if answer.drop else answer.response.status_code
        finally:
            self.stats.leave(status)
        return answer

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle_async)

    @contextlib.contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve over real HTTP on a threaded loopback server; yields the base URL."""
        from trakt_fake.loopback import start

        server, url = start(self, host, port)
        try:
            yield url
        finally:
            server.shutdown()
            server.server_close()

    # ----- tokens ------------------------------------------------------------------------------

    def issue_token(
        self,
        username: str,
        lifetime: int | None = None,
        *,
        access_token: str | None = None,
        refresh_token: str | None = None,
    ) -> Token:
        """Register a token for `username` (which must exist) valid for `lifetime` seconds."""
        with self.lock:
            user = self.dataset.user(username)
            if user is None:
                raise KeyError(f"no user {username!r} in the dataset")
            self._token_serial += 1
            seed = f"{self.client_id}:{user.username}:{self._token_serial}"
            token = Token(
                access_token=access_token or hashlib.sha256(f"{seed}:access".encode()).hexdigest(),
                refresh_token=refresh_token
                or hashlib.sha256(f"{seed}:refresh".encode()).hexdigest(),
                username=user.username,
                created_at=int(self.clock()),
                expires_in=DEFAULT_TOKEN_LIFETIME if lifetime is None else int(lifetime),
            )
            self.tokens[token.access_token] = token
            return token

    def token_by_refresh(self, refresh_token: str) -> Token | None:
        with self.lock:
            return next((t for t in self.tokens.values() if t.refresh_token == refresh_token), None)

    def revoke_token(self, access_token: str) -> bool:
        with self.lock:
            return self.tokens.pop(access_token, None) is not None

    # ----- data views and mutations ----------------------------------------------------------

    def _user(self, username: str) -> UserData:
        user = self.dataset.user(username)
        if user is None:
            raise KeyError(f"no user {username!r} in the dataset")
        return user

    def user_json(
        self, username: str, endpoint: str, *, progress: bool = False, specials: bool = False
    ) -> Any:
        """The complete, unpaginated JSON the API returns for `endpoint` of this user (watched
        shows: as served without `extended=progress`, unless `progress`)."""
        with self.lock:
            user = self._user(username)
            if endpoint == "last_activities":
                return last_activities(user)
            if endpoint == "settings":
                return settings(user)
            if endpoint not in LIST_ENDPOINTS:
                raise KeyError(f"unknown endpoint {endpoint!r}")
            body = full_list(user, endpoint)
            if endpoint == "watched/shows":
                shape_watched_shows(body, progress, specials)
            return body

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def _bump(self, user: UserData, *where: tuple[str, str]) -> None:
        """Move activity times past both the clock and their old value, like Trakt does."""
        before = activity_times(user)
        now = self._now()
        for key in where:
            user.bumped[key] = max(now, before[key] + MILLISECOND)
        user.changed()

    def _film(self, trakt_id: int) -> Film:
        film = self.dataset.films.get(trakt_id)
        if film is None:
            raise KeyError(f"no film {trakt_id} in the dataset")
        return film

    def add_history(
        self, username: str, movie_trakt_id: int, watched_at: datetime, action: str = "watch"
    ) -> None:
        with self.lock:
            user, film = self._user(username), self._film(movie_trakt_id)
            next_id = max((w.id for w in user.history), default=0) + 1
            self._bump(user, ("movies", "watched_at"))
            user.history.append(Watch(next_id, as_utc(watched_at), action, film))
            user.changed()

    def add_rating(
        self, username: str, movie_trakt_id: int, rating: int, rated_at: datetime
    ) -> None:
        if not 1 <= rating <= 10:
            raise ValueError("ratings are 1..10")
        with self.lock:
            user, film = self._user(username), self._film(movie_trakt_id)
            self._bump(user, ("movies", "rated_at"))
            user.ratings = [r for r in user.ratings if r.item != film]
            user.ratings.append(Rating(as_utc(rated_at), rating, film))
            user.changed()

    def add_watchlist(self, username: str, movie_trakt_id: int) -> None:
        with self.lock:
            user, film = self._user(username), self._film(movie_trakt_id)
            if any(entry.item == film for entry in user.watchlist):
                return  # Trakt reports it as existing and changes nothing
            self._bump(user, ("movies", "watchlisted_at"), ("watchlist", "updated_at"))
            user.watchlist.append(
                Listed(
                    id=max((e.id for e in user.watchlist), default=0) + 1,
                    rank=max((e.rank for e in user.watchlist), default=0) + 1,
                    listed_at=self._now(),
                    item=film,
                )
            )
            user.changed()

    # ----- request processing ------------------------------------------------------------------

    def _enter(self, request: httpx.Request) -> Seen:
        seen = Seen(
            request.method,
            request.url.path,
            dict(request.url.params),
            {k.lower(): v for k, v in request.headers.items()},
        )
        self.stats.enter(seen)
        return seen

    def _process(self, request: httpx.Request, seen: Seen) -> _Answer:
        drop = self.faults.take_drop()
        path = seen.path.rstrip("/") or "/"
        is_api = not path.startswith("/oauth/")
        token = self._bearer(request)
        authed = token is not None and token != "invalid"
        bucket: str | None = None
        if is_api:
            bucket = (
                f"user:{token.username}"
                if isinstance(token, Token)
                else f"client:{request.headers.get('trakt-api-key', '')}"
            )
        refused = self.access.screen(self, request, path, token)
        early = None
        if refused is None and bucket is not None:
            query = request.url.query.decode()
            early = self.faults.edge(request.method, path, bucket, query)
        if refused is None and early is None:
            early = self.faults.early(path, bucket, authed)
        if refused is not None:
            response = refused
        elif early is not None:
            if early.kind:
                self.stats.fault(early.kind)
            response = self._early(early)
        elif not is_api:
            response = self._oauth(request)
        else:
            with self.lock, self.writes.reads(request.method):
                response = self._api(request, path, token)
            response = self.faults.finish(path, response, authed)
            if response.status_code == 200 and self.faults.truncate():
                whole = response.content
                response = httpx.Response(
                    200,
                    headers=[
                        (k, v) for k, v in response.headers.items() if k.lower() != "content-length"
                    ],
                    content=whole[: len(whole) // 2],
                )
        response.request = request
        for mutate in self.faults.due_mutations(path):
            mutate()
        return _Answer(response, drop or CUT in response.extensions)

    @staticmethod
    def _early(early: Early) -> httpx.Response:
        return httpx.Response(
            early.status,
            headers={"Content-Type": early.content_type, **early.headers},
            content=early.body,
        )

    def _oauth(self, request: httpx.Request) -> httpx.Response:
        from trakt_fake.oauth import handle_oauth  # oauth.py imports this module

        return handle_oauth(self, request)

    def _bearer(self, request: httpx.Request) -> Token | str | None:
        """The request's valid token, "invalid" for a bad/expired one, None when absent."""
        header = request.headers.get("authorization")
        if not header:
            return None
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return "invalid"
        with self.lock:
            token = self.tokens.get(value.strip())
        if token is None or token.expired(self.clock()):
            return "invalid"
        return token

    def _api(self, request: httpx.Request, path: str, token: Token | str | None) -> httpx.Response:
        if request.headers.get("trakt-api-key") != self.client_id:
            return _error(403, "forbidden", "Forbidden - invalid API key or unapproved app")
        version = request.headers.get("trakt-api-version")
        if version is None:
            return _error(400, "bad_request", "Missing trakt-api-version header (use 2)")
        if version.strip() != "2":
            return _error(403, "forbidden", f"API version {version!r} is not supported (use 2)")
        if request.content and not request.headers.get("content-type", "").lower().startswith(
            "application/json"
        ):
            return _error(412, "precondition_failed", "Use application/json content type")
        if token == "invalid":
            return self._unauthorized("The access token is invalid, expired or revoked")
        valid = token if isinstance(token, Token) else None

        if request.method == "POST":
            return self.writes.handle(request, path, valid)
        parts = path.strip("/").split("/")
        if parts[0] == "sync" and len(parts) >= 2:
            if valid is None:
                return self._unauthorized("OAuth required")
            return self._user_route(request, self._user(valid.username), parts[1:])
        if parts[0] == "users" and len(parts) >= 2:
            return self._users(request, parts[1:], valid)
        if parts[0] == "movies" and len(parts) in (2, 3):
            return self._movies(request, parts[1:])
        return _error(404, "not_found", "Not Found")

    @staticmethod
    def _unauthorized(description: str, **headers: str) -> httpx.Response:
        return _error(
            401,
            "unauthorized",
            description,
            **{"WWW-Authenticate": 'Bearer realm="trakt", error="invalid_token"'},
            **headers,
        )

    def _users(
        self, request: httpx.Request, parts: list[str], token: Token | None
    ) -> httpx.Response:
        slug, rest = parts[0], parts[1:]
        if slug == "settings" and not rest:
            if token is None:
                return self._unauthorized("OAuth required")
            return self._get_only(request) or _json(200, settings(self._user(token.username)))
        if slug == "hidden" and rest:
            if token is None:
                return self._unauthorized("OAuth required")
            return self._user_route(request, self._user(token.username), parts, owner=True)
        if slug == "me":
            if token is None:
                return self._unauthorized("OAuth required")
            user = self._user(token.username)
        else:
            found = self.dataset.user(slug)
            if found is None:
                return _error(404, "not_found", "User not found")
            user = found
            if user.private and (token is None or token.username != user.username):
                return self._unauthorized("This user is private", **{"X-Private-User": "true"})
        if not rest:
            full = "full" in request.url.params.get("extended", "")
            return self._get_only(request) or _json(200, profile(user, full=full))
        owner = token is not None and token.username == user.username
        return self._user_route(request, user, rest, owner=owner)

    def _user_route(
        self, request: httpx.Request, user: UserData, parts: list[str], owner: bool = True
    ) -> httpx.Response:
        """`/sync/...` and `/users/{slug}/...`: the list endpoints and last_activities."""
        routed = extra_route(request, user, parts, owner)
        if routed is not None:
            return self._get_only(request) or routed
        if parts == ["last_activities"] and request.url.path.startswith("/sync/"):
            return self._get_only(request) or _json(200, last_activities(user))
        if parts[0] not in _USER_ENDPOINTS:
            return _error(404, "not_found", "Not Found")
        endpoint = "/".join(parts[:2])
        extra = parts[2:]
        if endpoint not in LIST_ENDPOINTS:
            return _error(404, "not_found", "Not Found")
        wanted: frozenset[int] | None = None
        if extra:
            if parts[0] == "ratings" and len(extra) == 1:
                try:
                    wanted = frozenset(int(x) for x in extra[0].split(",") if x)
                except ValueError:
                    return _error(404, "not_found", "Not Found")
            elif parts[0] != "watchlist" or len(extra) > 2:
                # Watchlist takes sort_by/sort_how segments; the fake always serves rank asc.
                return _error(404, "not_found", "Not Found")
        return self._get_only(request) or self._page(request, user, endpoint, wanted)

    @staticmethod
    def _get_only(request: httpx.Request) -> httpx.Response | None:
        if request.method != "GET":
            return _error(405, "method_not_allowed", "Method Not Allowed")
        return None

    def _page(
        self,
        request: httpx.Request,
        user: UserData,
        endpoint: str,
        wanted: frozenset[int] | None,
    ) -> httpx.Response:
        entries, render = listing(user, endpoint)
        if wanted is not None:
            entries = [r for r in entries if r.rating in wanted]
        params = request.url.params
        progressive = endpoint == "watched/shows" and "progress" in params.get("extended", "")
        ceiling = PROGRESS_MAX_LIMIT if progressive else MAX_LIMIT
        limit = min(max(_int_param(params, "limit", DEFAULT_LIMIT), 1), ceiling)
        page = max(_int_param(params, "page", 1), 1)
        total = len(entries)
        served = max(total - self.faults.missing(request.url.path.rstrip("/")), 0)
        start, stop, hidden = self.faults.page_plan(
            request.url.path.rstrip("/"), page, limit, entries, served
        )
        extended = params.get("extended", "")
        noseasons = "noseasons" in extended and endpoint.endswith("/shows")
        # Watched shows: seasons only with extended=progress (page cap 100), specials opt-in.
        progress = endpoint == "watched/shows" and "progress" in extended and not noseasons
        specials = params.get("specials", "").lower() == "true"
        # Rendered pages are kept until the next mutation clears `derived`: the fake's own CPU
        # time must not blur what the benchmarks measure of the client.
        rated = ",".join(map(str, sorted(wanted))) if wanted is not None else "*"
        key = (
            f"page {endpoint} {rated} {start} {stop} {sorted(hidden)} {noseasons} {progress} "
            f"{specials}"
        )
        content = user.derived.get(key)
        if content is None:
            # Slice only this page; never copy the whole list per request.
            body = [render(entries[i]) for i in range(start, stop) if i not in hidden]
            if noseasons:
                for item in body:
                    item.pop("seasons", None)
            if endpoint == "watched/shows":
                shape_watched_shows(body, progress, specials)
            content = user.derived[key] = _encode(body)
        headers = {
            "X-Pagination-Page": str(page),
            "X-Pagination-Limit": str(limit),
            "X-Pagination-Page-Count": str(max(1, -(-total // limit))),
            "X-Pagination-Item-Count": str(total),
        }
        if endpoint.startswith("watchlist"):
            headers |= {
                "X-Sort-By": "rank",
                "X-Sort-How": "asc",
                "X-Applied-Sort-By": "rank",
                "X-Applied-Sort-How": "asc",
            }
        return httpx.Response(200, headers={"Content-Type": JSON_TYPE, **headers}, content=content)

    def _movies(self, request: httpx.Request, parts: list[str]) -> httpx.Response:
        film = self.dataset.film(parts[0])
        if film is None:
            return _error(404, "not_found", "Movie not found")
        if len(parts) == 1:
            return self._get_only(request) or _json(200, movie_summary(film))
        if parts[1] == "people":
            return self._get_only(request) or _json(200, people(film))
        return _error(404, "not_found", "Not Found")
