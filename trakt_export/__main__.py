"""Allows `python -m trakt_export`."""

from trakt_export.cli import main

main()
