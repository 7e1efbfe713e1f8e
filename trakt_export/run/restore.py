"""`restore DIR`: write what a verified backup holds and the account lacks — planned, paced,
never blind, checked afterwards (SPEC §1 v2.2).

1. The backup is checked like `backup --verify` (damaged: exit 2) and read.
2. The account is read through `backup`'s read path (its parts and `fetch_part`), cache off.
3. `restoreplan` compares them per kind; the plan goes to stdout (the CLI prints it).
4. With `apply`: batches of at most 100 items, each one POST, paced by the transport's write
   limiter (1 per second). A 429 changed nothing and is sent again once the limiter's pause
   ends; a 420 stops that kind (exit 3 at the end); an answer that may or may not have been
   applied (timeout, reset, 5xx) is followed by a fresh read and a new plan for that kind —
   never a blind resend. Acknowledged batches are journaled in the data dir (`restore-
   journal.jsonl`, with Trakt's time of the answer): every read after writes — in this run or
   a rerun — counts only once last_activities has reached that time, so a read that lags
   behind a write never makes its items go twice.
   Lists created are mapped in `restore-lists.json`, so a rerun never creates one twice.
5. The account is read again and every planned item checked (exit 4 naming what is missing).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import math
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx

from trakt_export.config import Settings
from trakt_export.errors import (
    AuthError,
    RateLimitError,
    TraktExportError,
    TraktUnavailableError,
)
from trakt_export.progress import Observer, RunStats
from trakt_export.run.backup import fetch_part, list_parts, plan
from trakt_export.run.backupdir import read_manifest, verify
from trakt_export.run.restoreplan import (
    KINDS,
    NEVER,
    Entry,
    KindPlan,
    ListPlan,
    body_of,
    plan_collection,
    plan_hidden,
    plan_history,
    plan_listed,
    plan_lists,
    plan_ratings,
)
from trakt_export.run.session import Options, connect, credentials, locked
from trakt_export.sources.api import TraktAPI, gather_all
from trakt_export.transport.client import decode_json, error_for_status

log = logging.getLogger(__name__)

BATCH = 100  # items per write request (SPEC §1)
REREADS = 5  # ambiguous writes of one kind before the run gives up (exit 4)
MAX_429 = 30  # 429s in a row before the run gives up
SETTLE_TRIES = 10  # reads after writes: seconds to wait for last_activities to catch up
Sleep = Callable[[float], Awaitable[object]]
JOURNAL = "restore-journal.jsonl"
LIST_MAP = "restore-lists.json"
READ_FILES = (
    "history-",
    "ratings-",
    "collection-",
    "watchlist",
    "lists.json",
    "favorites",
    "hidden-",
)


class AccountLimitError(AuthError):
    """A free account's limit (420) stopped some kinds: exit 3."""


class NotRestoredError(TraktUnavailableError):
    """Planned items missing after the writes: exit 4."""


class Ambiguous(Exception):
    """A write whose outcome is unknown: it may have been applied."""


@dataclass(slots=True)
class Outcome:
    kind: str
    planned: int = 0
    added: int = 0
    existing: int = 0
    not_found: set[tuple[str, Any]] = field(default_factory=set)
    stopped: str = ""  # why a 420 stopped the kind
    unrestored: int = 0
    missing: int = 0


@dataclass(slots=True)
class RestoreResult:
    plan: list[str]
    applied: bool
    outcomes: dict[str, Outcome]
    writes: int
    stats: RunStats
    elapsed: float
    error: TraktExportError | None = None

    def summary(self, warnings: int = 0) -> str:
        from trakt_export.transport.metrics import plural, summary_tail

        tail = summary_tail(self.stats, warnings, self.elapsed)
        planned = sum(o.planned for o in self.outcomes.values())
        if not self.applied:
            what = "nothing to restore" if not planned else f"{plural(planned, 'item')} to add"
            return f"Dry run, nothing written ({what}; --apply writes it); {tail}"
        added = sum(o.added for o in self.outcomes.values())
        if not planned:
            return f"Nothing to restore: the account holds everything the backup can give; {tail}"
        return (
            f"Restored {plural(added, 'item')} in {plural(self.writes, 'write')}; every planned "
            f"item checked; {tail}"
        )


# ----- reading ---------------------------------------------------------------------------


