"""`restore`'s writes: one POST per batch through the run's client (paced by the transport's
write limiter), Trakt's answers counted; a 429 is sent again (Trakt handled nothing), a 420
stops the kind, and an answer that never came (timeout, reset, 5xx) becomes a re-read and a
new plan — never a blind resend."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from trakt_export.errors import (
    AuthError,
    RateLimitError,
    TraktUnavailableError,
)
from trakt_export.progress import Observer
from trakt_export.run.restoreplan import KindPlan, body_of
from trakt_export.run.restoreread import Sleep, read_account
from trakt_export.run.restorestate import Journal
from trakt_export.sources.api import TraktAPI
from trakt_export.transport.client import decode_json, error_for_status

log = logging.getLogger(__name__)

BATCH = 100  # items per write request (SPEC §1)
REREADS = 5  # ambiguous writes of one kind before the run gives up (exit 4)
MAX_429 = 30  # 429s in a row before the run gives up


class AccountLimitError(AuthError):
    """A free account's limit (420) stopped some kinds: exit 3."""


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


def _answered_at(response: httpx.Response) -> float | None:
    """When Trakt answered, by its own clock (the Date header, to the second)."""
    try:
        return parsedate_to_datetime(response.headers["Date"]).timestamp()
    except (KeyError, TypeError, ValueError):
        return None


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
