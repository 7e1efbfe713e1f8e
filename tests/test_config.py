"""Configuration (SPEC §2): precedence, locations, one-line errors, and the config commands."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trakt_export.cli.app import app
from trakt_export.config import DEFAULTS, KEYS, env_name, resolve
from trakt_export.errors import ConfigError

ROOT = Path(__file__).parent.parent
runner = CliRunner()


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_defaults_and_home_moves_every_path(clean_env: Path) -> None:
    settings = resolve()
    assert settings.export.mode == "aggregated"
    assert settings.network.concurrency == 8
    assert settings.network.max_retry_seconds == 900.0  # SPEC §2 v2.2
    assert settings.cache.ttl_hours == {
        "sync": 24.0,
        "settings": 24.0,
        "people": 168.0,
        "validated": 168.0,
    }
    assert settings.paths.config_file == clean_env / "config.toml"
    assert settings.paths.token_file == clean_env / "token.json"
    assert settings.paths.lock_file == clean_env / "export.lock"
    assert settings.paths.cache_dir == clean_env / "cache"


def test_precedence_flag_over_env_over_file_over_default(clean_env: Path) -> None:
    write(clean_env / "config.toml", '[export]\nmode = "history"\nmax_rows = 10\nmax_bytes = 500\n')
    env = {**os.environ, "TRAKT_EXPORT_EXPORT_MAX_ROWS": "20"}
    settings = resolve(env=env, overrides={"export.max_bytes": 700, "export.timezone": None})
    assert settings.export.mode == "history"  # file
    assert settings.export.max_rows == 20  # env beats file
    assert settings.export.max_bytes == 700  # flag beats file
    assert settings.export.timezone == ""  # a flag not given changes nothing
    assert settings.export.directors == "off"  # default


def test_config_flag_and_env_choose_the_file(tmp_path: Path) -> None:
    a = write(tmp_path / "a.toml", '[trakt]\nusername = "from-a"\n')
    b = write(tmp_path / "b.toml", '[trakt]\nusername = "from-b"\n')
    env = {**os.environ, "TRAKT_EXPORT_CONFIG": str(b)}
    assert resolve(env=env).trakt.username == "from-b"
    assert resolve(config_path=a, env=env).trakt.username == "from-a"


def test_env_types_and_ttl_table(clean_env: Path) -> None:
    env = {
        **os.environ,
        "TRAKT_EXPORT_CACHE_ENABLED": "false",
        "TRAKT_EXPORT_NETWORK_WINDOW_SECONDS": "60",
        "TRAKT_EXPORT_NETWORK_MAX_RETRY_SECONDS": "120.5",
        "TRAKT_EXPORT_CACHE_TTL_HOURS": "sync=1, people=2.5",
        "TRAKT_EXPORT_CACHE_DIR": str(clean_env / "elsewhere"),
        "TRAKT_EXPORT_ACCESS_TOKEN": "tok",
    }
    settings = resolve(env=env)
    assert settings.cache.enabled is False
    assert settings.network.window_seconds == 60.0
    assert settings.network.max_retry_seconds == 120.5
    assert settings.cache.ttl_hours == {
        "sync": 1.0,
        "settings": 24.0,
        "people": 2.5,
        "validated": 168.0,
    }
    assert settings.paths.cache_dir == clean_env / "elsewhere"
    assert settings.access_token == "tok"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[export\nmode = 1\n", r"^{file} is not valid TOML: .*\.$"),
        (
            "[export]\nmood = 'x'\n",
            r"^unknown key 'mood' in \[export\] in {file} \(did you mean mode\?\)\.$",
        ),
        ("[exports]\nmode = 'x'\n", r"^unknown section \[exports\] in {file} \(known: .*\)\.$"),
        (
            "[export]\nmode = 'weekly'\n",
            r"^\[export\] mode = 'weekly' is not valid \(in {file}\): "
            r'use "aggregated" or "history"\.$',
        ),
        (
            "[export]\ntimezone = 'Mars/Olympus'\n",
            r"^\[export\] timezone = 'Mars/Olympus' is not valid \(in {file}\): "
            r"not an IANA timezone \(e\.g\. Europe/Berlin\)\.$",
        ),
        (
            "[network]\nconcurrency = 'eight'\n",
            r"^\[network\] concurrency must be an integer, not 'eight' \(in {file}\)\.$",
        ),
        ("[network]\nconcurrency = 0\n", r"^\[network\] concurrency = 0 is not valid .*least 1\.$"),
        ("[cache]\nttl_hours = { films = 1 }\n", r"^\[cache\] ttl_hours = .*unknown kind 'films'"),
        ("[export]\ndirectors = 'yes'\n", r"^\[export\] directors = 'yes' is not valid"),
        (
            "[network]\nmax_retry_seconds = 0\n",
            r"^\[network\] max_retry_seconds = 0\.0 is not valid \(in {file}\): "
            r"must be more than 0\.$",
        ),
        (
            "[network]\nmax_retry_seconds = 'long'\n",
            r"^\[network\] max_retry_seconds must be a number, not 'long' \(in {file}\)\.$",
        ),
    ],
)
def test_bad_config_is_one_line_naming_key_and_file(
    clean_env: Path, text: str, expected: str
) -> None:
    file = write(clean_env / "config.toml", text)
    with pytest.raises(ConfigError) as info:
        resolve()
    assert info.value.exit_code == 2
    assert re.search(expected.format(file=re.escape(str(file))), info.value.message)
    assert len(info.value.lines()) == 1


def test_bad_config_through_the_cli_exit_2_one_line(clean_env: Path) -> None:
    file = write(clean_env / "config.toml", "[export]\nmode = 'weekly'\n")
    result = runner.invoke(app, ["movies"])
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: [export] mode = 'weekly' is not valid (in {file}): "
        'use "aggregated" or "history".\n'
    )


def test_bad_env_and_bad_flag_name_their_source() -> None:
    env = {**os.environ, "TRAKT_EXPORT_NETWORK_CONCURRENCY": "lots"}
    with pytest.raises(ConfigError, match=r"^TRAKT_EXPORT_NETWORK_CONCURRENCY='lots' must be an"):
        resolve(env=env)
    result = runner.invoke(app, ["movies", "--timezone", "Nowhere/Town"])
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: --timezone 'Nowhere/Town' is not valid: "  # the flag given (SPEC §1 v2.2)
        "not an IANA timezone (e.g. Europe/Berlin).\n"
    )


def test_named_config_file_must_exist(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--config", str(tmp_path / "nope.toml"), "movies"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"Error: config file {tmp_path / 'nope.toml'} does not exist.",
        "Create it with `trakt-export config init`, or fix --config / TRAKT_EXPORT_CONFIG.",
    ]


def test_config_init_writes_defaults_and_refuses_to_overwrite(clean_env: Path) -> None:
    result = runner.invoke(app, ["config", "init"])
    assert result.exit_code == 0, result.stderr
    written = clean_env / "config.toml"
    data = tomllib.loads(written.read_text())
    assert data == DEFAULTS
    written.write_text("[export]\nmode = 'history'\n")
    again = runner.invoke(app, ["config", "init"])
    assert again.exit_code == 2
    assert "already exists" in again.stderr
    assert written.read_text() == "[export]\nmode = 'history'\n"
    forced = runner.invoke(app, ["config", "init", "--force"])
    assert forced.exit_code == 0
    assert tomllib.loads(written.read_text()) == DEFAULTS


def test_config_show_masks_secrets_and_path_prints_location(clean_env: Path) -> None:
    write(clean_env / "config.toml", "[trakt]\nclient_id = 'abc'\nclient_secret = 's3cr3t-value'\n")
    shown = runner.invoke(app, ["config", "show"], env={"TRAKT_EXPORT_ACCESS_TOKEN": "tok-123"})
    assert shown.exit_code == 0, shown.stderr
    assert "s3cr3t" not in shown.stdout and "tok-123" not in shown.stdout
    body = tomllib.loads(shown.stdout)
    assert body["trakt"]["client_secret"] == "********"
    assert body["trakt"]["client_id"] == "abc"
    located = runner.invoke(app, ["config", "path"])
    assert located.stdout == f"{clean_env / 'config.toml'}\n"


def test_config_path_works_with_a_broken_file(clean_env: Path) -> None:
    write(clean_env / "config.toml", "this is not toml [")
    located = runner.invoke(app, ["config", "path"])
    assert located.exit_code == 0
    assert located.stdout == f"{clean_env / 'config.toml'}\n"


def test_example_file_holds_exactly_the_keys_and_defaults() -> None:
    text = (ROOT / "config.example.toml").read_text()
    assert tomllib.loads(text) == DEFAULTS
    for section, key in KEYS:
        line = next(x for x in text.splitlines() if x.startswith(f"{key} ="))
        assert f"# {env_name(section, key)}" in line, line


def test_readme_config_block_equals_the_example() -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    example = (ROOT / "config.example.toml").read_text()
    assert block in example
