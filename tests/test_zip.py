"""Offline `--from-zip`: Trakt's data-export ZIP gives the same CSVs as the API, with no network."""

from __future__ import annotations

import json
import socket
import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from trakt_export.cli.app import app
from trakt_export.config import Settings, resolve
from trakt_export.errors import InputError
from trakt_export.run.export import run_movies, run_watchlist
from trakt_export.run.session import Options
from trakt_export.sources.ziparchive import read_zip
from trakt_fake import FakeTrakt, edge
from trakt_fake.zipexport import write_export_zip

CLIENT = "test-client"
ZONE = "America/New_York"
runner = CliRunner()


class NoNetwork(socket.socket):
    """Refuses every network socket; asyncio's local self-pipe (AF_UNIX) is not a network."""

    def __init__(self, family: int = -1, *args: Any, **kwargs: Any) -> None:
        if family != socket.AF_UNIX:
            raise AssertionError("the offline export opened a network socket")
        super().__init__(family, *args, **kwargs)


def settings_for(home: Path, **env: str) -> Settings:
    base = {"TRAKT_EXPORT_HOME": str(home), "TRAKT_EXPORT_EXPORT_TIMEZONE": ZONE}
    return resolve(env={**base, **env})


@pytest.mark.parametrize("layout", ["root", "nested"])
def test_zip_export_is_byte_identical_to_the_online_one(
    layout: str, clean_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeTrakt(edge(), client_id=CLIENT)
    archive = write_export_zip(fake, "edge-user", tmp_path / "export.zip", layout, history_chunk=4)
    names = zipfile.ZipFile(archive).namelist()
    prefix = "edge-user/" if layout == "nested" else ""
    assert f"{prefix}watched-history-2.json" in names  # the history really is split
    assert f"{prefix}watched-movies.json" in names

    online = {"TRAKT_EXPORT_USERNAME": "edge-user", "TRAKT_EXPORT_CLIENT_ID": CLIENT}
    jobs = [
        ("aggregated", run_movies, "letterboxd-aggregated.csv"),
        ("history", run_movies, "letterboxd-history.csv"),
        ("aggregated", run_watchlist, "letterboxd-watchlist.csv"),
    ]
    expected = {}
    for mode, run, name in jobs:
        on = tmp_path / f"online-{name}"
        run(
            settings_for(clean_env, TRAKT_EXPORT_EXPORT_MODE=mode, **online),
            Options(output=str(on), transport=fake.transport(), cache_mode="off"),
        )
        expected[name] = on.read_bytes()

    data = read_zip(archive)
    assert len(data.history) == len(fake.user_json("edge-user", "history/movies"))

    monkeypatch.setattr(socket, "socket", NoNetwork)  # a guard: any connection attempt fails
    for mode, run, name in jobs:
        off = tmp_path / f"offline-{name}"
        # No credentials at all: offline needs none.
        result = run(
            settings_for(clean_env / "offline", TRAKT_EXPORT_EXPORT_MODE=mode),
            Options(output=str(off), zip_path=archive),
        )
        assert off.read_bytes() == expected[name], name
        assert result.stats.requests == 0
    assert len(expected["letterboxd-history.csv"].splitlines()) > 5


def _zip(path: Path, files: dict[str, Any]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content if isinstance(content, str) else json.dumps(content))
    return path


def _complete() -> dict[str, Any]:
    return {
        "watched-history-1.json": [],
        "watched-movies.json": [],
        "ratings-movies.json": [],
        "lists-watchlist.json": [],
    }


def _error(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        read_zip(path)
    assert info.value.exit_code == 2
    assert str(path) in info.value.message
    return info.value


def test_empty_but_complete_export_reads(tmp_path: Path) -> None:
    data = read_zip(_zip(tmp_path / "e.zip", _complete()))
    assert (data.history, data.watched, data.ratings, data.watchlist) == ([], [], [], [])


def test_missing_zip(tmp_path: Path) -> None:
    error = _error(tmp_path / "nope.zip")
    assert "does not exist" in error.message
    assert "Settings > Data > Export" in str(error.hint)


def test_corrupt_zip(tmp_path: Path) -> None:
    path = tmp_path / "bad.zip"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    assert "is not a ZIP file" in _error(path).message


def test_foreign_zip_is_not_a_trakt_export(tmp_path: Path) -> None:
    error = _error(_zip(tmp_path / "photos.zip", {"readme.txt": "hi", "a/b.json": []}))
    # Every needed file is named (SPEC §3 v2.2), not only the first.
    assert error.message.endswith(
        "is not a Trakt data export: no watched-history.json, watched-movies.json, "
        "ratings-movies.json or lists-watchlist.json found."
    )


@pytest.mark.parametrize("missing", ["ratings-movies.json", "lists-watchlist.json"])
def test_a_missing_needed_file_is_named(tmp_path: Path, missing: str) -> None:
    files = _complete()
    del files[missing]
    assert f"no {missing} found" in _error(_zip(tmp_path / "x.zip", files)).message


def test_a_gap_in_the_history_chunks_is_named(tmp_path: Path) -> None:
    files = _complete() | {"watched-history-3.json": []}
    assert "watched-history-2.json is missing" in _error(_zip(tmp_path / "x.zip", files)).message


def test_invalid_json_names_the_member(tmp_path: Path) -> None:
    files = _complete() | {"u/watched-movies.json": "[{", "u/ratings-movies.json": []}
    files = {f"u/{k}" if "/" not in k else k: v for k, v in files.items()}
    error = _error(_zip(tmp_path / "x.zip", files))
    assert "u/watched-movies.json is not valid JSON" in error.message


def test_an_unreadable_item_names_the_member(tmp_path: Path) -> None:
    files = _complete() | {"ratings-movies.json": [{"type": "movie", "rating": 11, "movie": {}}]}
    error = _error(_zip(tmp_path / "x.zip", files))
    assert "ratings-movies.json has an unreadable item" in error.message


def test_two_exports_in_one_zip_are_refused(tmp_path: Path) -> None:
    files = {f"a/{k}": v for k, v in _complete().items()} | {
        f"b/{k}": v for k, v in _complete().items()
    }
    assert "more than one Trakt export (a/, b/)" in _error(_zip(tmp_path / "x.zip", files)).message


def test_cli_bad_zip_is_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    bad = _zip(tmp_path / "other.zip", {"notes.txt": "x"})
    result = runner.invoke(app, ["movies", "--from-zip", str(bad), "-o", "out.csv"])
    assert result.exit_code == 2
    # SPEC §3 v2.2: movies (either mode) needs watched-history and ratings-movies; both named.
    assert (
        f"Error: {bad} is not a Trakt data export: "
        "no watched-history.json or ratings-movies.json found." in result.stderr
    )
    assert "Settings > Data > Export" in result.stderr
    assert not Path("out.csv").exists()


def test_cli_from_zip_needs_no_credentials(tmp_path: Path) -> None:
    archive = write_export_zip(edge(), "edge-user", tmp_path / "e.zip", "nested")
    result = runner.invoke(
        app, ["movies", "--from-zip", str(archive), "-o", "-", "--timezone", "UTC"]
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Title,Year,imdbID,tmdbID,WatchedDate,Rating10,Rewatch")
    assert "Schindler's List" in result.stdout
