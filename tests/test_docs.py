"""Docs kept true. README.md is the user's reference: every command, option, config key,
environment variable and exit code is in it, its --help block is real, it stays under 25 KB and
holds no contributor material, and its cron recipe works as written. docs/design.md holds the
layers (as the import-linter contracts have them), the decisions and the measured figures."""

from __future__ import annotations

import os
import pwd
import re
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from tests.procs import installed_command
from trakt_export import errors
from trakt_export.cli.app import app
from trakt_export.config import DEFAULTS, KEYS, env_name
from trakt_fake import FakeTrakt, edge
from trakt_fake.oauth import oauth_state
from trakt_fake.ziplayouts import write_trakt_zip

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"
DESIGN = ROOT / "docs" / "design.md"
PACKAGE = ROOT / "trakt_export"
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


# ----- the user's reference: keys, environment, exit codes, size ------------------------------


def env_names() -> set[str]:
    """Every environment variable the tool reads: one per config key, and the few that
    `config.py` reads by name (TRAKT_EXPORT_HOME, _CONFIG, _ACCESS_TOKEN)."""
    source = (PACKAGE / "config.py").read_text()
    named = {f"TRAKT_EXPORT_{name}" for name in re.findall(r"\{ENV_PREFIX\}([A-Z_]+)", source)}
    assert {"TRAKT_EXPORT_HOME", "TRAKT_EXPORT_CONFIG", "TRAKT_EXPORT_ACCESS_TOKEN"} <= named
    return named | {env_name(section, key) for section, key in KEYS}


def test_every_config_key_with_its_default_and_every_environment_variable_is_in_the_readme() -> (
    None
):
    text = README.read_text()
    block = text.split("```toml\n", 1)[1].split("```", 1)[0]
    assert tomllib.loads(block) == DEFAULTS  # every key, in its section, with its default
    missing = [name for name in sorted(env_names()) if not option_pattern(name).search(text)]
    assert missing == []


def exit_codes() -> set[int]:
    """Every exit code the tool can end with: success, each error's, Ctrl-C and SIGTERM."""
    found, todo = set(), [errors.TraktExportError]
    while todo:
        kind = todo.pop()
        found.add(kind.exit_code)
        todo.extend(kind.__subclasses__())
    return found | {0, 130, 143}


def test_the_readme_table_of_exit_codes_is_exactly_the_tools() -> None:
    section = README.read_text().split("## Exit codes\n", 1)[1].split("\n## ", 1)[0]
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", section, re.M)}
    assert documented == exit_codes() == {0, 1, 2, 3, 4, 5, 130, 143}


def test_the_readme_is_for_users_and_small() -> None:
    text = README.read_text()
    assert len(text.encode()) <= 25 * 1024
    for contributor_material in (
        "mutmut",
        "Mutation",
        "survived",
        "Decisions where the spec is silent",
        "import-linter",
        "## Performance",
        "TRAKT_EXPORT_TEST_",
        "tests/",
    ):
        assert contributor_material not in text, contributor_material
    assert "docs/design.md" in text  # where contributors go instead


def test_the_free_path_comes_first_and_step_by_step() -> None:
    access = README.read_text().split("## Getting access\n", 1)[1].split("\n## ", 1)[0]
    zip_way, login_way = access.index("--from-zip"), access.index("auth login")
    assert zip_way < login_way
    assert "Settings → Data" in access[:login_way]
    assert re.search(r"^1\. .*\n(?:.*\n)*?2\. .*\n(?:.*\n)*?3\. ", access[:login_way], re.M)


# ----- docs/design.md: the layers as the contracts have them ----------------------------------


def contracts() -> list[dict[str, Any]]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    found: list[dict[str, Any]] = pyproject["tool"]["importlinter"]["contracts"]
    return found


def picture() -> str:
    """The layers picture: the first fenced block under `## The layers`."""
    section = DESIGN.read_text().split("## The layers\n", 1)[1]
    return section.split("```\n", 2)[1]


def test_the_design_picture_names_every_layer_in_the_contracts_order() -> None:
    (layers,) = [c["layers"] for c in contracts() if c["type"] == "layers"]
    drawn = picture()
    positions = []
    for layer in layers:  # "sources | letterboxd": both on one level
        spots = {drawn.index(f"  {name}/") for name in layer.split(" | ")}
        lines = {drawn.count("\n", 0, spot) for spot in spots}
        assert len(lines) == 1, f"{layer} should be drawn on one level"
        positions.append(min(spots))
    assert positions == sorted(positions), "the picture's order is not the contract's"
    assert " > ".join(layers) in DESIGN.read_text()


def test_the_design_picture_names_every_module_of_the_package() -> None:
    drawn = picture()
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.stem in {"__init__", "__main__"}:
            continue
        if not re.search(r"(?<![\w-])" + re.escape(path.stem) + r"(?![\w-])", drawn):
            missing.append(str(path.relative_to(ROOT)))
    assert missing == []
    assert "trakt_fake/" in drawn and "NOT in the wheel" in drawn


def test_the_design_explains_every_contract_and_holds_the_decisions_and_figures() -> None:
    text = DESIGN.read_text()
    for contract in contracts():
        assert f"`{contract['id']}`" in text, contract["id"]
    decisions = text.split("## Decisions where the spec is silent\n", 1)[1].split("\n## ", 1)[0]
    assert decisions.count("\n- ") >= 20
    mutation = text.split("## Mutation testing\n", 1)[1].split("\n## ", 1)[0]
    assert re.search(r"^\| module +\| mutants", mutation, re.M)
    assert "## Performance" in text and "## Dependencies" in text


