"""Request counters of the fake: totals, per path and status, concurrency, 429s, faults, the log."""

from __future__ import annotations

import threading
from collections import Counter
from typing import NamedTuple


class Seen(NamedTuple):
    """One received request as the fake saw it (header names lowercased)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class Stats:
    """Thread-safe counters. `in_flight` counts requests inside the handler, latency included."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.in_flight = 0
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.total = 0
            self.by_path: Counter[str] = Counter()
            self.by_status: Counter[int] = Counter()
            # Requests already inside stay counted, so max starts from them.
            self.max_in_flight = self.in_flight
            self.served_429 = 0
            # Answers given by a fault instead of Trakt, by kind ("budget" = refused with 429
            # by the account budget, "challenge", "redirect").
            self.faults: Counter[str] = Counter()
            self.requests: list[Seen] = []

    def enter(self, seen: Seen) -> None:
        with self._lock:
            self.total += 1
            self.by_path[f"{seen.method} {seen.path}"] += 1
            self.requests.append(seen)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def fault(self, kind: str) -> None:
        with self._lock:
            self.faults[kind] += 1

    @property
    def budget_refused(self) -> int:
        """Requests the account budget refused with Cloudflare's 429."""
        return self.faults["budget"]

    def leave(self, status: int | None) -> None:
        """`status` is None when the connection was dropped instead of answered."""
        with self._lock:
            self.in_flight -= 1
            if status is not None:
                self.by_status[status] += 1
                if status == 429:
                    self.served_429 += 1
