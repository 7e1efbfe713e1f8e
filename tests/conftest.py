"""Shared fixtures: a clean environment per test, with TRAKT_EXPORT_HOME in tmp_path."""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from trakt_fake import FakeTrakt, edge

# The fake is a package of the checkout, not of the wheel: subprocesses (`python -m trakt_fake`)
# find it through PYTHONPATH, as `make demo` and `make bench` do.
REPO = Path(__file__).resolve().parent.parent
# `make mutants` runs this suite from mutmut's copy of the tree (`mutants/`). A test that starts
# a process there would run the installed, unmutated command (and the checkout's tools): such
# tests are skipped under mutmut, which judges mutants by the in-process tests alone.
UNDER_MUTMUT = REPO.name == "mutants"
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
)

# CI explores the same examples every run (no flaky reds); locally each run explores anew.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


# What a test may leave outside its tmp_path: the caches of the tools that run the suite.
CACHES = {".pytest_cache", ".hypothesis", "__pycache__", ".mypy_cache", ".ruff_cache"}
# The tool's own places under $HOME (platformdirs on Linux): a test that forgets
# TRAKT_EXPORT_HOME writes here, below folders that already exist.
HOME_PLACES = (
    ".config/trakt-export",
    ".local/share/trakt-export",
    ".cache/trakt-export",
    ".local/state/trakt-export",
)


def _listing(home: Path) -> set[str]:
    """Every entry of `/`, the repository root and $HOME, and of the tool's places in $HOME."""
    found: set[str] = set()
    for folder in [Path("/"), REPO, home, *(home / place for place in HOME_PLACES)]:
        try:
            found.update(str(folder / name) for name in os.listdir(folder))
        except OSError:  # absent (or unreadable): nothing of ours is there
            continue
    return {entry for entry in found if Path(entry).name not in CACHES}


@pytest.fixture(autouse=True, scope="session")
def nothing_written_outside_tmp() -> Iterator[None]:
    """Fails the run when the suite created a file in `/`, the repository or $HOME (a test
    that writes outside its tmp_path; running as root, nothing else would stop it)."""
    home = Path.home()
    before = _listing(home)
    yield
    left = sorted(_listing(home) - before)
    assert not left, f"the tests left files outside their temporary directories: {left}"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith("TRAKT_EXPORT_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("TRAKT_EXPORT_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    yield home


@pytest.fixture(autouse=True)
def fresh_logging() -> Iterator[None]:
    """The CLI sets the `trakt_export` logger's level and handler from -q/-v; a CLI test must
    not leave them for the next test (whose caplog would then miss the core's warnings)."""
    logger = logging.getLogger("trakt_export")
    handlers, level = list(logger.handlers), logger.level
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTrakt]:
    """The edge dataset served on loopback, the environment pointing at it (CLI tests; a test
    module needing another account or dataset defines its own `served`)."""
    fake = FakeTrakt(edge(), client_id="test-client")
    with fake.serve() as url:
        monkeypatch.setenv("TRAKT_EXPORT_API_URL", url)
        monkeypatch.setenv("TRAKT_EXPORT_AUTH_URL", url)
        monkeypatch.setenv("TRAKT_EXPORT_CLIENT_ID", "test-client")
        yield fake


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        help="Rewrite tests/golden/*.csv from the current output instead of comparing.",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


@pytest.fixture(autouse=True)
def no_processes_under_mutmut(monkeypatch: pytest.MonkeyPatch) -> None:
    if not UNDER_MUTMUT:
        return

    def refuse(*args: object, **kwargs: object) -> None:
        pytest.skip("starts a process: not judged under mutmut")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
