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

import dataclasses
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trakt_export.config import Settings
from trakt_export.errors import (
    AuthError,
    TraktExportError,
    TraktUnavailableError,
)
from trakt_export.run.lifecycle import lifecycle
from trakt_export.run.restoreplan import KINDS, KindPlan, Plan, make_plan, plan_lines, plan_lists
from trakt_export.run.restoreread import read_account, read_backup
from trakt_export.run.restorestate import Journal, load_mapping, save_mapping
from trakt_export.run.restorewrite import AccountLimitError, Ambiguous, Outcome, Writer
from trakt_export.run.session import Options, connect, credentials
from trakt_export.sources.api import TraktAPI
from trakt_export.transport.metrics import Metrics

log = logging.getLogger(__name__)


class NotRestoredError(TraktUnavailableError):
    """Planned items missing after the writes: exit 4."""


@dataclass(slots=True)
class RestoreResult:
    plan: list[str]
    applied: bool
    outcomes: dict[str, Outcome]
    writes: int
    stats: Metrics  # the run's one collector
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


async def _restore(
    settings: Settings,
    options: Options,
    stats: Metrics,
    directory: Path,
    apply: bool,
    only: tuple[str, ...],
) -> RestoreResult:
    started = time.perf_counter()
    manifest, backup = read_backup(directory)
    data_dir = settings.paths.data_dir
    async with connect(settings, options) as api:
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
        if outcome.stopped:  # a 420 stops the kind: lists not created count as one item each
            outcome.unrestored += len(listed.plan.add) + (listed.target is None)
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
    options = dataclasses.replace(options, cache_mode="off")  # restore reads bypass the cache
    with lifecycle(settings, options) as run:
        return run.loop(_restore(settings, run.options, run.metrics, directory, apply, only))
