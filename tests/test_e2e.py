"""End to end: the installed `trakt-export` in a subprocess against the fake served on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.procs import run
from trakt_fake import FakeTrakt, edge

pytestmark = pytest.mark.e2e
CLIENT = "test-client"


def test_installed_command_exports_against_loopback_server(clean_env: Path, tmp_path: Path) -> None:
    fake = FakeTrakt(edge(), client_id=CLIENT)
    token = fake.issue_token("edge-user").access_token
    with fake.serve() as url:
        assert url.startswith("http://127.0.0.1:")
        env = {
            "TRAKT_EXPORT_API_URL": url,
            "TRAKT_EXPORT_AUTH_URL": url,
            "TRAKT_EXPORT_CLIENT_ID": CLIENT,
            "TRAKT_EXPORT_ACCESS_TOKEN": token,
        }
        done = run(["movies", "--mode", "history", "--timezone", "UTC"], env, tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout == b"", "stdout carries only data"
        assert done.stderr.startswith("Exported ")
        csv_bytes = (tmp_path / "letterboxd-history.csv").read_bytes()
        assert csv_bytes.startswith(b"Title,Year,imdbID,tmdbID,WatchedDate,Rating10,Rewatch\r\n")

        piped = run(["movies", "--mode", "history", "--timezone", "UTC", "-o", "-"], env, tmp_path)
        assert piped.returncode == 0, piped.stderr
        assert piped.stdout == csv_bytes
        assert fake.stats.by_path["GET /sync/history/movies"] >= 1


def test_installed_command_fails_cleanly_when_trakt_is_down(
    clean_env: Path, tmp_path: Path
) -> None:
    env = {
        "TRAKT_EXPORT_API_URL": "http://127.0.0.1:9",  # discard port: nothing listens
        "TRAKT_EXPORT_CLIENT_ID": CLIENT,
        "TRAKT_EXPORT_ACCESS_TOKEN": "t",
        "TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS": "1",
    }
    (tmp_path / "letterboxd-aggregated.csv").write_text("previous\n")
    done = run(["movies"], env, tmp_path)
    assert done.returncode == 4, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 2
    assert (tmp_path / "letterboxd-aggregated.csv").read_text() == "previous\n"
