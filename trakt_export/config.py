"""Settings: one frozen object resolved once (flag > env > TOML > default, SPEC §2).

`resolve()` is the only reader of the environment and the config file; every bad key, type or
value becomes a one-line ConfigError naming the key and where it came from (exit 2).
"""

from __future__ import annotations

import contextlib
import logging
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from trakt_export.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TraktSettings:
    client_id: str = ""
    client_secret: str = ""
    username: str = ""
    api_url: str = "https://api.trakt.tv"
    auth_url: str = "https://auth.trakt.tv"
    redirect_uri: str = "urn:ietf:wg:oauth:2.0:oob"  # as set in the Trakt app (token refresh)


Mode = Literal["aggregated", "history"]
Directors = Literal["off", "missing", "all"]
Backoff = Literal["exponential", "linear", "constant"]


@dataclass(frozen=True, slots=True)
class ExportSettings:
    mode: Mode = "aggregated"
    output_dir: str = "."
    timezone: str = ""  # IANA name; "" = account tz, else system
    max_rows: int = 1900
    max_bytes: int = 900000
    include_rated_unwatched: bool = True
    directors: Directors = "off"  # missing: only films with neither IMDb nor TMDB id
    reviews: bool = False  # Review column from the user's film comments
    tags: str = ""  # comma-separated Tags on every dated diary row
    date_only_midnight: bool = True  # a watch at 00:00:00 UTC keeps its UTC date (SPEC §5)


@dataclass(frozen=True, slots=True)
class CacheSettings:
    enabled: bool = True
    dir: str = ""
    ttl_hours: dict[str, float] = field(
        default_factory=lambda: {
            "sync": 24.0,
            "settings": 24.0,
            "people": 168.0,
            "validated": 168.0,  # the longest a last_activities-vouched entry lives
        }
    )


@dataclass(frozen=True, slots=True)
class NetworkSettings:
    concurrency: int = 8
    requests_per_window: int = 450  # Trakt: 500 GET / 5 min per account, all apps together
    window_seconds: float = 300.0
    timeout_seconds: float = 30.0  # per request, in total (connect + every read)
    max_attempts: int = 5
    backoff: Backoff = "exponential"  # always with full jitter
    initial_backoff_seconds: float = 1.0
    backoff_factor: float = 2.0
    max_backoff_seconds: float = 60.0  # cap of our own wait between two tries
    max_wait_seconds: float = 600.0  # longest server-requested pause honoured
    max_retry_seconds: float = 900.0  # the most one request spends retrying, waits included
    failure_threshold: int = 5  # consecutive network failures that open the circuit


@dataclass(frozen=True, slots=True)
class Paths:
    config_file: Path  # where the TOML is (may not exist)
    data_dir: Path  # token.json and export.lock live here
    cache_dir: Path  # diskcache directory

    @property
    def token_file(self) -> Path:
        return self.data_dir / "token.json"

    @property
    def lock_file(self) -> Path:
        return self.data_dir / "export.lock"


@dataclass(frozen=True, slots=True)
class Settings:
    paths: Paths
    trakt: TraktSettings = field(default_factory=TraktSettings)
    export: ExportSettings = field(default_factory=ExportSettings)
    cache: CacheSettings = field(default_factory=CacheSettings)
    network: NetworkSettings = field(default_factory=NetworkSettings)
    access_token: str = ""  # TRAKT_EXPORT_ACCESS_TOKEN only; never from the file


# ---------------------------------------------------------------------------------------------
# Resolution: flag > env > TOML > default. The core never reads os.environ; only this does.

APP = "trakt-export"
ENV_PREFIX = "TRAKT_EXPORT_"
SECTIONS: dict[str, type[Any]] = {
    "trakt": TraktSettings,
    "export": ExportSettings,
    "cache": CacheSettings,
    "network": NetworkSettings,
}
MODES = ("aggregated", "history")
DIRECTORS = ("off", "missing", "all")
BACKOFFS = ("exponential", "linear", "constant")
TTL_KINDS = ("sync", "settings", "people", "validated")
SECRET_KEYS = {("trakt", "client_secret")}


def _defaults() -> dict[str, dict[str, Any]]:
    return {name: asdict(cls()) for name, cls in SECTIONS.items()}


DEFAULTS = _defaults()
KEYS: tuple[tuple[str, str], ...] = tuple(
    (section, key) for section, values in DEFAULTS.items() for key in values
)


