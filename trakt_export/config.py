"""Settings: one frozen object resolved once (flag > env > TOML > default, SPEC §2).

OWNER NOTE: the dataclass shapes below are the shared contract; resolve() is to be completed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class TraktSettings:
    client_id: str = ""
    client_secret: str = ""
    username: str = ""
    api_url: str = "https://api.trakt.tv"
    auth_url: str = "https://auth.trakt.tv"


@dataclass(frozen=True, slots=True)
class ExportSettings:
    mode: str = "aggregated"  # aggregated | history
    output_dir: str = "."
    timezone: str = ""  # IANA name; "" = account tz, else system
    max_rows: int = 1900
    max_bytes: int = 900000
    include_rated_unwatched: bool = True
    directors: bool = False


@dataclass(frozen=True, slots=True)
class CacheSettings:
    enabled: bool = True
    dir: str = ""
    ttl_hours: dict[str, float] = field(
        default_factory=lambda: {"sync": 24.0, "settings": 24.0, "people": 168.0}
    )


@dataclass(frozen=True, slots=True)
class NetworkSettings:
    concurrency: int = 8
    requests_per_window: int = 1000
    window_seconds: float = 300.0
    timeout_seconds: float = 30.0
    max_attempts: int = 5
    max_backoff_seconds: float = 60.0


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
