"""What Cloudflare, in front of Trakt, answers instead of Trakt: HTML pages and the budget.

Owns the HTML bodies (429 "error 1015", 52x origin errors, the 200 "Just a moment..." challenge),
redirects, and the account-wide sliding GET budget (500 per 300 s per account in 2026). None of
these answers carries Trakt's JSON or its `X-Ratelimit` header.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

HTML_TYPE = "text/html; charset=UTF-8"
LYING_TYPE = "application/json; charset=utf-8"

ACCOUNT_LIMIT = 500
ACCOUNT_PERIOD = 300
ACCOUNT_RETRY_AFTER = 300


@dataclass(frozen=True, slots=True)
class Html:
    """An edge answer: status, extra headers, HTML body, content type, and the fault's kind."""

    status: int
    headers: dict[str, str]
    body: bytes
    content_type: str
    kind: str


def _page(title: str, text: str) -> bytes:
    return (
        '<!DOCTYPE html>\n<html lang="en-US"><head><meta charset="UTF-8">'
        f"<title>{title}</title></head><body><h1>{title}</h1><p>{text}</p>"
        '<div class="cf-footer">Performance &amp; security by Cloudflare</div></body></html>'
    ).encode()


def rate_limited(retry_after: int) -> Html:
    """Cloudflare's 429 (error 1015): HTML, `Retry-After`, and no `X-Ratelimit` header."""
    body = _page(
        "Access denied | api.trakt.tv used Cloudflare to restrict access",
        "Error 1015: You are being rate limited.",
    )
    return Html(429, {"Retry-After": str(retry_after)}, body, HTML_TYPE, "budget")


def challenge(lying: bool) -> Html:
    """The 200 challenge page; `lying` labels it `application/json` as some proxies do."""
    body = _page("Just a moment...", "Enable JavaScript and cookies to continue")
    return Html(
        200, {"cf-mitigated": "challenge"}, body, LYING_TYPE if lying else HTML_TYPE, "challenge"
    )


def redirect(status: int, location: str) -> Html:
    body = _page(f"{status} Moved", f'The document has moved <a href="{location}">here</a>.')
    return Html(status, {"Location": location}, body, HTML_TYPE, "redirect")


class SlidingBudget:
    """`limit` GETs per sliding `period` seconds per account key; tripping it blocks every call
    of that account (any method) for `retry_after` seconds. Refused requests do not count."""

    def __init__(self, limit: int, period: float, retry_after: int) -> None:
        self.limit = limit
        self.period = period
        self.retry_after = retry_after
        self._sent: dict[str, deque[float]] = {}
        self._blocked: dict[str, float] = {}

    def check(self, key: str, method: str, now: float) -> Html | None:
        until = self._blocked.get(key)
        if until is not None:
            if now < until:
                return rate_limited(max(1, math.ceil(until - now)))
            del self._blocked[key]
        sent = self._sent.setdefault(key, deque())
        while sent and sent[0] <= now - self.period:
            sent.popleft()
        if method != "GET":
            return None
        if len(sent) >= self.limit:
            self._blocked[key] = now + self.retry_after
            return rate_limited(self.retry_after)
        sent.append(now)
        return None

    def used(self, key: str) -> int:
        """GETs of `key` inside the current window (as of the last check)."""
        return len(self._sent.get(key, ()))
