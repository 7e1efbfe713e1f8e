"""`trakt-export auth login | status | logout`: the saved Trakt login (never printing the token)."""

from __future__ import annotations

import sys
import time
from datetime import datetime

import typer

from trakt_export.cli.common import load_settings
from trakt_export.cli.console import guarded, say

LOGIN_CANCELLED = "Login cancelled; run `trakt-export auth login` again when ready."

app = typer.Typer(help="Log in to Trakt, show or remove the saved login.", no_args_is_help=True)


def _when(epoch: int) -> str:
    return datetime.fromtimestamp(epoch).astimezone().strftime("%Y-%m-%d %H:%M %Z")


def _remaining(expires_at: int, now: float) -> str:
    from trakt_export.transport.metrics import duration

    left = expires_at - now
    if left >= 0:
        return f"expires in {duration(left)}"
    return f"expired {duration(left)} ago"


@app.command()
@guarded
def login() -> None:
    """Log in with Trakt's device flow: open the printed URL and enter the code."""
    import asyncio

    from trakt_export.run.login import device_login

    settings = load_settings()
    # The URL and code are printed even with --quiet: without them no login can happen.
    try:
        token = asyncio.run(device_login(settings))
    except KeyboardInterrupt as exc:  # a login writes no output: "outputs intact" means nothing
        from trakt_export.cli.console import STATE, error_lines
        from trakt_export.signals import Terminated, terminated

        STATE.interrupt_reported = True
        error_lines([LOGIN_CANCELLED])
        stopped = isinstance(exc, Terminated) or terminated()
        raise typer.Exit(143 if stopped else 130) from None
    who = token.username or "your Trakt account"
    say(
        f"Logged in as {who}; login saved to {settings.paths.token_file} "
        f"(token {_remaining(token.expires_at, time.time())}, refreshed automatically)."
    )


@app.command()
@guarded
def status() -> None:
    """Show who is logged in and when the token expires (never the token itself)."""
    from trakt_export.auth.tokens import TokenStore

    settings = load_settings()
    token = TokenStore(settings.paths.token_file).load()
    if token is None:
        if settings.access_token:
            sys.stdout.write(
                "No saved login; TRAKT_EXPORT_ACCESS_TOKEN supplies a token (it cannot be "
                "refreshed).\n"
            )
            return
        if settings.trakt.username:
            sys.stdout.write(
                f"Not logged in; public mode: exports read the public profile of "
                f"{settings.trakt.username}.\n"
            )
            return
        sys.stdout.write(
            "Not logged in. Run `trakt-export auth login`, or export a public profile with "
            "--user NAME, or work offline with --from-zip PATH.\n"
        )
        return
    now = time.time()
    lines = [
        f"Logged in as: {token.username or '(unknown user)'}",
        f"Token expires: {_when(token.expires_at)} ({_remaining(token.expires_at, now)})",
        f"Token file:    {settings.paths.token_file}",
    ]
    if token.expiring(now, 0):
        lines.append("The next run refreshes it (if Trakt still accepts the refresh token).")
    if settings.access_token:
        lines.append("Note: TRAKT_EXPORT_ACCESS_TOKEN is set and is used instead of this login.")
    sys.stdout.write("\n".join(lines) + "\n")


@app.command()
@guarded
def logout() -> None:
    """Revoke the token at Trakt and delete the saved login."""
    import asyncio

    from trakt_export.auth.tokens import TokenStore
    from trakt_export.errors import AuthError
    from trakt_export.run.login import revoke

    settings = load_settings()
    store = TokenStore(settings.paths.token_file)
    try:
        token = store.load()
    except AuthError:
        store.delete()  # an unreadable login cannot be revoked, but it can still go
        say(f"Deleted the unreadable login {store.path} (it could not be revoked at Trakt).")
        return
    if token is None:
        say(f"Not logged in (no {store.path}); nothing to do.")
        return
    problem = asyncio.run(revoke(settings, token))
    store.delete()
    if problem is None:
        say(f"Logged out: token revoked at Trakt and {store.path} deleted.")
    else:
        say(
            f"Deleted {store.path}, but could not revoke the token at Trakt ({problem}); "
            "revoke it at https://trakt.tv/oauth/authorized_applications."
        )