# ----- the README's cron recipe, as written, in cron's environment -----------------------------

CLIENT, SECRET = "cron-client", "cron-secret"


def fenced(marker: str) -> list[str]:
    """The lines of the ```sh block that follows `<!-- marker -->` in the README."""
    text = README.read_text()
    after = text.split(f"<!-- {marker} -->\n```sh\n", 1)[1]
    return after.split("```", 1)[0].splitlines()


def crontab() -> tuple[dict[str, str], list[str]]:
    """The README's ```cron block as cron reads it: its `NAME=value` lines (set for every job,
    unexpanded), and each job's command with the five time fields dropped and `\\%` turned into
    `%` (an unescaped `%` would start the command's stdin: none is used)."""
    block = README.read_text().split("```cron\n", 1)[1].split("```", 1)[0]
    variables, commands = {}, []
    for line in block.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        setting = re.match(r"^\s*(\w+)\s*=\s*(.*)$", line)
        if setting:
            variables[setting.group(1)] = setting.group(2)
            continue
        command = line.split(None, 5)[5]
        assert not re.search(r"(?<!\\)%", command)
        commands.append(command.replace("\\%", "%"))
    return variables, commands


def cron_env(home: Path) -> dict[str, str]:
    """What cron gives a job (`env -i` plus these): nothing of the tester's environment."""
    return {
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "SHELL": "/bin/sh",
        "LOGNAME": pwd.getpwuid(os.getuid()).pw_name,
    }


def sh(line: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/sh", "-c", line], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.mark.e2e
def test_the_readme_cron_recipe_works_as_written_after_its_set_up(tmp_path: Path) -> None:
    home = tmp_path / "user"
    home.mkdir()
    fake = FakeTrakt(edge(), client_id=CLIENT, client_secret=SECRET)
    state = oauth_state(fake)  # the user approves the login at once; no poll waits
    state.interval, state.approve_after_polls, state.user = 0, 0, "edge-user"
    # The set-up runs in a login shell: ~/.local/bin on the PATH (as most distributions' profile
    # puts it once it exists), and nothing of this test's environment.
    shell = {**cron_env(home), "PATH": f"{home}/.local/bin:/usr/bin:/bin"}
    with fake.serve() as url:
        # Install: the clone, the venv and `pip install .` are stood in for by the command this
        # suite installed, placed in the venv the README names; the remaining lines run as written.
        for line in fenced("setup:install"):
            venv = re.match(r"python3 -m venv (\S+)$", line)
            if venv:
                bin_dir = Path(venv.group(1).replace("~", str(home), 1)) / "bin"
                bin_dir.mkdir(parents=True)
                (bin_dir / "trakt-export").symlink_to(installed_command())
            elif not line.startswith("git clone") and "pip install ." not in line:
                done = sh(line, shell, home)
                assert done.returncode == 0, (line, done.stderr)
        # Getting access B: the edit of the config file is the one step a person does by hand.
        for line in fenced("setup:login"):
            if line.startswith("# edit that file"):
                located = sh("trakt-export config path", shell, home)
                config = Path(located.stdout.strip())
                text = config.read_text()
                for key, value in [
                    ("client_id", CLIENT),
                    ("client_secret", SECRET),
                    ("api_url", url),  # Trakt is the fake here
                    ("auth_url", url),
                ]:
                    text, count = re.subn(rf'(?m)^{key} = "[^"]*"', f'{key} = "{value}"', text)
                    assert count == 1, key
                config.write_text(text)
                continue
            done = sh(line, shell, home)
            assert done.returncode == 0, (line, done.stderr)
        assert "Logged in as edge-user" in done.stderr
        for line in fenced("setup:cron"):
            assert sh(line, shell, home).returncode == 0, line

        variables, nightly = crontab()
        assert len(nightly) >= 4
        for command in nightly:
            done = sh(command, {**cron_env(home), **variables}, home)  # cron starts in $HOME
            assert (done.returncode, done.stdout, done.stderr) == (0, "", ""), command

    today = sh("date +%F", cron_env(home), home).stdout.strip()
    exported = home / "letterboxd"
    assert (exported / "letterboxd-history.csv").read_text().startswith("Title,Year,imdbID")
    assert (exported / "letterboxd-watchlist.csv").exists()
    assert (exported / f"new-{today}.csv").exists()
    assert (home / "backups" / f"trakt-{today}" / "manifest.json").exists()
    assert fake.stats.by_path["GET /sync/history/movies"] >= 1  # the login's account was read


@pytest.mark.e2e
def test_the_free_path_works_as_written(tmp_path: Path) -> None:
    """Getting access A, step 3: the commands as written, on a ZIP where step 2 leaves it."""
    home = tmp_path / "user"
    (home / "Downloads").mkdir(parents=True)
    access = README.read_text().split("### A. ", 1)[1].split("\n### ", 1)[0]
    block = access.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.strip() for line in block.splitlines() if line.strip()]
    (where,) = {m.group(1) for line in commands if (m := re.search(r"--from-zip (\S+)", line))}
    write_trakt_zip(FakeTrakt(edge()), Path(where.replace("~", str(home), 1)), "edge-user")
    shell = {**cron_env(home), "PATH": f"{Path(installed_command()).parent}:/usr/bin:/bin"}
    for line in commands:
        done = sh(line, shell, home)
        assert done.returncode == 0, (line, done.stderr)
    assert {p.name for p in home.iterdir()} >= {
        "letterboxd-history.csv",
        "letterboxd-watchlist.csv",
        "letterboxd-lists",
    }
