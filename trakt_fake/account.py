"""Account routes of the fake: playback progress, hidden items, VIP notes and user stats.

- `/sync/playback[/{movies|episodes}]` (token only): newest pause first; "Pagination
  Optional": without `page`/`limit` every item and no pagination headers; `start_at` and
  `end_at` filter on `paused_at`.
- `/users/hidden/{section}` (token only): sections of the contract (calendar,
  progress_watched, progress_collected, recommendations, comments, dropped), `type` filter,
  paginated, newest first.
- `/users/{id}/notes[/{type}]`: 426 (VIP required) unless the account is VIP; public mode
  sees only notes with privacy `public`. Paginated, newest first.
- `/users/{id}/stats`: counts from the records (films 120 min, episodes 45 min each).
"""

from __future__ import annotations

from datetime import datetime

import httpx

from trakt_fake.listpages import answer, error, not_found, paginate
from trakt_fake.records import (
    Episode,
    Film,
    Hidden,
    Note,
    Playback,
    Season,
    Show,
    UserData,
    as_utc,
    iso,
)
from trakt_fake.shapes import Json, episode_json, movie_json, show_json, typed_item
from trakt_fake.stamps import section_of

HIDDEN_SECTIONS = (
    "calendar",
    "progress_watched",
    "progress_collected",
    "recommendations",
    "comments",
    "dropped",
)
NOTE_TYPES = ("all", "movies", "shows", "seasons", "episodes")
FILM_MINUTES = 120
EPISODE_MINUTES = 45


def _moment(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        return as_utc(datetime.fromisoformat(raw.replace("Z", "+00:00")))
    except ValueError:
        return None


# ----- playback ----------------------------------------------------------------------------


def playback_entry(paused: Playback) -> Json:
    body: Json = {"progress": paused.progress, "paused_at": iso(paused.paused_at), "id": paused.id}
    if isinstance(paused.item, Film):
        return body | {"type": "movie", "movie": movie_json(paused.item)}
    return body | {
        "type": "episode",
        "episode": episode_json(paused.item),
        "show": show_json(paused.item.show),
    }


def playback(request: httpx.Request, user: UserData, rest: list[str]) -> httpx.Response:
    kinds: dict[str, type] = {"movies": Film, "episodes": Episode}
    if len(rest) > 1 or (rest and rest[0] not in kinds):
        return not_found()
    start = _moment(request.url.params.get("start_at"))
    end = _moment(request.url.params.get("end_at"))
    picked = [
        p
        for p in user.playback
        if (not rest or isinstance(p.item, kinds[rest[0]]))
        and (start is None or p.paused_at >= start)
        and (end is None or p.paused_at <= end)
    ]
    picked.sort(key=lambda p: (p.paused_at, p.id), reverse=True)
    return paginate(request, picked, playback_entry, optional=True)


# ----- hidden ------------------------------------------------------------------------------


def hidden_entry(entry: Hidden) -> Json:
    body: Json = {"hidden_at": iso(entry.hidden_at)}
    if isinstance(entry.item, str):
        return body | {
            "type": "user",
            "user": {"username": entry.item, "private": False, "ids": {"slug": entry.item}},
        }
    return body | typed_item(entry.item)


def _hidden_type(item: Film | Show | Season | str) -> str:
    if isinstance(item, str):
        return "user"
    return (section_of(item) or "movies").removesuffix("s")


def hidden(request: httpx.Request, user: UserData, rest: list[str]) -> httpx.Response:
    if len(rest) != 1 or rest[0] not in HIDDEN_SECTIONS:
        return not_found()
    wanted = request.url.params.get("type")
    picked = [
        h
        for h in user.hidden
        if h.section == rest[0] and (wanted is None or _hidden_type(h.item) == wanted)
    ]
    picked.sort(key=lambda h: h.hidden_at, reverse=True)
    return paginate(request, picked, hidden_entry)


# ----- notes -------------------------------------------------------------------------------


def note_entry(note: Note) -> Json:
    return {
        "id": note.id,
        "notes": note.notes,
        "privacy": note.privacy,
        "spoiler": note.spoiler,
        "created_at": iso(note.created_at),
        "updated_at": iso(note.updated_at or note.created_at),
        "item": typed_item(note.item),
    }


def vip_required() -> httpx.Response:
    return error(
        426,
        "vip_required",
        "This feature needs a Trakt VIP membership",
        **{"X-Upgrade-URL": "https://trakt.tv/vip"},
    )


def notes(request: httpx.Request, user: UserData, rest: list[str], owner: bool) -> httpx.Response:
    if len(rest) > 1 or (rest and rest[0] not in NOTE_TYPES):
        return not_found()
    if not user.vip:
        return vip_required()
    section = rest[0] if rest and rest[0] != "all" else None
    picked = [
        n
        for n in user.notes
        if (owner or n.privacy == "public") and (section is None or section_of(n.item) == section)
    ]
    picked.sort(key=lambda n: (n.updated_at or n.created_at, n.id), reverse=True)
    return paginate(request, picked, note_entry)


# ----- stats -------------------------------------------------------------------------------


def stats_json(user: UserData) -> Json:
    film_plays = [w for w in user.history if isinstance(w.item, Film)]
    episode_plays = [w for w in user.history if isinstance(w.item, Episode)]
    films = {w.item.trakt for w in film_plays}
    episodes = {w.item.trakt for w in episode_plays}
    shows = {w.item.show.trakt for w in episode_plays if isinstance(w.item, Episode)}

    def rated(kind: type) -> int:
        return sum(1 for r in user.ratings if isinstance(r.item, kind))

    def commented(section: str) -> int:
        return sum(1 for c in user.comments if section_of(c.item) == section)

    collected_films = sum(1 for c in user.collection if isinstance(c.item, Film))
    collected_episodes = [c.item for c in user.collection if isinstance(c.item, Episode)]
    distribution = {str(v): 0 for v in range(1, 11)}
    for r in user.ratings:
        distribution[str(r.rating)] += 1
    return {
        "movies": {
            "plays": len(film_plays),
            "watched": len(films),
            "minutes": FILM_MINUTES * len(film_plays),
            "collected": collected_films,
            "ratings": rated(Film),
            "comments": commented("movies"),
        },
        "shows": {
            "watched": len(shows),
            "collected": len({e.show.trakt for e in collected_episodes}),
            "ratings": rated(Show),
            "comments": commented("shows"),
        },
        "seasons": {"ratings": rated(Season), "comments": commented("seasons")},
        "episodes": {
            "plays": len(episode_plays),
            "watched": len(episodes),
            "minutes": EPISODE_MINUTES * len(episode_plays),
            "collected": len(collected_episodes),
            "ratings": rated(Episode),
            "comments": commented("episodes"),
        },
        "network": {"friends": 0, "followers": 0, "following": 0},
        "ratings": {"total": len(user.ratings), "distribution": distribution},
    }


def stats(user: UserData) -> httpx.Response:
    return answer(200, stats_json(user))
