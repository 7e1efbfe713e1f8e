"""`restore`'s plan: what of a backup the account lacks, per kind, as write-ready entries (pure).

Inputs are the backup's files and the account's current files, both as `backup` writes them
(file name -> parsed JSON). Identity per kind: history plays compare as a multiset of (type,
Trakt id, `watched_at` to the minute); ratings, watchlist, favorites, hidden items and list
items by (type, Trakt id); collected episodes by (show, season, number). An item whose media
object Trakt serves as null (removed from its catalogue) has no id left and cannot be restored.
`make_plan` gathers the kinds a run restores; `plan_lines` is the plan as printed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from trakt_export.run.backup import HIDDEN_SECTIONS  # the sections a backup holds

KINDS = ("history", "ratings", "watchlist", "collection", "lists", "favorites", "hidden")
# Files a backup holds that restore never writes, and why (the plan says so).
NEVER = {
    "comments": "they would be posted publicly anew",
    "notes, playback progress, profile, stats, settings": "not written back",
    "watched": "follows from the history plays",
}
EPOCH_MINUTE = "1970-01-01T00:00"
GONE = "removed from Trakt's catalogue (no id left)"
Files = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Entry:
    """One item to write: its identity, the request array it goes in, and its element."""

    key: tuple[Any, ...]
    group: str  # movies | shows | seasons | episodes | users
    body: dict[str, Any]


@dataclass(slots=True)
class KindPlan:
    kind: str
    path: str  # where its writes go ("" for lists: one target per list)
    add: list[Entry] = field(default_factory=list)
    differs: int = 0  # in the account with another value: left alone
    present: int = 0  # already in the account
    unrestorable: Counter[str] = field(default_factory=Counter)


@dataclass(slots=True)
class ListPlan:
    """One personal list of the backup: matched to an account list, or to be created."""

    source: int  # the backup's Trakt id of the list
    meta: dict[str, Any]
    target: int | None
    plan: KindPlan


def _rows(files: Files, name: str) -> list[dict[str, Any]]:
    value = files.get(name)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def media(row: Mapping[str, Any]) -> tuple[str, int] | None:
    """(type, Trakt id) of a typed row, None when its media object is null."""
    kind = row.get("type")
    obj = row.get(kind) if isinstance(kind, str) else None
    ids = obj.get("ids") if isinstance(obj, dict) else None
    trakt = ids.get("trakt") if isinstance(ids, dict) else None
    if not isinstance(kind, str) or not isinstance(trakt, int):
        return None
    return kind, trakt


def _ids(trakt: int) -> dict[str, Any]:
    return {"ids": {"trakt": trakt}}


def minute(stamp: Any) -> str:
    return str(stamp or "")[:16]


# ----- history ---------------------------------------------------------------------------


def plays(files: Files) -> Counter[tuple[str, int, str]]:
    counted: Counter[tuple[str, int, str]] = Counter()
    for name in ("history-movies.json", "history-episodes.json"):
        for row in _rows(files, name):
            found = media(row)
            if found is not None:
                counted[(*found, minute(row.get("watched_at")))] += 1
    return counted


def plan_history(backup: Files, account: Files) -> KindPlan:
    """The plays the account lacks: per (type, id, minute), the backup's count minus the
    account's (Trakt does not de-duplicate, so a play it has is never sent again)."""
    out = KindPlan("history", "/sync/history")
    want = plays(backup)
    have = plays(account)
    for name in ("history-movies.json", "history-episodes.json"):
        out.unrestorable[GONE] += sum(media(r) is None for r in _rows(backup, name))
    for key, count in sorted(want.items()):
        missing = count - have.get(key, 0)
        out.present += min(count, have.get(key, 0))
        kind, trakt, at = key
        when = "unknown" if at == EPOCH_MINUTE else f"{at}:00.000Z"
        for _ in range(max(missing, 0)):
            out.add.append(Entry(key, kind + "s", _ids(trakt) | {"watched_at": when}))
    return out


# ----- ratings, watchlist, favorites, list items --------------------------------------------

RATING_FILES = tuple(f"ratings-{t}.json" for t in ("movies", "shows", "seasons", "episodes"))


def plan_ratings(backup: Files, account: Files) -> KindPlan:
    out = KindPlan("ratings", "/sync/ratings")
    have = {
        found: row.get("rating")
        for name in RATING_FILES
        for row in _rows(account, name)
        if (found := media(row)) is not None
    }
    for name in RATING_FILES:
        for row in _rows(backup, name):
            found = media(row)
            if found is None:
                out.unrestorable[GONE] += 1
            elif found not in have:
                body = _ids(found[1]) | {
                    "rating": row.get("rating"),
                    "rated_at": row.get("rated_at"),
                }
                out.add.append(Entry(found, found[0] + "s", body))
            elif have[found] != row.get("rating"):
                out.differs += 1  # never overwritten
            else:
                out.present += 1
    return out


