"""`trakt-export doctor [--json] [--from-zip PATH]`: one line per check (`run/doctor.py`, or
`run/doctorzip.py` for the free user's ZIP), the exit code of the first problem. The lines (or the
JSON list) are the command's data: stdout."""

from __future__ import annotations

import json
from pathlib import Path
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
        from_zip: Annotated[
            Path | None,
            typer.Option(
                "--from-zip",
                metavar="PATH",
                help="Check Trakt's data-export ZIP instead of credentials (no network).",
            ),
        ] = None,
    ) -> None:
        """Check whether this setup can export, and say how to fix what is wrong."""
        from trakt_export.config import Settings
        from trakt_export.run.doctor import Check, exit_code, run_checks
        from trakt_export.transport.metrics import Metrics

        checks: list[Check]
        if from_zip is not None:
            from trakt_export.run.doctorzip import zip_checks

            checks = zip_checks(from_zip, STATE.config_path)
        else:
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
