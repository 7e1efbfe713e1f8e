"""`trakt-export doctor [--json]`: one line per check (`run/doctor.py`), the exit code of the first
problem. The lines (or the JSON list) are the command's data: stdout."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from trakt_export.cli.console import STATE, guarded


def register(app: typer.Typer) -> None:
    @app.command()
    @guarded
    def doctor(
        as_json: Annotated[
            bool, typer.Option("--json", help="Print the checks as a JSON list.")
        ] = False,
    ) -> None:
        """Check whether this setup can export, and say how to fix what is wrong."""
        from trakt_export.config import Settings
        from trakt_export.run.doctor import exit_code, run_checks
        from trakt_export.transport.metrics import Metrics

        STATE.metrics = Metrics()

        def keep(settings: Settings) -> None:
            STATE.settings = settings

        checks = run_checks(STATE.config_path, metrics=STATE.metrics, on_settings=keep)
        if as_json:
            print(json.dumps([check.as_dict() for check in checks], indent=2))
        else:
            print("\n".join(check.line() for check in checks))
        code = exit_code(checks)
        if code:
            raise typer.Exit(code)
