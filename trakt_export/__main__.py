"""Allows `python -m trakt_export`."""

from trakt_export.cli.app import main

main()
