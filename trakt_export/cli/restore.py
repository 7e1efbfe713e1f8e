"""`restore DIR [--apply] [--only KINDS]`: the plan on stdout, the summary on stderr."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trakt_export.cli.common import load_settings
from trakt_export.cli.console import STATE, guarded


def register(app: typer.Typer) -> None:
    @app.command()
    @guarded
    def restore(
        directory: Annotated[Path, typer.Argument(help="A backup written by `backup`.")],
        apply: Annotated[
            bool, typer.Option("--apply", help="Write what is missing (default: plan only).")
        ] = False,
        only: Annotated[
            str | None,
            typer.Option(
                "--only",
                metavar="KINDS",
                help="Comma-separated kinds: history, ratings, watchlist, collection, lists, "
                "favorites, hidden.",
            ),
        ] = None,
    ) -> None:
        """Write a backup back to your Trakt account: only what it lacks (--apply)."""
        from trakt_export.cli.export import _finish, _options
        from trakt_export.run.restore import RestoreResult, parse_only, run_restore

        kinds = parse_only(only)
        settings = load_settings()
        options = _options(None, None)

        def run() -> RestoreResult:
            result = run_restore(settings, options, directory, apply, kinds)
            if not (apply and STATE.quiet):
                typer.echo("\n".join(result.plan))
            if result.error is not None:
                raise result.error  # after the plan: the error names what was not restored
            return result

        _finish(options, run)
