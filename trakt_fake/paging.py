"""Pagination as Trakt really serves it: hidden items, duplicates, absurd and missing headers.

Owns the page-level rules the server consults while building a listing page (`plan`: which
slice of the endpoint's ordered entries a page holds, minus hidden ones) and after it
(`finish`: rewriting `X-Pagination-*` headers, adding an exhausted `X-Ratelimit`).

- Hidden items (`hide`): they keep their slot in the ordering and in `X-Pagination-Item-Count`
  (so the page count is computed from the announced count), but no page serves them; the page
  that held them is short although later pages exist. They are picked by identity at the first
  request (history/list-item `id`, else the film or show), so they stay hidden when the data
  shifts, forever.
- Duplicates (`duplicate`): page `page + 1` starts with the last item of page `page`; by
  default it still holds `limit` items, so its own last item is served nowhere (duplicate *and*
  missing, the reported symptom); `keep_all` serves `limit + 1` items instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from trakt_fake.records import iso

_PAGINATION = ("x-pagination-page", "x-pagination-limit", "x-pagination-page-count")


def entry_key(entry: Any) -> Any:
    """A stable identity for a listing entry: its own `id`, else the film/show/item it is of."""
    ident = getattr(entry, "id", None)
    if ident is not None:
        return ("id", ident)
    for attr in ("item", "film", "show"):
        thing = getattr(entry, attr, None)
        if thing is not None:
            return (attr, thing)
    return ("object", id(entry))


@dataclass(slots=True)
class HiddenItems:
    count: int
    at: int | None
    keys: frozenset[Any] | None = None


@dataclass(frozen=True, slots=True)
class AbsurdCount:
    page_count: int
    consistent: bool
    prefix: str | None


class PageRules:
    """State of the page-level knobs; `Faults` owns one and guards it with its lock."""

    def __init__(self) -> None:
        self.hidden: dict[str, HiddenItems] = {}
        self.duplicates: dict[str, tuple[int, bool]] = {}
        self.absurd: AbsurdCount | None = None
        self.strip: list[str | None] = []  # path prefixes (None: every path)
        self.exhausted: list[int | None] | None = None  # [remaining n or None, until_in]
        self.exhausted_until_in = 3600

    # ----- while building the page -----------------------------------------------------------

    def plan(
        self, path: str, page: int, limit: int, entries: Sequence[Any], served: int
    ) -> tuple[int, int, frozenset[int]]:
        """(start, stop, hidden positions) of the slice `entries[start:stop]` this page holds."""
        start = (page - 1) * limit
        stop = min(start + limit, served)
        dup = self.duplicates.get(path)
        if dup is not None and page == dup[0] + 1 and start > 0:
            start -= 1
            if not dup[1]:
                stop = min(start + limit, served)
        hidden = frozenset[int]()
        rule = self.hidden.get(path)
        if rule is not None:
            hidden = self._positions(rule, entries, start, stop)
        return start, stop, hidden

    @staticmethod
    def _positions(
        rule: HiddenItems, entries: Sequence[Any], start: int, stop: int
    ) -> frozenset[int]:
        if rule.keys is None:
            first = len(entries) // 2 if rule.at is None else rule.at
            first = max(0, min(first, len(entries) - rule.count))
            picked = range(first, min(first + rule.count, len(entries)))
            rule.keys = frozenset(entry_key(entries[i]) for i in picked)
        return frozenset(
            i
            for i in range(max(start, 0), min(stop, len(entries)))
            if entry_key(entries[i]) in rule.keys
        )

    # ----- after the response is built -------------------------------------------------------

    def finish(
        self, path: str, response: httpx.Response, clock: Callable[[], float], authed: bool
    ) -> httpx.Response:
        headers = dict(response.headers.items())
        changed = False
        absurd = self.absurd
        if (
            absurd is not None
            and "x-pagination-page-count" in headers
            and (absurd.prefix is None or path.startswith(absurd.prefix))
        ):
            headers["x-pagination-page-count"] = str(absurd.page_count)
            if absurd.consistent:
                limit = int(headers.get("x-pagination-limit", "100"))
                headers["x-pagination-item-count"] = str(absurd.page_count * limit)
            changed = True
        if any(p is None or path.startswith(p) for p in self.strip):
            for name in (*_PAGINATION, "x-pagination-item-count"):
                changed |= headers.pop(name, None) is not None
        if self.exhausted is not None and 200 <= response.status_code < 300:
            left = self.exhausted[0]
            if left is None or left > 0:
                if left is not None:
                    self.exhausted[0] = left - 1
                headers["x-ratelimit"] = exhausted_header(clock() + self.exhausted_until_in, authed)
                changed = True
        if not changed:
            return response
        return httpx.Response(
            response.status_code, headers=list(headers.items()), content=response.content
        )


def exhausted_header(until: float, authed: bool) -> str:
    """Trakt's `X-Ratelimit` JSON with nothing remaining until `until` (epoch seconds)."""
    body = {
        "name": "AUTHED_API_GET_LIMIT" if authed else "UNAUTHED_API_GET_LIMIT",
        "period": 300,
        "limit": 1000,
        "remaining": 0,
        "until": iso(datetime.fromtimestamp(until, UTC)),
    }
    return json.dumps(body, separators=(",", ":"))
