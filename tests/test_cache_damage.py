"""A damaged cache never poisons a run (SPEC §4 "A corrupt cache is reset with a warning",
issue 21 step 9): each file of a filled cache dir in turn is truncated, zeroed, overwritten with
garbage or given one garbage page, then `movies`, `cache stats` and `cache clear` run through
the CLI against the loopback fake: exit 0, at most one `Warning:` line, the same CSV as a run
without the cache, and the run after it clean."""

from __future__ import annotations

import contextlib
import random
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trakt_export.cli.app import app
from trakt_fake import FakeTrakt, sized

runner = CliRunner()
MODES = ("truncate", "zero", "garbage", "page")


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Warning:")]


def damage(path: Path, mode: str) -> None:
    data = path.read_bytes()
    rng = random.Random(f"{path.name}-{mode}")  # the same garbage every run
    if mode == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif mode == "zero":
        path.write_bytes(bytes(len(data)))
    elif mode == "garbage":
        path.write_bytes(rng.randbytes(len(data)))
    else:  # one 4 KB page in the middle: the header and every other page intact
        start = len(data) // 2 // 4096 * 4096
        end = min(start + 4096, len(data))
        path.write_bytes(data[:start] + rng.randbytes(end - start) + data[end:])


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch, clean_env: Path) -> Iterator[FakeTrakt]:
    # 600 plays: the history page is big enough for diskcache to keep it in a value file
    fake = FakeTrakt(sized(600), client_id="test-client")
    with fake.serve() as url:
        monkeypatch.setenv("TRAKT_EXPORT_API_URL", url)
        monkeypatch.setenv("TRAKT_EXPORT_CLIENT_ID", "test-client")
        monkeypatch.setenv("TRAKT_EXPORT_ACCESS_TOKEN", fake.issue_token("bench").access_token)
        monkeypatch.setenv("TRAKT_EXPORT_EXPORT_TIMEZONE", "UTC")
        monkeypatch.setenv("TRAKT_EXPORT_EXPORT_MODE", "history")
        # dozens of runs: the shared rate-limit budget must not make them wait
        monkeypatch.setenv("TRAKT_EXPORT_NETWORK_WINDOW_SECONDS", "0.001")
        yield fake


def run(args: list[str]) -> tuple[int, str, list[str]]:
    done = runner.invoke(app, args)
    assert "Traceback" not in done.stderr and "Internal error" not in done.stderr, done.stderr
    return done.exit_code, done.stderr, warnings(done.stderr)


def test_each_damaged_cache_file_is_dropped_or_reset_with_one_warning(
    account: FakeTrakt, clean_env: Path, tmp_path: Path
) -> None:
    assert run(["movies", "--no-cache", "-o", "ref.csv"])[0] == 0
    reference = (tmp_path / "ref.csv").read_bytes()
    assert run(["movies", "-o", "fill.csv"])[0] == 0
    cache = clean_env / "cache"
    # as after the process ended: the write-ahead log folded into the database file
    with contextlib.closing(sqlite3.connect(cache / "cache.db")) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pristine = tmp_path / "pristine"
    shutil.copytree(cache, pristine)
    files = sorted(p.relative_to(cache) for p in cache.rglob("*") if p.is_file())
    assert Path("cache.db") in files and any(p.suffix == ".val" for p in files), files

    def restore_and_damage(name: Path, mode: str) -> None:
        # no stored result (run/results.py): the run must read its pages from the damaged cache
        shutil.rmtree(clean_env / "results", ignore_errors=True)
        shutil.rmtree(cache)
        shutil.copytree(pristine, cache)
        damage(cache / name, mode)

    noticed = set()
    for name in files:
        for mode in MODES:
            case = f"{name} {mode}"
            restore_and_damage(name, mode)
            code, stderr, said = run(["movies", "-o", "out.csv"])
            assert code == 0, (case, stderr)
            assert (tmp_path / "out.csv").read_bytes() == reference, case
            assert len(said) <= 1, (case, said)
            if said:
                noticed.add((str(name), mode))
                assert str(cache) in said[0], case
            shutil.rmtree(clean_env / "results", ignore_errors=True)
            code, stderr, said = run(["movies", "-o", "out.csv"])  # repaired: clean again
            assert (code, said) == (0, []), (case, stderr)
            assert (tmp_path / "out.csv").read_bytes() == reference, case

            restore_and_damage(name, mode)
            stats = runner.invoke(app, ["cache", "stats", "--json"])
            assert stats.exit_code == 0 and len(warnings(stats.stderr)) <= 1, (case, stats.stderr)
            assert '"entries": ' in stats.stdout, case

            restore_and_damage(name, mode)
            code, stderr, said = run(["cache", "clear"])
            assert code == 0 and len(said) <= 1, (case, stderr)
            code, stderr, said = run(["cache", "stats", "--json"])
            assert (code, said) == (0, []), (case, stderr)
    # the damage that matters was seen and said, not silently stepped over
    value_file = next(str(p) for p in files if p.suffix == ".val")
    for mode in MODES:
        assert ("cache.db", mode) in noticed, mode
        assert (value_file, mode) in noticed, mode
