"""The `lists` command (SPEC §1): list-import CSVs per list and _favorites, online and offline."""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from pathlib import Path

import pytest

from tests.test_golden import CLIENT, check, settings_for
from trakt_export.errors import UsageError
from trakt_export.run.lists import plan_names, run_lists
from trakt_export.run.session import Options
from trakt_fake import FakeTrakt, edge
from trakt_fake.ziplayouts import LAYOUTS, write_trakt_zip


def rows_of(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def token_run(home: Path, out: Path, **env: str) -> tuple[FakeTrakt, list[Path]]:
    fake = FakeTrakt(edge(), client_id=CLIENT)
    token = fake.issue_token("edge-user").access_token
    settings = settings_for(home, TRAKT_EXPORT_ACCESS_TOKEN=token, **env)
    result = run_lists(settings, Options(output=str(out), transport=fake.transport()))
    assert "list's import" in result.summary()
    return fake, result.files


def test_lists_golden_positions_notes_films_only(
    clean_env: Path, tmp_path: Path, update_goldens: bool, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "lists"
    with caplog.at_level(logging.WARNING):
        fake, files = token_run(clean_env, out)
    assert sorted(p.name for p in files) == [
        "_favorites.csv",
        "secret.csv",
        "top-01.csv",
        "top.csv",
    ]  # shows-only and empty hold no films: no file, a warning each
    warned = [r.getMessage() for r in caplog.records if "holds no films" in r.getMessage()]
    assert len(warned) == 2
    for path in files:
        check(path, f"edge-list-{path.name}", update_goldens)
    top = rows_of(out / "top.csv")
    assert list(top[0]) == ["Position", "Title", "Year", "imdbID", "tmdbID", "Review"]
    assert [r["Position"] for r in top] == [str(i) for i in range(1, 11)]  # the show is dropped
    assert top[0]["Review"] == 'Masterpiece &amp; "must-see" &lt;3'
    assert top[1]["Review"] == "Line one\nline two"
    paths = {s.path for s in fake.stats.requests}
    assert "/users/me/lists" in paths and "/users/me/favorites" in paths


def test_split_parts_and_name_collision(clean_env: Path, tmp_path: Path) -> None:
    out = tmp_path / "lists"
    _, files = token_run(clean_env, out, TRAKT_EXPORT_EXPORT_MAX_ROWS="4")
    names = sorted(p.name for p in files)
    # `top` (4001) splits into top-01..03; the list slugged `top-01` (4002, the larger id)
    # takes its id as a suffix.
    assert names == [
        "_favorites.csv",
        "secret.csv",
        "top-01-4002.csv",
        "top-01.csv",
        "top-02.csv",
        "top-03.csv",
    ]
    positions = [r["Position"] for n in ("01", "02", "03") for r in rows_of(out / f"top-{n}.csv")]
    assert positions == [str(i) for i in range(1, 11)]  # continuing across parts
    assert [r["Title"] for r in rows_of(out / "top-01-4002.csv")] == ["Run Lola Run", "Collateral"]


def test_plan_names_larger_id_takes_suffix() -> None:
    assert plan_names({10: ("top", 2), 5: ("top-02", 1), 7: ("x", 1)}) == {
        10: "top-10",
        5: "top-02",
        7: "x",
    }


def test_list_selection_and_unknown_slug(clean_env: Path, tmp_path: Path) -> None:
    fake = FakeTrakt(edge(), client_id=CLIENT)
    token = fake.issue_token("edge-user").access_token
    settings = settings_for(clean_env, TRAKT_EXPORT_ACCESS_TOKEN=token)
    options = Options(output=str(tmp_path / "one"), transport=fake.transport())
    result = run_lists(settings, options, ["top-01"])
    assert [p.name for p in result.files] == ["top-01.csv"]
    with pytest.raises(UsageError) as caught:
        run_lists(settings, options, ["nope"])
    assert caught.value.exit_code == 2
    assert "'nope'" in str(caught.value) and "top-01" in (caught.value.hint or "")


def test_public_mode_hides_private_lists(clean_env: Path, tmp_path: Path) -> None:
    fake = FakeTrakt(edge(), client_id=CLIENT)
    settings = settings_for(clean_env, TRAKT_EXPORT_USERNAME="edge-user")
    result = run_lists(settings, Options(output=str(tmp_path / "p"), transport=fake.transport()))
    assert "secret.csv" not in [p.name for p in result.files]
    assert all(s.path.startswith("/users/edge-user/") for s in fake.stats.requests)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_lists_from_zip_identical_to_online(clean_env: Path, tmp_path: Path, layout: str) -> None:
    online = tmp_path / "online"
    fake, files = token_run(clean_env, online, TRAKT_EXPORT_EXPORT_MAX_ROWS="4")
    archive = write_trakt_zip(fake, tmp_path / "export.zip", "edge-user", layout, page_size=3)
    offline = tmp_path / "offline"
    settings = settings_for(clean_env, TRAKT_EXPORT_EXPORT_MAX_ROWS="4")
    result = run_lists(settings, Options(output=str(offline), zip_path=archive))
    assert sorted(p.name for p in result.files) == sorted(p.name for p in files)
    for path in files:
        assert (offline / path.name).read_bytes() == path.read_bytes(), path.name


def test_cli_lists_and_unknown_slug(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from trakt_export.cli.app import app

    fake = FakeTrakt(edge(), client_id=CLIENT)
    with fake.serve() as url:
        monkeypatch.setenv("TRAKT_EXPORT_API_URL", url)
        monkeypatch.setenv("TRAKT_EXPORT_CLIENT_ID", CLIENT)
        monkeypatch.setenv("TRAKT_EXPORT_ACCESS_TOKEN", fake.issue_token("edge-user").access_token)
        runner = CliRunner()
        bad = runner.invoke(app, ["lists", "--list", "nope"])
        assert bad.exit_code == 2
        assert "'nope'" in bad.stderr and "top-01" in bad.stderr
        good = runner.invoke(app, ["lists", "--list", "top", "--max-rows", "6"])
        assert good.exit_code == 0, good.stderr
        (line,) = good.stderr.splitlines()
        assert line.startswith("Exported 1 list (10 rows) to letterboxd-lists/top-01.csv, ")
        assert "list's import" in line
        assert sorted(p.name for p in (tmp_path / "letterboxd-lists").iterdir()) == [
            "top-01.csv",
            "top-02.csv",
        ]
        watchlist = runner.invoke(app, ["watchlist"])
        assert "not the diary import" in watchlist.stderr
        since = [
            runner.invoke(app, ["movies", "--mode", "history", "--since", "last", "-o", name])
            for name in ("n1.csv", "n2.csv")
        ]
        assert [r.exit_code for r in since] == [0, 0]
        assert since[1].stderr.startswith("Nothing new to export: no file written;")
        assert (tmp_path / "n1.csv").exists() and not (tmp_path / "n2.csv").exists()
        tagged = runner.invoke(
            app, ["movies", "--reviews", "--tags", "x", "-o", "t.csv", "--no-cache"]
        )
        assert tagged.exit_code == 0, tagged.stderr
        assert (tmp_path / "t.csv").read_text().splitlines()[0].endswith(",Tags,Review")


def test_lists_from_zip_upper_case_macosx_and_missing_file(clean_env: Path, tmp_path: Path) -> None:
    fake = FakeTrakt(edge(), client_id=CLIENT)
    online = tmp_path / "online"
    token = fake.issue_token("edge-user").access_token
    run_lists(
        settings_for(clean_env, TRAKT_EXPORT_ACCESS_TOKEN=token),
        Options(output=str(online), transport=fake.transport()),
    )
    archive = write_trakt_zip(
        fake, tmp_path / "e.zip", "edge-user", "user-folders", upper=True, macosx=True
    )
    result = run_lists(
        settings_for(clean_env), Options(output=str(tmp_path / "z"), zip_path=archive)
    )
    assert [p.read_bytes() for p in result.files] == [
        (online / p.name).read_bytes() for p in result.files
    ]
    assert len(result.files) == 4
    bare = write_trakt_zip(fake, tmp_path / "bare.zip", "edge-user", "flat")
    stripped = tmp_path / "stripped.zip"
    with zipfile.ZipFile(bare) as src, zipfile.ZipFile(stripped, "w") as dst:
        for name in src.namelist():
            if "lists-lists" not in name:
                dst.writestr(name, src.read(name))
    with pytest.raises(UsageError, match=r"lists-lists\.json"):
        run_lists(settings_for(clean_env), Options(output=str(tmp_path / "s"), zip_path=stripped))
