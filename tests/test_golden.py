"""Golden CSVs over the fake's edge-case dataset, byte for byte, in three timezone situations.

Run `pytest tests/test_golden.py --update-goldens` to rewrite them after an intended change,
then read the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from trakt_export.config import Settings, resolve
from trakt_export.run.export import run_movies, run_watchlist
from trakt_export.run.session import Options
from trakt_fake import FakeTrakt, edge

GOLDEN = Path(__file__).parent / "golden"
CLIENT = "test-client"


def settings_for(home: Path, **env: str) -> Settings:
    base = {"TRAKT_EXPORT_HOME": str(home), "TRAKT_EXPORT_CLIENT_ID": CLIENT}
    return resolve(env={**base, **env})


def check(produced: Path, name: str, update: bool) -> None:
    golden = GOLDEN / name
    if update:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_bytes(produced.read_bytes())
    assert produced.read_bytes() == golden.read_bytes(), f"{name} differs from its golden file"


SITUATIONS = {
    # The account's own zone comes from /users/settings (token mode).
    "account": ({}, True, {}),
    # --timezone / [export] timezone overrides the account zone.
    "override": ({"TRAKT_EXPORT_EXPORT_TIMEZONE": "America/Los_Angeles"}, True, {}),
    # Public profile: no settings endpoint, so the system zone ($TZ) is used.
    "system": ({"TRAKT_EXPORT_USERNAME": "edge-user"}, False, {"TZ": "Asia/Tokyo"}),
}


@pytest.mark.parametrize("mode", ["history", "aggregated"])
@pytest.mark.parametrize("situation", sorted(SITUATIONS))
def test_movies_golden(
    mode: str,
    situation: str,
    clean_env: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    update_goldens: bool,
) -> None:
    env, with_token, process_env = SITUATIONS[situation]
    for name, value in process_env.items():
        monkeypatch.setenv(name, value)
    fake = FakeTrakt(edge(), client_id=CLIENT)
    if with_token:
        env = {**env, "TRAKT_EXPORT_ACCESS_TOKEN": fake.issue_token("edge-user").access_token}
    settings = settings_for(clean_env, TRAKT_EXPORT_EXPORT_MODE=mode, **env)
    out = tmp_path / f"{mode}.csv"
    result = run_movies(settings, Options(output=str(out), transport=fake.transport()))
    assert result.files == [out]
    check(out, f"edge-{mode}-{situation}.csv", update_goldens)


def test_watchlist_golden(clean_env: Path, tmp_path: Path, update_goldens: bool) -> None:
    fake = FakeTrakt(edge(), client_id=CLIENT)
    token = fake.issue_token("edge-user").access_token
    settings = settings_for(clean_env, TRAKT_EXPORT_ACCESS_TOKEN=token)
    out = tmp_path / "watchlist.csv"
    run_watchlist(settings, Options(output=str(out), transport=fake.transport()))
    check(out, "edge-watchlist.csv", update_goldens)


def test_directors_golden_and_cached_people(
    clean_env: Path, tmp_path: Path, update_goldens: bool
) -> None:
    fake = FakeTrakt(edge(), client_id=CLIENT)
    token = fake.issue_token("edge-user").access_token
    settings = settings_for(
        clean_env, TRAKT_EXPORT_ACCESS_TOKEN=token, TRAKT_EXPORT_EXPORT_DIRECTORS="all"
    )
    out = tmp_path / "directors.csv"
    run_movies(settings, Options(output=str(out), transport=fake.transport()))
    check(out, "edge-aggregated-directors.csv", update_goldens)
    people = sum(n for path, n in fake.stats.by_path.items() if path.endswith("/people"))
    assert people > 0
    lines = out.read_text().splitlines()
    assert lines[0].endswith(",Directors")
    assert lines[-3].endswith(',"Joel Coen, Ethan Coen"')  # several directors: one field
    fake.stats.reset()
    run_movies(settings, Options(output=str(tmp_path / "again.csv"), transport=fake.transport()))
    assert not [p for p in fake.stats.by_path if p.endswith("/people")]  # all from the cache
    assert (tmp_path / "again.csv").read_bytes() == out.read_bytes()
