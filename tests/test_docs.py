"""Docs kept true: every command and option is in the README, and its --help block is real."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer.main
from typer.testing import CliRunner

from trakt_export.cli import app

README = Path(__file__).parent.parent / "README.md"
HELP_BLOCK = re.compile(r"<!-- help:start -->\n```\n(.*?)```\n<!-- help:end -->", re.S)


def walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, sub in getattr(command, "commands", {}).items():  # a group (typer vendors click)
        yield from walk(sub, (*path, name))


def command_at(path: tuple[str, ...]) -> Any:
    command: Any = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    return command


def test_every_command_and_option_is_in_the_readme() -> None:
    text = README.read_text()
    missing = []
    for path in walk(typer.main.get_command(app)):
        if path and f"trakt-export {' '.join(path)}" not in text and path[-1] not in text:
            missing.append(" ".join(path))
        for param in command_at(path).params:
            for opt in [*param.opts, *param.secondary_opts]:
                if opt.startswith("-") and opt != "--help" and opt not in text:
                    missing.append(f"{' '.join(path)} {opt}")
    assert missing == []


def test_readme_help_block_matches_the_real_help() -> None:
    match = HELP_BLOCK.search(README.read_text())
    assert match, "README needs a <!-- help:start --> block (scripts/readme_help.py)"
    result = CliRunner().invoke(app, ["--help"], prog_name="trakt-export", terminal_width=100)
    assert result.exit_code == 0
    assert match.group(1) == result.stdout
