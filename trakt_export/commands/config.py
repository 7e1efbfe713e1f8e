"""`trakt-export config` commands (placeholder until its issue lands)."""

from __future__ import annotations

import typer

app = typer.Typer(help="config commands.", no_args_is_help=True)
