"""Progress observer: a small Protocol the core reports to; the core never imports rich.

The CLI passes a rich implementation on a terminal and the no-op one otherwise (cron).
"""

from __future__ import annotations

from typing import Protocol


class Observer(Protocol):
    def start(self, endpoint: str, total_pages: int) -> None:
        """An endpoint's page count is known (after its page 1)."""

    def advance(self, endpoint: str, pages: int = 1) -> None:
        """Pages of an endpoint are done."""

    def retrying(self, attempt: int, wait: float, reason: str) -> None:
        """A request failed and will be retried after `wait` seconds."""

    def paused(self, until: float, reason: str) -> None:
        """Every request waits until `until` (wall-clock epoch seconds): the client-side limiter
        or a server-requested pause (429 Retry-After, X-Ratelimit). SPEC §1: shown on screen."""


class NullObserver:
    """Reports nothing (non-terminal, --quiet, tests)."""

    def start(self, endpoint: str, total_pages: int) -> None:
        return None

    def advance(self, endpoint: str, pages: int = 1) -> None:
        return None

    def retrying(self, attempt: int, wait: float, reason: str) -> None:
        return None

    def paused(self, until: float, reason: str) -> None:
        return None
