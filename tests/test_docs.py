"""Docs kept true: every command and option is in the README, and its --help block is real."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer.main
from typer.testing import CliRunner

from trakt_export.cli.app import app

README = Path(__file__).parent.parent / "README.md"
HELP_BLOCK = re.compile(r"<!-- help:start -->\n```\n(.*?)```\n<!-- help:end -->", re.S)


def walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command of the click tree (typer vendors click) with its path, the root first."""
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():  # a group
        yield from walk(sub, (*path, name))


def names() -> tuple[list[str], list[str]]:
    """Every command path ("config path") and every option ("--max-rows", "-o") of the CLI."""
    commands, options = [], []
    for path, command in walk(typer.main.get_command(app)):
        if path:
            commands.append(" ".join(path))
        for param in command.params:
            for opt in [*param.opts, *param.secondary_opts]:
                if opt.startswith("-") and opt != "--help" and opt not in options:
                    options.append(opt)
    return commands, options


def command_pattern(command: str) -> re.Pattern[str]:
    """`trakt-export [global options] config path`, the path whole (not `config paths`)."""
    return re.compile(
        r"trakt-export(?: +-[-\w]+(?:[ =][^-\s]\S*)?)* +" + re.escape(command) + r"(?![\w-])"
    )


def option_pattern(option: str) -> re.Pattern[str]:
    """The option as a word of its own: `--max` is not found inside `--max-rows`."""
    return re.compile(r"(?<![\w-])" + re.escape(option) + r"(?![\w-])")


def missing_from(text: str) -> list[str]:
    commands, options = names()
    return [c for c in commands if not command_pattern(c).search(text)] + [
        o for o in options if not option_pattern(o).search(text)
    ]


def test_every_command_and_option_is_in_the_readme_by_its_own_name() -> None:
    assert missing_from(README.read_text()) == []


def test_the_readme_check_misses_nothing_that_is_deleted() -> None:
    """Deleting every mention of one command (as `config path`) or option fails the check."""
    text = README.read_text()
    commands, options = names()
    assert {"config path", "auth login", "cache stats", "movies"} <= set(commands)
    assert {"--max-rows", "--from-zip", "-o", "--json", "--force"} <= set(options)
    for command in commands:
        assert command in missing_from(command_pattern(command).sub("", text)), command
    for option in options:
        assert option in missing_from(option_pattern(option).sub("", text)), option


def test_readme_help_block_matches_the_real_help() -> None:
    match = HELP_BLOCK.search(README.read_text())
    assert match, "README needs a <!-- help:start --> block (scripts/readme_help.py)"
    result = CliRunner().invoke(app, ["--help"], prog_name="trakt-export", terminal_width=100)
    assert result.exit_code == 0
    assert match.group(1) == result.stdout
