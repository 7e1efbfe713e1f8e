"""The command line (Typer and rich only): parse, resolve settings, call `run`, map errors once.

Nothing below this package imports typer, click or rich (the layers contract in pyproject.toml).
"""
