"""Trakt's data-export ZIP in each layout real exports have used (TRAKT-REALITY.md, "Trakt's own
data-export ZIP"), from any fake dataset.

`write_trakt_zip(source, path, usernames, layout, ...)`; layouts:

- `"paged"`: flat at the root, every kind in numbered pages (`watched-history-1.json`,
  `ratings-movies-1.json` ... `-10.json`, `lists-watchlist-1.json`), `page_size` items a page;
- `"flat"`: flat at the root, one file a kind (`watched-history.json`, `lists-watchlist.json`);
- `"folders"`: category folders (`watched/watched-movies.json`, `ratings/ratings-movies.json`,
  `lists/watchlist.json`);
- `"user-folders"`: the older `<username>/watched/...`, `<username>/lists/watchlist.json`.

Each file holds the same JSON the matching API endpoint serves (all pages, API order). Extras:
`user-settings.json` (the `/users/settings` payload, with `account.timezone`), `user-profile.json`,
`user-stats.json`, `_errors.json` naming endpoints the export "failed" to dump (their files are
left out), `__MACOSX/` junk, upper-case names, and several accounts in one ZIP (each under
`<username>/`). Lists, favorites and comments files come from `social_files` (the hook for those
records) or from `extra`. Member dates are fixed, so the same data gives byte-identical ZIPs.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from trakt_fake.records import Dataset, Episode, Film, UserData
from trakt_fake.server import FakeTrakt
from trakt_fake.shapes import kind_of, listing, profile

LAYOUTS = ("paged", "flat", "folders", "user-folders")
PAGE_SIZE = 1000
STAMP = (2026, 1, 2, 3, 4, 6)  # every member's date: deterministic archives

# Kind (file stem) -> the endpoint of /users/{slug}/... whose full JSON it holds, in the order
# Trakt's export writes them.
KINDS: dict[str, str] = {
    "watched-history": "history",
    "watched-movies": "watched/movies",
    "watched-shows": "watched/shows",
    "ratings-movies": "ratings/movies",
    "ratings-shows": "ratings/shows",
    "ratings-seasons": "ratings/seasons",
    "ratings-episodes": "ratings/episodes",
    "collection-movies": "collection/movies",
    "collection-shows": "collection/shows",
    "lists-watchlist": "watchlist",
}

# A resource fork, as macOS's Archive Utility stores one per file under __MACOSX/.
_APPLE_DOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + bytes(16)


def _dump(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def user_stats(user: UserData) -> dict[str, Any]:
    """`/users/{id}/stats` (userStatsResponseSchema) derived from the records: unknown-date plays
    count as plays like any other; null media objects count in ratings but not as watched."""
    film_plays = [w for w in user.history if kind_of(w.item) == "movie"]
    episode_plays = [w for w in user.history if kind_of(w.item) == "episode"]
    distribution = {str(n): 0 for n in range(1, 11)}
    for rating in user.ratings:
        distribution[str(rating.rating)] += 1

    def rated(kind: str) -> int:
        return sum(1 for r in user.ratings if kind_of(r.item) == kind)

    def collected(kind: str) -> int:
        return sum(1 for c in user.collection if kind_of(c.item) == kind)

    episodes = [w.item for w in episode_plays if isinstance(w.item, Episode)]
    return {
        "movies": {
            "plays": len(film_plays),
            "watched": len({w.item.trakt for w in film_plays if isinstance(w.item, Film)}),
            "minutes": 0,  # the fake's films carry no runtime
            "collected": collected("movie"),
            "ratings": rated("movie"),
            "comments": 0,
        },
        "shows": {
            "watched": len({e.show.trakt for e in episodes}),
            "collected": 0,
            "ratings": rated("show"),
            "comments": 0,
        },
        "seasons": {"ratings": rated("season"), "comments": 0},
        "episodes": {
            "plays": len(episode_plays),
            "watched": len({e.trakt for e in episodes}),
            "minutes": 0,
            "collected": collected("episode"),
            "ratings": rated("episode"),
            "comments": 0,
        },
        "network": {"friends": 0, "followers": 0, "following": 0},
        "ratings": {"total": len(user.ratings), "distribution": distribution},
    }


def social_files(fake: FakeTrakt, username: str) -> dict[str, list[Any]]:
    """The social kinds of the export, as Trakt's ZIP holds them: `lists-lists` (every list, the
    owner's view), `lists-list-<id>-<slug>` (its items, every type, in the list's own order),
    `lists-favorites` and `comments-movies` (the film comments, replies included)."""
    from trakt_fake.listsort import served
    from trakt_fake.shapes import watchlist_entry
    from trakt_fake.social import comment_entry, list_json, ranked

    with fake.lock:
        user = _user(fake, username)
        files: dict[str, list[Any]] = {}
        if user.lists:
            files["lists-lists"] = [list_json(user, lst) for lst in sorted(user.lists, key=_trakt)]
        for lst in sorted(user.lists, key=_trakt):
            files[f"lists-list-{lst.trakt}-{lst.slug}"] = [
                watchlist_entry(e) for e in served(user, lst, ranked(lst.items))
            ]
        if user.favorites:
            files["lists-favorites"] = [watchlist_entry(e) for e in ranked(user.favorites)]
        films = [c for c in user.comments if isinstance(c.item, Film) or c.item is None]
        if films:
            films.sort(key=lambda c: (c.created_at, c.id), reverse=True)
            files["comments-movies"] = [comment_entry(user, c) for c in films]
        return files


def _trakt(lst: Any) -> int:
    return int(lst.trakt)


def _stats_json(fake: FakeTrakt, username: str) -> Any:
    try:
        return fake.user_json(username, "stats")  # the endpoint's shape, once the fake serves it
    except KeyError:
        with fake.lock:
            return user_stats(_user(fake, username))


def _user(fake: FakeTrakt, username: str) -> UserData:
    user = fake.dataset.user(username)
    if user is None:
        raise KeyError(f"no user {username!r} in the dataset")
    return user


def _member(stem: str, layout: str, page: int | None) -> str:
    """The member name of one kind's file (page None: unpaged) within an account's folder."""
    suffix = "" if page is None else f"-{page}"
    if layout in ("paged", "flat"):
        return f"{stem}{suffix}.json"
    category, _, rest = stem.partition("-")
    # `lists-watchlist` -> lists/watchlist.json; others keep their stem: watched/watched-movies.
    name = rest if category == "lists" and rest else stem
    return f"{category}/{name}{suffix}.json"


def write_trakt_zip(
    source: FakeTrakt | Dataset,
    path: Path,
    usernames: str | Sequence[str],
    layout: str = "paged",
    *,
    page_size: int = PAGE_SIZE,
    user_settings: bool = True,
    user_profile: bool = True,
    user_stats_file: bool = True,
    errors: Sequence[str] = (),
    macosx: bool = False,
    upper: bool = False,
    extra: Mapping[str, list[Any]] | None = None,
) -> Path:
    """Write the export of `usernames` (one name, or several: each under `<username>/`) to `path`.

    `errors` names kinds (file stems, e.g. `"ratings-movies"`) the export failed to dump: they
    are left out and listed in `_errors.json`. `extra` adds kinds ({stem: items}) laid out like
    the others (e.g. `lists-lists`, `lists-list-7-best-of-2023`); `upper` upper-cases member
    names below the account folder; `macosx` adds `__MACOSX/` resource forks for every member.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    names = [usernames] if isinstance(usernames, str) else list(usernames)
    if not names:
        raise ValueError("at least one username is needed")
    unknown = set(errors) - set(KINDS) - set(extra or {})
    if unknown:
        raise ValueError(f"unknown kinds in errors: {sorted(unknown)}")
    fake = source if isinstance(source, FakeTrakt) else FakeTrakt(source)
    members: list[tuple[str, bytes]] = []
    for username in names:
        folder = f"{username}/" if layout == "user-folders" or len(names) > 1 else ""
        for relative, body in _account_files(
            fake,
            username,
            layout,
            page_size,
            user_settings=user_settings,
            user_profile=user_profile,
            user_stats_file=user_stats_file,
            errors=errors,
            extra=extra or {},
        ):
            members.append((folder + (relative.upper() if upper else relative), body))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, body in members:
            archive.writestr(zipfile.ZipInfo(name, STAMP), body, zipfile.ZIP_DEFLATED)
        if macosx:
            for name, _ in members:
                head, _, base = name.rpartition("/")
                fork = f"__MACOSX/{head}/._{base}" if head else f"__MACOSX/._{base}"
                archive.writestr(zipfile.ZipInfo(fork, STAMP), _APPLE_DOUBLE)
    return path


