"""`trakt-export config init | show | path`: write, inspect and locate the TOML config file."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from trakt_export.cli.common import load_settings
from trakt_export.cli.console import STATE, guarded, say

# Both ways in (issue 21): an API app is VIP-only now, so most users take the ZIP path.
NEXT_STEPS = (
    "Next, with a Trakt API app: put its client_id and client_secret in [trakt], then run "
    "`trakt-export auth login`.",
    "Without one: download your export (trakt.tv Settings > Data > Export), check it with "
    "`trakt-export doctor --from-zip PATH`, then run `trakt-export movies --from-zip PATH`.",
)

app = typer.Typer(help="Create, show or locate the config file.", no_args_is_help=True)


@app.command()
@guarded
def init(
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing config file.")
    ] = False,
) -> None:
    """Write the commented example config (every key at its default) to the config path."""
    from importlib.resources import files

    from trakt_export.config import locate
    from trakt_export.errors import ConfigError, OutputError
    from trakt_export.output import write_atomic

    paths = locate(STATE.config_path)
    path = paths.config_file
    if path.exists() and not force:
        raise ConfigError(
            f"{path} already exists; not overwriting it.",
            "Edit it, or run `trakt-export config init --force` to replace it with defaults.",
        )
    # The same text as config.example.toml (shipped in the package: pipx users have no repo).
    text = (files("trakt_export") / "config.example.toml").read_text(encoding="utf-8")
    try:
        write_atomic(path, text.encode())  # creates the directory too
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}.") from None
    say(f"Wrote {path}.")
    for line in NEXT_STEPS:
        say(line)


@app.command()
@guarded
def show() -> None:
    """Print the effective settings as TOML (secrets masked), with where files live."""
    import tomli_w

    from trakt_export.config import as_toml_dict

    settings = load_settings()
    paths = settings.paths
    state = "" if paths.config_file.exists() else " (not present; defaults apply)"
    sys.stdout.write(
        f"# config file: {paths.config_file}{state}\n"
        f"# token file:  {paths.token_file}\n"
        f"# cache dir:   {paths.cache_dir}\n"
        f"# access token from TRAKT_EXPORT_ACCESS_TOKEN: "
        f"{'set (hidden)' if settings.access_token else 'not set'}\n\n"
        + tomli_w.dumps(as_toml_dict(settings))
    )


@app.command()
@guarded
def path() -> None:
    """Print where the config file is (whether or not it exists)."""
    from trakt_export.config import locate

    sys.stdout.write(f"{locate(STATE.config_path).config_file}\n")
