"""Typer sub-commands; each module registers one group. `load_settings` is their common entry.

A bad flag value is named as the flag the user typed (`--mode`, not `[export] mode`), with a
suggestion for a mistyped choice (SPEC §1 v2.2 "Messages are written for people")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trakt_export.config import Settings
    from trakt_export.errors import ConfigError


# Override key -> the flag that sets it (the commands' options).
FLAGS = {
    "export.mode": "--mode",
    "export.timezone": "--timezone",
    "trakt.username": "--user",
    "export.max_rows": "--max-rows",
    "export.max_bytes": "--max-bytes",
    "export.directors": "--directors",
    "export.tags": "--tags",
}
CHOICES = {"export.mode": ("aggregated", "history"), "export.directors": ("off", "missing", "all")}
_FROM_FLAG = " (on the command line)"


def load_settings(overrides: Mapping[str, object] | None = None) -> Settings:
    """Resolve the run's settings from the root --config option, env, file and flag overrides."""
    from trakt_export.cli.console import STATE
    from trakt_export.config import resolve
    from trakt_export.errors import ConfigError

    try:
        settings = resolve(config_path=STATE.config_path, overrides=overrides)
    except ConfigError as exc:
        raise in_flag_terms(exc, overrides or {}) from None
    STATE.settings = settings
    return settings


def in_flag_terms(exc: ConfigError, overrides: Mapping[str, object]) -> ConfigError:
    """The config's complaint about a flag's value, in the flag's own terms."""
    import difflib

    from trakt_export.errors import ConfigError

    message = exc.message
    if _FROM_FLAG not in message:
        return exc
    for dotted, value in overrides.items():
        flag = FLAGS.get(dotted)
        section, _, key = dotted.partition(".")
        label = f"[{section}] {key}"
        if value is None or flag is None or not message.startswith(label):
            continue
        text = message.replace(f"{label} = ", f"{flag} ", 1).replace(label, flag, 1)
        text = text.replace(_FROM_FLAG, "", 1)
        close = difflib.get_close_matches(str(value), CHOICES.get(dotted, ()), n=1)
        if close:
            text = f"{text.rstrip('.')} (did you mean {flag} {close[0]}?)."
        return ConfigError(text, exc.hint)
    return exc
