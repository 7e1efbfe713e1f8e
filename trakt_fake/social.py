"""Social routes of the fake: comments, personal lists and their items, favorites.

`extra_route(request, user, parts, owner)` is the server's single hook for every endpoint
beyond the sync listings: it answers `/users/{id}/comments|lists|favorites|notes|stats`,
`/sync/playback` and `/users/hidden/{section}` (account ones via `account.py`), or returns
None to let the server route as before. `owner` is false in public-profile mode (no token of
this user): private lists and private notes are hidden then.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

import trakt_fake.account as account
from trakt_fake.listpages import answer, not_found, paginate
from trakt_fake.listsort import served, sort_headers
from trakt_fake.records import (
    Comment,
    Episode,
    Film,
    Listed,
    Rating,
    Season,
    Show,
    UserData,
    UserList,
    iso,
)
from trakt_fake.shapes import Json, profile, typed_item, watchlist_entry
from trakt_fake.stamps import section_of

COMMENT_TYPES = ("all", "reviews", "shouts")
COMMENT_ON = {
    "all": None,
    "movies": "movies",
    "shows": "shows",
    "seasons": "seasons",
    "episodes": "episodes",
    "lists": "lists",
}
# List item type segments: Trakt's singular names, comma-joined; plurals accepted too.
_ITEM_TYPES = {
    "movie": Film,
    "movies": Film,
    "show": Show,
    "shows": Show,
    "season": Season,
    "seasons": Season,
    "episode": Episode,
    "episodes": Episode,
}
_SORT_HEADERS = {
    "X-Sort-By": "rank",
    "X-Sort-How": "asc",
    "X-Applied-Sort-By": "rank",
    "X-Applied-Sort-How": "asc",
}


def extra_route(
    request: httpx.Request, user: UserData, parts: list[str], owner: bool
) -> httpx.Response | None:
    head, rest = parts[0], parts[1:]
    path = request.url.path
    if head == "comments" and not path.startswith("/sync/"):
        return comments(request, user, rest)
    if head == "lists" and not path.startswith("/sync/"):
        return lists(request, user, rest, owner)
    if head == "favorites" and not path.startswith("/sync/"):
        return favorites(request, user, rest)
    if head == "playback" and path.startswith("/sync/"):
        return account.playback(request, user, rest)
    if head == "hidden" and path.startswith("/users/hidden/"):
        return account.hidden(request, user, rest)
    if head == "notes" and not path.startswith("/sync/"):
        return account.notes(request, user, rest, owner)
    if parts == ["stats"] and not path.startswith("/sync/"):
        return account.stats(user)
    return None


# ----- comments ----------------------------------------------------------------------------


def _plays(user: UserData) -> dict[tuple[type, int], int]:
    view: dict[tuple[type, int], int] | None = user.derived.get("plays by item")
    if view is None:
        view = {}
        for watch in user.history:
            key = (type(watch.item), watch.item.trakt)
            view[key] = view.get(key, 0) + 1
        user.derived["plays by item"] = view
    return view


def _rated(user: UserData) -> dict[tuple[type, int], Rating]:
    view: dict[tuple[type, int], Rating] | None = user.derived.get("rating by item")
    if view is None:
        view = {(type(r.item), r.item.trakt): r for r in user.ratings}
        user.derived["rating by item"] = view
    return view


def list_json(user: UserData, lst: UserList) -> Json:
    return {
        "name": lst.name,
        "description": lst.description,
        "privacy": lst.privacy,
        "share_link": f"https://trakt.tv/lists/{lst.trakt}",
        "type": "personal",
        "display_numbers": False,
        "allow_comments": True,
        "sort_by": lst.sort_by,
        "sort_how": lst.sort_how,
        "created_at": iso(lst.created_at),
        "updated_at": iso(lst.updated_at),
        "item_count": len(lst.items),
        "comment_count": 0,
        "likes": lst.likes,
        "ids": {"trakt": lst.trakt, "slug": lst.slug},
        "user": profile(user),
    }


def comment_entry(user: UserData, comment: Comment) -> Json:
    item = comment.item
    rating: int | None = None
    plays = 0
    if isinstance(item, UserList):
        media: Json = {"type": "list", "list": list_json(user, item)}
    elif item is None:
        media = {"type": "movie", "movie": None}
    else:
        media = typed_item(item)
        found = _rated(user).get((type(item), item.trakt))
        rating = found.rating if found else None
        plays = _plays(user).get((type(item), item.trakt), 0)
    body: Json = {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "created_at": iso(comment.created_at),
        "updated_at": iso(comment.updated_at or comment.created_at),
        "comment": comment.text,
        "spoiler": comment.spoiler,
        "review": comment.review,
        "replies": comment.replies,
        "likes": comment.likes,
        "language": "en",
        "user_rating": rating,
        "user_stats": {"rating": rating, "play_count": plays, "completed_count": plays},
        "user": profile(user),
    }
    return media | {"comment": body}


def comments(request: httpx.Request, user: UserData, rest: list[str]) -> httpx.Response:
    comment_type = rest[0] if rest else "all"
    on = rest[1] if len(rest) > 1 else "all"
    if len(rest) > 2 or comment_type not in COMMENT_TYPES or on not in COMMENT_ON:
        return not_found()
    replies = request.url.params.get("include_replies", "false").lower()
    section = COMMENT_ON[on]
    picked = [
        c
        for c in user.comments
        if (section is None or (section_of(c.item) or "movies") == section)
        and (comment_type == "all" or c.review == (comment_type == "reviews"))
        and ((c.parent_id != 0) if replies == "only" else (replies == "true" or c.parent_id == 0))
    ]
    picked.sort(key=lambda c: (c.created_at, c.id), reverse=True)  # most recent first
    return paginate(request, picked, lambda c: comment_entry(user, c))


# ----- lists -------------------------------------------------------------------------------


def visible_lists(user: UserData, owner: bool) -> list[UserList]:
    return [lst for lst in user.lists if owner or lst.privacy == "public"]


def find_list(user: UserData, key: str, owner: bool) -> UserList | None:
    for lst in visible_lists(user, owner):
        if key in (str(lst.trakt), lst.slug):
            return lst
    return None


def _types(segment: str) -> tuple[type, ...] | None:
    kinds = [_ITEM_TYPES.get(name) for name in segment.split(",") if name]
    if not kinds or any(k is None for k in kinds):
        return None
    return tuple(k for k in kinds if k is not None)


def ranked(entries: Sequence[Listed], kinds: tuple[type, ...] | None = None) -> list[Listed]:
    chosen = [e for e in entries if kinds is None or isinstance(e.item, kinds)]
    return sorted(chosen, key=lambda e: (e.rank, e.id))


def lists(request: httpx.Request, user: UserData, rest: list[str], owner: bool) -> httpx.Response:
    if not rest:
        shown = sorted(visible_lists(user, owner), key=lambda lst: lst.trakt)
        return paginate(request, shown, lambda lst: list_json(user, lst))
    lst = find_list(user, rest[0], owner)
    if lst is None:
        return not_found("List not found")
    if len(rest) == 1:
        return answer(200, list_json(user, lst))
    if rest[1] != "items" or len(rest) > 5 or len(rest) == 4:
        return not_found()
    kinds = _types(rest[2]) if len(rest) > 2 and rest[2] != "all" else None
    if len(rest) > 2 and rest[2] != "all" and kinds is None:
        return not_found()
    items = served(user, lst, ranked(lst.items, kinds))
    return paginate(request, items, watchlist_entry, headers=sort_headers(lst))


# ----- favorites ---------------------------------------------------------------------------


def favorite_entry(entry: Listed) -> Json:
    return watchlist_entry(entry)


def favorites(request: httpx.Request, user: UserData, rest: list[str]) -> httpx.Response:
    kinds: tuple[type, ...] | None = None
    if rest and rest[0] not in ("all", "media"):
        kinds = _types(rest[0])
        if kinds is None or not set(kinds) <= {Film, Show}:
            return not_found()
    if len(rest) > 3:
        return not_found()
    return paginate(request, ranked(user.favorites, kinds), favorite_entry, headers=_SORT_HEADERS)