def env_name(section: str, key: str) -> str:
    """`[trakt] client_id` -> TRAKT_EXPORT_CLIENT_ID; `[network] concurrency` ->
    TRAKT_EXPORT_NETWORK_CONCURRENCY (SPEC §2)."""
    if section == "trakt":
        return f"{ENV_PREFIX}{key.upper()}"
    return f"{ENV_PREFIX}{section.upper()}_{key.upper()}"


def default_config_file(env: Mapping[str, str]) -> Path:
    home = env.get(f"{ENV_PREFIX}HOME")
    if home:
        return Path(home).expanduser() / "config.toml"
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP)) / "config.toml"


def config_file_for(config_path: Path | None, env: Mapping[str, str]) -> tuple[Path, bool]:
    """Where the config file is, and whether the user named it (then it must exist)."""
    if config_path is not None:
        return Path(config_path).expanduser(), True
    named = env.get(f"{ENV_PREFIX}CONFIG")
    if named:
        return Path(named).expanduser(), True
    return default_config_file(env), False


def locate(config_path: Path | None = None, env: Mapping[str, str] | None = None) -> Paths:
    """Where the config file, data and cache live, without reading the config file (so `config
    path` and `config init --force` work even when the file is broken)."""
    env = os.environ if env is None else env
    return _paths(config_file_for(config_path, env)[0], env, "")


def resolve(
    *,
    config_path: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """The one Settings of a run. `overrides` are command-line flags as dotted keys
    ("export.mode"); None values mean "flag not given"."""
    env = os.environ if env is None else env
    file, named = config_file_for(config_path, env)
    values = _defaults()
    for (section, key), value in _read_toml(file, named).items():
        values[section][key] = _check(section, key, value, f"in {file}")
    for section, key in KEYS:
        name = env_name(section, key)
        if env.get(name, "") != "" or (name in env and DEFAULTS[section][key] == ""):
            values[section][key] = _from_env(section, key, env[name], name)
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        section, _, key = dotted.partition(".")
        if (section, key) not in KEYS:
            raise ValueError(f"unknown override {dotted!r}")  # a programming error, not input
        values[section][key] = _check(section, key, value, "on the command line")
    return Settings(
        paths=_paths(file, env, values["cache"]["dir"]),
        trakt=TraktSettings(**values["trakt"]),
        export=ExportSettings(**values["export"]),
        cache=CacheSettings(**values["cache"]),
        network=NetworkSettings(**values["network"]),
        access_token=env.get(f"{ENV_PREFIX}ACCESS_TOKEN", ""),
    )


def _paths(file: Path, env: Mapping[str, str], cache_dir: str) -> Paths:
    home = env.get(f"{ENV_PREFIX}HOME")
    if home:
        base = Path(home).expanduser()
        data, cache = base, base / "cache"
    else:
        from platformdirs import user_cache_dir, user_data_dir

        data, cache = Path(user_data_dir(APP)), Path(user_cache_dir(APP))
    if cache_dir:
        cache = Path(cache_dir).expanduser()
    return Paths(config_file=file, data_dir=data, cache_dir=cache)


def _read_toml(file: Path, named: bool) -> dict[tuple[str, str], Any]:
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        if named:
            raise ConfigError(
                f"config file {file} does not exist.",
                "Create it with `trakt-export config init`, or fix --config / TRAKT_EXPORT_CONFIG.",
            ) from None
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read config file {file}: {exc.strerror}.") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file} is not valid TOML: {exc}.") from None
    found: dict[tuple[str, str], Any] = {}
    for section, table in data.items():
        if section not in SECTIONS:
            raise ConfigError(
                f"unknown section [{section}] in {file} "
                f"(known: {', '.join(f'[{s}]' for s in SECTIONS)})"
                f"{_did_you_mean(section, SECTIONS, '[{}]')}."
            )
        if not isinstance(table, dict):
            raise ConfigError(f"{section} must be a [{section}] table in {file}.")
        for key, value in table.items():
            if (section, key) not in KEYS:
                known = [k for (sec, k) in KEYS if sec == section]
                raise ConfigError(
                    f"unknown key {key!r} in [{section}] in {file}"
                    f"{_did_you_mean(key, known, '{}')}."
                )
            found[(section, key)] = value
    if found.get(("trakt", "client_secret")):
        _warn_if_readable_by_others(file)
    return found


def _warn_if_readable_by_others(file: Path) -> None:
    """SPEC §1: a config file holding client_secret that others can read gets one warning."""
    with contextlib.suppress(OSError):
        mode = file.stat().st_mode & 0o777
        if mode & 0o044:
            log.warning(
                "Warning: %s holds client_secret and is readable by others (mode %03o); "
                "run `chmod 600 %s`.",
                file,
                mode,
                file,
            )