def plan_listed(
    kind: str, path: str, backup_rows: Iterable[dict[str, Any]], account_rows: Iterable[Any]
) -> KindPlan:
    """Watchlist, favorites and list items: (type, id) identity, in the backup's rank order,
    with `listed_at` and notes."""
    out = KindPlan(kind, path)
    have = {found for row in account_rows if (found := media(row)) is not None}
    ordered = sorted(backup_rows, key=lambda r: (r.get("rank") or 0, r.get("id") or 0))
    for row in ordered:
        found = media(row)
        if found is None:
            out.unrestorable[GONE] += 1
        elif found in have:
            out.present += 1
        else:
            body = _ids(found[1]) | {"listed_at": row.get("listed_at")}
            if row.get("notes"):
                body["notes"] = row["notes"]
            out.add.append(Entry(found, found[0] + "s", body))
    return out


# ----- collection ------------------------------------------------------------------------


def _collected(files: Files) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Identity -> (group, element) of every collected film and episode."""
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in _rows(files, "collection-movies.json"):
        found = media(row)
        if found is not None:
            body = _ids(found[1]) | {"collected_at": row.get("collected_at")}
            out[found] = body | (row.get("metadata") or {})
    for row in _rows(files, "collection-shows.json"):
        found = media(row)
        if found is None:
            continue
        for season in row.get("seasons") or []:
            for episode in season.get("episodes") or []:
                number = (season.get("number"), episode.get("number"))
                element = {"number": episode.get("number")}
                element |= {"collected_at": episode.get("collected_at")}
                element |= episode.get("metadata") or {}
                out[("episode-of", found[1], *number)] = _ids(found[1]) | {
                    "seasons": [{"number": number[0], "episodes": [element]}]
                }
    return out


def plan_collection(backup: Files, account: Files) -> KindPlan:
    out = KindPlan("collection", "/sync/collection")
    have = _collected(account)
    for name in ("collection-movies.json", "collection-shows.json"):
        out.unrestorable[GONE] += sum(media(r) is None for r in _rows(backup, name))
    for key, body in _collected(backup).items():
        if key in have:
            out.present += 1
        else:
            out.add.append(Entry(key, "movies" if key[0] == "movie" else "shows", body))
    return out


# ----- hidden ----------------------------------------------------------------------------


def _hidden_key(row: Mapping[str, Any]) -> tuple[str, Any] | None:
    if row.get("type") == "user":
        user = row.get("user")
        ids = user.get("ids") if isinstance(user, dict) else None
        slug = ids.get("slug") if isinstance(ids, dict) else None
        return ("user", slug) if isinstance(slug, str) else None
    return media(row)


def plan_hidden(backup: Files, account: Files) -> list[KindPlan]:
    plans = []
    for section in HIDDEN_SECTIONS:
        name = f"hidden-{section}.json"
        out = KindPlan("hidden", f"/users/hidden/{section}")
        have = {k for r in _rows(account, name) if (k := _hidden_key(r)) is not None}
        for row in _rows(backup, name):
            key = _hidden_key(row)
            if key is None:
                out.unrestorable[GONE] += 1
            elif key in have:
                out.present += 1
            elif key[0] == "user":
                out.add.append(Entry(key, "users", {"ids": {"slug": key[1]}}))
            else:
                out.add.append(Entry(key, key[0] + "s", _ids(key[1])))
        plans.append(out)
    return plans


# ----- lists -----------------------------------------------------------------------------

LIST_SETTINGS = (
    "name",
    "description",
    "privacy",
    "sort_by",
    "sort_how",
    "display_numbers",
    "allow_comments",
)


def list_file(lists: list[dict[str, Any]], trakt: int) -> str:
    """The backup's file of a list's items (the naming rule of `backup.list_parts`)."""
    import re

    taken: set[str] = set()
    for lst in lists:
        ids = lst.get("ids") or {}
        slug = re.sub(r"[^A-Za-z0-9._-]", "-", str(ids.get("slug") or "")).strip(".-")
        name = f"list-{slug}.json" if slug else f"list-{ids.get('trakt')}.json"
        if name in taken:
            name = f"list-{slug}-{ids.get('trakt')}.json"
        taken.add(name)
        if ids.get("trakt") == trakt:
            return name
    return ""


def plan_lists(backup: Files, account: Files, mapping: Mapping[str, int]) -> list[ListPlan]:
    """Each backup list matched by the kept mapping, then by slug, then by name."""
    mine = _rows(backup, "lists.json")
    theirs = _rows(account, "lists.json")
    by_id = {(r.get("ids") or {}).get("trakt"): r for r in theirs}
    plans = []
    for lst in mine:
        ids = lst.get("ids") or {}
        source = ids.get("trakt")
        if not isinstance(source, int):
            continue
        target: int | None = None
        mapped = mapping.get(str(source))
        if mapped in by_id:
            target = mapped
        else:
            match = next(
                (r for r in theirs if (r.get("ids") or {}).get("slug") == ids.get("slug")), None
            ) or next((r for r in theirs if r.get("name") == lst.get("name")), None)
            if match is not None:
                target = (match.get("ids") or {}).get("trakt")
        rows = _rows(backup, list_file(mine, source))
        existing = _rows(account, list_file(theirs, target)) if target is not None else []
        meta = {k: lst[k] for k in LIST_SETTINGS if k in lst and lst[k] is not None}
        path = f"/users/me/lists/{target}/items" if target is not None else ""
        plans.append(ListPlan(source, meta, target, plan_listed("lists", path, rows, existing)))
    return plans


def batches(entries: list[Entry], size: int) -> list[list[Entry]]:
    return [entries[i : i + size] for i in range(0, len(entries), size)]


def body_of(entries: Iterable[Entry]) -> dict[str, list[dict[str, Any]]]:
    body: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        body.setdefault(entry.group, []).append(entry.body)
    return body


# ----- the plan of a run -------------------------------------------------------------------


@dataclass(slots=True)
class Plan:
    kinds: dict[str, list[KindPlan]]
    lists: list[ListPlan]

    def count(self, kind: str) -> int:
        if kind == "lists":
            return sum(len(lp.plan.add) for lp in self.lists)
        return sum(len(p.add) for p in self.kinds.get(kind, []))


def make_plan(
    backup: Mapping[str, Any],
    account: Mapping[str, Any],
    only: tuple[str, ...],
    mapping: Mapping[str, int],
) -> Plan:
    kinds: dict[str, list[KindPlan]] = {}
    if "history" in only:
        kinds["history"] = [plan_history(backup, account)]
    if "ratings" in only:
        kinds["ratings"] = [plan_ratings(backup, account)]
    if "watchlist" in only:
        rows = backup.get("watchlist.json") or []
        kinds["watchlist"] = [
            plan_listed("watchlist", "/sync/watchlist", rows, account.get("watchlist.json") or [])
        ]
    if "collection" in only:
        kinds["collection"] = [plan_collection(backup, account)]
    if "favorites" in only:
        rows = backup.get("favorites.json") or []
        kinds["favorites"] = [
            plan_listed("favorites", "/sync/favorites", rows, account.get("favorites.json") or [])
        ]
    if "hidden" in only:
        kinds["hidden"] = plan_hidden(backup, account)
    lists = plan_lists(backup, account, mapping) if "lists" in only else []
    return Plan(kinds, lists)


def plan_lines(plan: Plan, source: str, target: str, only: tuple[str, ...]) -> list[str]:
    lines = [f"Restore plan: the backup of {source} into the account {target}"]
    for kind in KINDS:
        if kind not in only:
            continue
        parts = plan.kinds.get(kind, [])
        if kind == "lists":
            create = sum(lp.target is None for lp in plan.lists)
            items = plan.count("lists")
            detail = f"{create} to create, {items} items to add"
            present = sum(lp.plan.present for lp in plan.lists)
            gone: Counter[str] = sum((lp.plan.unrestorable for lp in plan.lists), Counter())
            differs = 0
        else:
            detail = f"{sum(len(p.add) for p in parts)} to add"
            present = sum(p.present for p in parts)
            gone = sum((p.unrestorable for p in parts), Counter())
            differs = sum(p.differs for p in parts)
        detail += f", {present} already there"
        if differs:
            verb = "differs and is" if differs == 1 else "differ and are"
            detail += f", {differs} {verb} left alone"
        for reason, count in gone.items():
            if count:
                detail += f", {count} never restored ({reason})"
        if kind == "history":
            detail += "; the play's action (scrobble, checkin, watch) is not restorable"
        lines.append(f"  {kind}: {detail}")
    never = "; ".join(f"{what} ({why})" for what, why in NEVER.items())
    lines.append(f"  not restored: {never}")
    return lines
