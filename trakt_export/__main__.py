"""Allows `python -m trakt_export`."""

from trakt_export.cli import app

app(prog_name="trakt-export")
