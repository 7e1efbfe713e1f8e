"""State on disk (SPEC §1 warnings, §4 corrupt cache, §6 exit 3), through the CLI in-process
against the loopback fake: a corrupt or unusable cache, a damaged or too-open token file, a
config file holding client_secret that others can read."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trakt_export.auth.tokens import Token, TokenStore
from trakt_export.cli.app import app
from trakt_fake import FakeTrakt

CLIENT = "test-client"
runner = CliRunner()


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Warning:")]


def test_bad_cache_is_reset_or_bypassed_with_one_warning(
    served: FakeTrakt, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clean_env: Path
) -> None:
    monkeypatch.setenv("TRAKT_EXPORT_ACCESS_TOKEN", served.issue_token("edge-user").access_token)
    reference = runner.invoke(app, ["movies", "--no-cache", "-o", "ref.csv"])
    assert reference.exit_code == 0, reference.stderr
    cache = clean_env / "cache"
    states = ["junk", "file"] + ([] if os.geteuid() == 0 else ["readonly"])  # root writes anyway
    for state in states:
        if cache.is_dir():
            cache.chmod(0o700)
            shutil.rmtree(cache)
        elif cache.exists():
            cache.unlink()
        if state == "file":
            cache.write_text("a file where the cache directory should be")
        else:
            cache.mkdir()
            (cache / "cache.db").write_bytes(b"this is not sqlite" * 100)
            if state == "readonly":
                cache.chmod(0o500)
        try:
            done = runner.invoke(app, ["movies", "-o", "out.csv"])
        finally:
            if cache.is_dir():
                cache.chmod(0o700)
        assert done.exit_code == 0, (state, done.stderr)
        (warning,) = warnings(done.stderr)
        assert str(cache) in warning, state
        assert (tmp_path / "out.csv").read_bytes() == (tmp_path / "ref.csv").read_bytes()
        again = runner.invoke(app, ["movies", "-o", "out.csv"])  # reset: the cache works again
        assert warnings(again.stderr) == ([] if state == "junk" else [warning]), state


def test_corrupt_cache_clear_and_stats_work(clean_env: Path) -> None:
    (clean_env / "cache").mkdir()
    (clean_env / "cache" / "cache.db").write_bytes(b"\x00junk" * 500)
    stats = runner.invoke(app, ["cache", "stats", "--json"])
    assert stats.exit_code == 0, stats.stderr
    assert '"entries": 0' in stats.stdout and len(warnings(stats.stderr)) == 1
    (clean_env / "cache" / "cache.db").write_bytes(b"\x00junk" * 500)
    cleared = runner.invoke(app, ["cache", "clear"])
    assert cleared.exit_code == 0, cleared.stderr
    assert runner.invoke(app, ["cache", "stats"]).exit_code == 0


def test_token_file_not_utf8_exit_3_naming_it(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path
) -> None:
    (clean_env / "token.json").write_bytes(b"\xff\xfe\x00 not text")
    monkeypatch.setenv("TRAKT_EXPORT_CLIENT_ID", CLIENT)
    monkeypatch.setenv("TRAKT_EXPORT_API_URL", "http://127.0.0.1:9")
    done = runner.invoke(app, ["movies"])
    assert done.exit_code == 3
    assert 1 <= len(done.stderr.splitlines()) <= 2, done.stderr
    assert str(clean_env / "token.json") in done.stderr
    assert "trakt-export auth login" in done.stderr


def test_token_file_readable_by_others_is_tightened_with_one_warning(
    served: FakeTrakt, clean_env: Path
) -> None:
    issued = served.issue_token("edge-user")
    path = clean_env / "token.json"
    TokenStore(path).save(
        Token(issued.access_token, issued.refresh_token, int(time.time()), 86400, "edge-user")
    )
    path.chmod(0o644)
    done = runner.invoke(app, ["movies", "-o", "out.csv"])
    assert done.exit_code == 0, done.stderr
    assert path.stat().st_mode & 0o777 == 0o600
    (warning,) = warnings(done.stderr)
    assert str(path) in warning and "0600" in warning
    again = runner.invoke(app, ["movies", "-o", "out.csv"])
    assert warnings(again.stderr) == []


def test_config_holding_client_secret_readable_by_others_warns(
    served: FakeTrakt, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TRAKT_EXPORT_ACCESS_TOKEN", served.issue_token("edge-user").access_token)
    config = tmp_path / "config.toml"
    config.write_text('[trakt]\nclient_secret = "s3cret"\n')
    config.chmod(0o644)
    done = runner.invoke(app, ["--config", str(config), "movies", "-o", "a.csv"])
    assert done.exit_code == 0, done.stderr
    (warning,) = warnings(done.stderr)
    assert str(config) in warning and "client_secret" in warning and "s3cret" not in warning
    assert config.stat().st_mode & 0o777 == 0o644  # only warned about: it is the user's file
    config.chmod(0o600)
    quiet = runner.invoke(app, ["--config", str(config), "movies", "-o", "b.csv"])
    assert warnings(quiet.stderr) == []
    config.write_text('[export]\nmode = "history"\n')
    config.chmod(0o644)  # no secret in it: nothing to say
    assert warnings(runner.invoke(app, ["--config", str(config), "movies"]).stderr) == []