def _type_name(kind: type[Any]) -> str:
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(
        kind, "a table"
    )


def _check(section: str, key: str, value: Any, where: str) -> Any:
    """Type- and value-check one key; errors name the key and where it came from."""
    label = f"[{section}] {key}"
    if (section, key) == ("export", "directors") and isinstance(value, bool):
        log.warning(
            '%s = %s is the old form; read as "%s" (use "off", "missing" or "all").',
            label,
            str(value).lower(),
            "all" if value else "off",
        )
        value = "all" if value else "off"
    default = DEFAULTS[section][key]
    kind: type[Any] = type(default)
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if not ok:
        raise ConfigError(f"{label} must be {_type_name(kind)}, not {value!r} ({where}).")
    problem = _problem(section, key, value)
    if problem:
        raise ConfigError(f"{label} = {value!r} is not valid ({where}): {problem}.")
    if kind is dict:
        return {**default, **{k: float(v) for k, v in value.items()}}
    return value


def _problem(section: str, key: str, value: Any) -> str | None:
    if (section, key) == ("export", "mode") and value not in MODES:
        return 'use "aggregated" or "history"'
    if (section, key) == ("export", "directors") and value not in DIRECTORS:
        return 'use "off", "missing" (films without IMDb and TMDB ids) or "all"'
    if (section, key) == ("network", "backoff") and value not in BACKOFFS:
        return 'use "exponential", "linear" or "constant"'
    if (section, key) == ("export", "timezone") and value:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            return "not an IANA timezone (e.g. Europe/Berlin)"
    if key.endswith("_url") and not value.startswith(("http://", "https://")):
        return "use an http:// or https:// URL"
    if (section, key) == ("cache", "ttl_hours"):
        for kind, hours in value.items():
            if kind not in TTL_KINDS:
                return f"unknown kind {kind!r} (known: {', '.join(TTL_KINDS)})"
            if isinstance(hours, bool) or not isinstance(hours, int | float) or hours < 0:
                return f"hours for {kind} must be a number >= 0"
    positive = {"concurrency", "requests_per_window", "max_attempts", "failure_threshold"}
    if key in positive and value < 1:
        return "must be at least 1"
    if key in {"window_seconds", "timeout_seconds", "max_retry_seconds"} and value <= 0:
        return "must be more than 0"
    if key == "backoff_factor" and value < 1:
        return "must be at least 1"
    nonnegative = {"max_rows", "max_bytes", "max_backoff_seconds", "max_wait_seconds"}
    if key in nonnegative | {"initial_backoff_seconds"} and value < 0:
        return "must be 0 or more"
    if key == "max_bytes" and 0 < value < 200:
        return "too small for one CSV row (use 0 for no limit)"
    return None


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _from_env(section: str, key: str, text: str, name: str) -> Any:
    kind = type(DEFAULTS[section][key])
    value: Any = text
    if (section, key) == ("export", "directors") and text.strip().lower() in _TRUE | _FALSE:
        return _check(section, key, text.strip().lower() in _TRUE, f"from {name}")
    try:
        if kind is bool:
            if text.strip().lower() not in _TRUE | _FALSE:
                raise ValueError
            value = text.strip().lower() in _TRUE
        elif kind is int:
            value = int(text)
        elif kind is float:
            value = float(text)
        elif kind is dict:
            value = _parse_ttl(text)
    except ValueError:
        example = "sync=24,people=168" if kind is dict else ""
        raise ConfigError(
            f"{name}={text!r} must be {_type_name(kind)}"
            + (f" such as {example!r}" if example else "")
            + "."
        ) from None
    return _check(section, key, value, f"from {name}")


def _parse_ttl(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, sep, hours = part.partition("=")
        if not sep:
            raise ValueError(part)
        out[kind.strip()] = float(hours)
    return out


def as_toml_dict(settings: Settings, *, mask: bool = True) -> dict[str, dict[str, Any]]:
    """The settings as config-file tables (secrets masked unless mask=False)."""
    out: dict[str, dict[str, Any]] = {}
    for section in SECTIONS:
        table = dict(asdict(getattr(settings, section)))
        for sec, key in SECRET_KEYS:
            if sec == section and mask and table[key]:
                table[key] = "********"
        out[section] = table
    return out


def _did_you_mean(name: str, known: Iterable[str], shape: str) -> str:
    """` (did you mean max_rows?)` for a misspelled key (empty when nothing is close)."""
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {shape.format(close[0])}?)" if close else ""
