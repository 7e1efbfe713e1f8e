"""Access refusals of the fake: Cloudflare's 403, account statuses 420/423/426, a deleted app.

Real Trakt refuses requests for reasons that have nothing to do with the data (TRAKT-REALITY.md,
"Rate limits and blocking" and "Access"):

- Cloudflare answers `403` with an HTML page ("error code: 1010") to a missing or library-default
  `User-Agent` (`require_user_agent`, off by default: the fake's own tests use httpx's default)
  and to a capitalised `Trakt-Api-Key` header name over HTTP/1.1 (`reject_capitalised_headers`).
- `420` account limit exceeded, `423` locked account, `426` VIP required: empty bodies (the
  contract's `z.undefined()`) with the headers Trakt documents (`X-Account-Limit`,
  `X-Upgrade-URL`, `X-VIP-User`, `X-Account-Locked`, `X-Account-Deactivated`).
  `UserData.locked` makes every call as or about that user 423; `vip_only` names path segments
  (e.g. `"notes"`) a user without `UserData.vip` gets 426 for.
- `status_for(path_prefix, status)` forces any of these (or another status) on matching paths.
- A deleted or blocked app (`oauth_state(fake).app_status`) gets a bare 403 on API calls.

`Access.screen` runs before faults and routing; None lets the request through.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from trakt_fake.records import Token, UserData

if TYPE_CHECKING:
    from trakt_fake.server import FakeTrakt

UPGRADE_URL = "https://trakt.tv/vip"
CLOUDFLARE_RAY = "8f2b3c4d5e6f7a8b"
# User-Agent prefixes Cloudflare treats as bots (library defaults).
LIBRARY_AGENTS = (
    "python-httpx/",
    "python-requests/",
    "python-urllib/",
    "aiohttp/",
    "go-http-client/",
    "okhttp/",
)


def cloudflare_403() -> httpx.Response:
    """Cloudflare's "Access denied" page for a banned browser signature (error 1010)."""
    html = (
        "<!DOCTYPE html><html><head><title>Access denied | api.trakt.tv used Cloudflare to "
        "restrict access</title></head><body><h1>Access denied</h1>"
        "<p>error code: 1010</p>"
        "<p>The owner of this website (api.trakt.tv) has banned your access based on your "
        f"browser's signature ({CLOUDFLARE_RAY}-FRA).</p></body></html>"
    )
    return httpx.Response(
        403,
        headers={
            "Content-Type": "text/html; charset=UTF-8",
            "Server": "cloudflare",
            "CF-RAY": f"{CLOUDFLARE_RAY}-FRA",
        },
        content=html.encode(),
    )


def account_status(status: int, user: UserData | None = None, limit: int = 100) -> httpx.Response:
    """Trakt's 420/423/426 (empty body, documented headers); other statuses as bare answers."""
    vip = "true" if user is not None and user.vip else "false"
    headers: dict[str, str] = {}
    if status == 420:
        headers = {"X-Account-Limit": str(limit), "X-Upgrade-URL": UPGRADE_URL, "X-VIP-User": vip}
    elif status == 423:
        headers = {"X-Account-Locked": "true", "X-Account-Deactivated": "false"}
    elif status == 426:
        headers = {"X-Upgrade-URL": UPGRADE_URL, "X-VIP-User": vip}
    elif status == 403:
        return cloudflare_403()
    return httpx.Response(status, headers=headers, content=b"")


@dataclass(slots=True)
class _Rule:
    prefix: str
    status: int
    left: int | None  # None: until cleared


class Access:
    """Knobs for access refusals; all off by default. `clear()` turns them off again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.require_user_agent = False
        self.reject_capitalised_headers = False
        self.vip_only: set[str] = set()
        self._rules: list[_Rule] = []

    def clear(self) -> None:
        with self._lock:
            self.require_user_agent = False
            self.reject_capitalised_headers = False
            self.vip_only = set()
            self._rules = []

    def status_for(self, path_prefix: str, status: int, times: int | None = None) -> None:
        """Requests whose path starts with `path_prefix` answer `status` (420, 423, 426, a
        Cloudflare 403 for 403, or any other status with an empty body); `times` limits how
        many requests it applies to (None: until `clear()`)."""
        with self._lock:
            self._rules.append(_Rule(path_prefix, status, times))

    # ----- used by the server ---------------------------------------------------------------

    def screen(
        self, fake: FakeTrakt, request: httpx.Request, path: str, token: Token | str | None
    ) -> httpx.Response | None:
        """The refusal for this request, or None to let it through."""
        if self.require_user_agent and _library_agent(request.headers.get("user-agent")):
            return cloudflare_403()
        if self.reject_capitalised_headers and any(
            name != name.lower() and name.lower() == b"trakt-api-key"
            for name, _ in request.headers.raw
        ):
            return cloudflare_403()
        rule = self._take_rule(path)
        with fake.lock:
            user = _user_of(fake, path, token)
        if rule is not None:
            return account_status(rule, user)
        if path.startswith("/oauth/"):
            return None
        from trakt_fake.oauth import oauth_state

        if oauth_state(fake).app_status != "active":
            return httpx.Response(403, content=b"")  # Trakt's bare 403 for a dead app
        if user is None:
            return None
        if user.locked:
            return account_status(423, user)
        if not user.vip and self.vip_only:
            segments = set(path.strip("/").split("/")[1:])
            if segments & self.vip_only:
                return account_status(426, user)
        return None

    def _take_rule(self, path: str) -> int | None:
        with self._lock:
            for i, rule in enumerate(self._rules):
                if path.startswith(rule.prefix):
                    if rule.left is not None:
                        rule.left -= 1
                        if rule.left <= 0:
                            del self._rules[i]
                    return rule.status
        return None


def _library_agent(agent: str | None) -> bool:
    if agent is None or not agent.strip():
        return True
    return agent.strip().lower().startswith(LIBRARY_AGENTS)


def _user_of(fake: FakeTrakt, path: str, token: Token | str | None) -> UserData | None:
    """The account a request acts as (its token's user) or, without a token, the one it names."""
    if isinstance(token, Token):
        return fake.dataset.user(token.username)
    parts = path.strip("/").split("/")
    if len(parts) >= 2 and parts[0] == "users" and parts[1] not in ("me", "settings"):
        return fake.dataset.user(parts[1])
    return None
