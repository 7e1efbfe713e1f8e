"""Typer sub-commands; each module registers one group. `load_settings` is their common entry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trakt_export.config import Settings


def load_settings(overrides: Mapping[str, object] | None = None) -> Settings:
    """Resolve the run's settings from the root --config option, env, file and flag overrides."""
    from trakt_export.cli.console import STATE
    from trakt_export.config import resolve

    settings = resolve(config_path=STATE.config_path, overrides=overrides)
    STATE.settings = settings
    return settings