def _account_files(
    fake: FakeTrakt,
    username: str,
    layout: str,
    page_size: int,
    *,
    user_settings: bool,
    user_profile: bool,
    user_stats_file: bool,
    errors: Sequence[str],
    extra: Mapping[str, list[Any]],
) -> list[tuple[str, bytes]]:
    with fake.lock:
        user = _user(fake, username)
        kinds: dict[str, list[Any]] = {}
        for stem, endpoint in KINDS.items():
            entries, render = listing(user, endpoint)
            kinds[stem] = [render(entry) for entry in entries]
        slug = user.slug
    kinds |= social_files(fake, username)
    kinds |= extra
    files: list[tuple[str, bytes]] = []
    for stem, items in kinds.items():
        if stem in errors:
            continue
        if layout == "paged":
            pages = [items[i : i + page_size] for i in range(0, len(items), page_size)] or [[]]
            for number, chunk in enumerate(pages, start=1):
                files.append((_member(stem, layout, number), _dump(chunk)))
        else:
            files.append((_member(stem, layout, None), _dump(items)))
    if user_settings:
        files.append(("user-settings.json", _dump(fake.user_json(username, "settings"))))
    if user_profile:
        with fake.lock:
            files.append(("user-profile.json", _dump(profile(user, full=True))))
    if user_stats_file:
        files.append(("user-stats.json", _dump(_stats_json(fake, username))))
    if errors:
        failed = [
            {
                "file": stem,
                "endpoint": f"/users/{slug}/{KINDS.get(stem, stem.replace('-', '/', 1))}",
                "status": 500,
                "error": "Internal Server Error",
            }
            for stem in errors
        ]
        files.append(("_errors.json", _dump(failed)))
    return files