def read_backup(directory: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The verified backup's manifest and its files, parsed."""
    verify(directory)  # VerifyError (exit 2) names what is missing or differs
    manifest = read_manifest(directory) or {}
    files = {}
    for name in manifest.get("files", {}):
        files[name] = json.loads((directory / name).read_bytes())
    return manifest, files


async def read_account(
    api: TraktAPI, after: float | None = None, sleep: Sleep | None = None
) -> dict[str, Any]:
    """The account's restorable listings, read as `backup` reads them (live). After writes, the
    read counts only once last_activities shows a time at or after the last acknowledged one
    (`after`, Trakt's own clock): until then Trakt may still serve the state before it."""
    for _ in range(SETTLE_TRIES):
        await api.start()
        if after is None or _epoch(api.activities.get("all")) >= after:
            break
        await (sleep or asyncio.sleep)(1.0)
    parts = [p for p in plan(api)[0] if p.file.startswith(READ_FILES)]
    fetched = await gather_all(fetch_part(api, p) for p in parts)
    files = {f.part.file: f.data for f in fetched if f.status is None}
    lists = files.get("lists.json")
    if isinstance(lists, list) and lists:
        more = await gather_all(fetch_part(api, p) for p in list_parts(api, lists))
        files |= {f.part.file: f.data for f in more if f.status is None}
    return files


def _epoch(stamp: Any) -> float:
    try:
        return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return math.inf  # no stamp to compare: nothing to wait for


def _answered_at(response: httpx.Response) -> float | None:
    """When Trakt answered, by its own clock (the Date header, to the second)."""
    try:
        return parsedate_to_datetime(response.headers["Date"]).timestamp()
    except (KeyError, TypeError, ValueError):
        return None


# ----- journal and list mapping -------------------------------------------------------------


class Journal:
    """Acknowledged batches, one JSON line each, per target account (fsync'ed)."""

    def __init__(self, data_dir: Path, account: str) -> None:
        self.path = data_dir / JOURNAL
        self.account = account

    def last_ack(self) -> float | None:
        """Trakt's time of the last write acknowledged to this account, by any earlier run."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return None
        last: float | None = None
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line cut by a kill: that batch was never recorded as acknowledged
            acked = record.get("acked") if isinstance(record, dict) else None
            if record.get("account") == self.account and isinstance(acked, (int, float)):
                last = acked if last is None else max(last, acked)
        return last

    def write(self, kind: str, path: str, entries: list[Entry], acked: float | None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = [list(e.key) for e in entries]
        record = {"account": self.account, "kind": kind, "path": path, "acked": acked}
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record | {"keys": keys}) + "\n")
            out.flush()
            os.fsync(out.fileno())


def load_mapping(data_dir: Path, account: str) -> dict[str, int]:
    try:
        data = json.loads((data_dir / LIST_MAP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    mine = data.get(account) if isinstance(data, dict) else None
    return (
        {str(k): v for k, v in mine.items() if isinstance(v, int)} if isinstance(mine, dict) else {}
    )


def save_mapping(data_dir: Path, account: str, source: int, target: int) -> None:
    path = data_dir / LIST_MAP
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    data.setdefault(account, {})[str(source)] = target
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(temporary, path)


# ----- the plan --------------------------------------------------------------------------


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


# ----- writing ---------------------------------------------------------------------------


class Writer:
    """Sends one kind's batches; counts Trakt's answers; turns doubt into a re-read."""

    def __init__(
        self,
        api: TraktAPI,
        journal: Journal,
        observer: Observer,
        sleep: Sleep | None,
        clock: Callable[[], float] | None,
    ) -> None:
        self.api = api
        self.clock = clock or time.time
        self.journal = journal
        self.observer = observer
        self.sleep = sleep
        self.writes = 0
        self.acked: float | None = None  # Trakt's time of the last acknowledged write

    async def reread(self) -> dict[str, Any]:
        return await read_account(self.api, self.acked, self.sleep)

    async def post(self, path: str, body: Mapping[str, Any]) -> Any:
        """One write; its parsed answer. Raises Ambiguous when it may have been applied,
        AccountLimitError on 420."""
        for _ in range(MAX_429):
            try:
                response = await self.api.http.post(path, json=body)
            except TraktUnavailableError as exc:
                if isinstance(exc.__cause__, httpx.ConnectError):
                    continue  # refused: it certainly never reached Trakt
                raise Ambiguous(str(exc)) from exc
            except httpx.TransportError as exc:
                if isinstance(exc, httpx.ConnectError):
                    continue
                raise Ambiguous(str(exc)) from exc
            self.writes += 1
            status = response.status_code
            if status == 429:
                continue  # nothing was handled; the limiter waits out Retry-After
            if status == 420:
                limit = response.headers.get("X-Account-Limit", "?")
                raise AccountLimitError(limit, "")
            if status >= 500:
                raise Ambiguous(f"Trakt answered {status}")
            error = error_for_status(response)
            if error is not None:
                raise error
            # Trakt's clock when it sends a Date (it always does), else ours.
            answered = _answered_at(response) or self.clock()
            self.acked = max(self.acked or answered, answered)
            return decode_json(response)
        raise RateLimitError(
            f"Trakt kept answering 429 to the writes at {path}.", "Run restore again later."
        )

    async def send(
        self, kind: str, first: KindPlan, replan: Callable[[], Any], outcome: Outcome
    ) -> None:
        todo = list(first.add)
        path = first.path
        rereads = 0
        progress = f"restore {kind}"
        self.observer.start(progress, math.ceil(len(todo) / BATCH))
        while todo:
            batch = todo[:BATCH]
            try:
                answer = await self.post(path, body_of(batch))
            except Ambiguous as why:
                rereads += 1
                if rereads > REREADS:
                    raise TraktUnavailableError(
                        f"writes to {path} kept ending without an answer ({why}).",
                        "Run restore again later: it completes what is missing.",
                    ) from None
                log.info("write to %s ended without an answer (%s): reading again", path, why)
                fresh: KindPlan = await replan()
                todo = list(fresh.add)
                continue
            except AccountLimitError as limit:
                outcome.stopped = f"over the free account's limit of {limit}"
                outcome.unrestored += len(todo)
                return
            self.journal.write(kind, path, batch, self.acked)
            _count(answer, outcome)
            todo = todo[BATCH:]
            self.observer.advance(progress)


def _count(answer: Any, outcome: Outcome) -> None:
    if not isinstance(answer, dict):
        return
    for field_name in ("added", "existing"):
        counts = answer.get(field_name)
        if isinstance(counts, dict):
            total = sum(v for v in counts.values() if isinstance(v, int))
            setattr(outcome, field_name, getattr(outcome, field_name) + total)
    missing = answer.get("not_found")
    if isinstance(missing, dict):
        for group, items in missing.items():
            for item in items if isinstance(items, list) else []:
                ids = item.get("ids") if isinstance(item, dict) else None
                trakt = ids.get("trakt") if isinstance(ids, dict) else None
                outcome.not_found.add((group, trakt))
                log.info("Trakt does not know %s %s", group, json.dumps(item))


async def _restore(
    settings: Settings,
    options: Options,
    stats: RunStats,
    directory: Path,
    apply: bool,
    only: tuple[str, ...],
) -> RestoreResult:
    started = time.perf_counter()
    manifest, backup = read_backup(directory)
    data_dir = settings.paths.data_dir
    async with connect(settings, options, stats) as api:
        await api.start()
        target = api.account
        journal = Journal(data_dir, target)
        # Writes an earlier run had acknowledged must show in this read (never resent).
        account = await read_account(api, journal.last_ack(), options.sleep)
        plan = make_plan(backup, account, only, load_mapping(data_dir, target))
        lines = plan_lines(plan, str(manifest.get("account") or "?"), target, only)
        outcomes = {k: Outcome(k, plan.count(k)) for k in KINDS if k in only}
        if not apply:
            return RestoreResult(lines, False, outcomes, 0, stats, time.perf_counter() - started)
        for line in lines:
            log.debug("%s", line)
        writer = Writer(api, journal, options.observer, options.sleep, options.clock)
        for kind in KINDS:
            if kind not in only or kind == "lists":
                continue
            for index, part in enumerate(plan.kinds.get(kind, [])):
                if not part.add:
                    continue

                async def replan(kind: str = kind, index: int = index) -> KindPlan:
                    fresh = await writer.reread()
                    again = make_plan(backup, fresh, (kind,), {})
                    return again.kinds[kind][index]

                await writer.send(kind, part, replan, outcomes[kind])
        if "lists" in only:
            await _restore_lists(api, writer, backup, plan, data_dir, target, outcomes["lists"])
        # Check every planned item is there now.
        final = make_plan(backup, await writer.reread(), only, load_mapping(data_dir, target))
        error = _check(final, outcomes)
        return RestoreResult(
            lines, True, outcomes, writer.writes, stats, time.perf_counter() - started, error
        )


async def _restore_lists(
    api: TraktAPI,
    writer: Writer,
    backup: Mapping[str, Any],
    plan: Plan,
    data_dir: Path,
    target: str,
    outcome: Outcome,
) -> None:
    for index, listed in enumerate(plan.lists):
        if outcome.stopped:
            outcome.unrestored += len(listed.plan.add)
            continue
        if listed.target is None:
            try:
                created = await writer.post("/users/me/lists", listed.meta)
            except Ambiguous:
                fresh = plan_lists(backup, await writer.reread(), load_mapping(data_dir, target))
                if fresh[index].target is None:
                    raise TraktUnavailableError(
                        f"creating the list {listed.meta.get('name')!r} ended without an answer.",
                        "Run restore again: it finds the list or creates it.",
                    ) from None
                created = {"ids": {"trakt": fresh[index].target}}
            except AccountLimitError as limit:
                outcome.stopped = f"over the free account's limit of {limit} personal lists"
                outcome.unrestored += len(listed.plan.add) + 1
                continue
            new_id = (created.get("ids") or {}).get("trakt") if isinstance(created, dict) else None
            if not isinstance(new_id, int):
                raise TraktUnavailableError("Trakt created a list without an id.", "Try again.")
            save_mapping(data_dir, target, listed.source, new_id)
            listed.target = new_id
            listed.plan.path = f"/users/me/lists/{new_id}/items"
        if not listed.plan.add:
            continue

        async def replan(index: int = index) -> KindPlan:
            fresh = await writer.reread()
            return plan_lists(backup, fresh, load_mapping(data_dir, target))[index].plan

        await writer.send("lists", listed.plan, replan, outcome)


def _check(final: Plan, outcomes: dict[str, Outcome]) -> TraktExportError | None:
    """Every planned item of a kind not stopped is in the account now (not_found aside)."""
    missing: list[str] = []
    for kind, outcome in outcomes.items():
        if outcome.stopped:
            continue
        parts = final.kinds.get(kind, []) if kind != "lists" else [lp.plan for lp in final.lists]
        left = [
            e
            for p in parts
            for e in p.add
            if (e.group, (e.body.get("ids") or {}).get("trakt")) not in outcome.not_found
        ]
        outcome.missing = len(left)
        if left:
            missing.append(f"{kind}: {len(left)}")
    stopped = {k: o for k, o in outcomes.items() if o.stopped}
    for outcome in outcomes.values():
        if outcome.not_found:
            log.warning(
                "%s: Trakt does not know %d items; they were not restored (-v lists them).",
                outcome.kind,
                len(outcome.not_found),
            )
    named = ", ".join(f"{k}: {o.unrestored} not restored ({o.stopped})" for k, o in stopped.items())
    if missing:  # exit 4 wins over 3; the message names both
        limits = f"; also {named}" if named else ""
        return NotRestoredError(
            f"after the writes the account still lacks planned items ({', '.join(missing)})"
            f"{limits}.",
            "Run restore again: it writes only what is missing.",
        )
    if stopped:
        return AccountLimitError(
            f"Trakt's account limits stopped part of the restore ({named}).",
            "Upgrade to VIP (https://trakt.tv/vip) or make room, then run restore again.",
        )
    return None


def parse_only(raw: str | None) -> tuple[str, ...]:
    from trakt_export.errors import UsageError

    if not raw:
        return KINDS
    chosen = tuple(k.strip() for k in raw.split(",") if k.strip())
    unknown = [k for k in chosen if k not in KINDS]
    if unknown or not chosen:
        raise UsageError(
            f"--only takes kinds from {','.join(KINDS)}; not {', '.join(unknown) or raw!r}.",
            "For example: --only history,ratings",
        )
    return tuple(k for k in KINDS if k in chosen)


def run_restore(
    settings: Settings, options: Options, directory: Path, apply: bool, only: tuple[str, ...]
) -> RestoreResult:
    if credentials(settings).user is not None:
        raise AuthError(
            "restore writes to your own account and needs a login (public-profile mode reads).",
            "Run `trakt-export auth login` first.",
        )
    stats = RunStats()
    options = dataclasses.replace(options, cache_mode="off")  # restore reads bypass the cache
    with locked(settings):
        return asyncio.run(_restore(settings, options, stats, directory, apply, only))
