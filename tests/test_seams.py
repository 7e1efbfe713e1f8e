"""The seams of the package: the layers contract of pyproject.toml (import-linter) holds, and
it fails when a module imports upward or in a cycle (TYPE_CHECKING imports included); the core
runs without the CLI's libraries."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LINT = REPO / ".venv-lint" / "bin" / "lint-imports"  # made by `make lint`, before pytest


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    assert LINT.exists(), "import-linter is missing: run `make lint` (it makes .venv-lint)"
    return subprocess.run(
        [str(LINT), "--no-cache"],
        cwd=tree,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the packages and the contracts, to break on purpose."""
    copy = tmp_path / "tree"
    copy.mkdir()
    shutil.copy(REPO / "pyproject.toml", copy)
    for package in ("trakt_export", "trakt_fake"):
        shutil.copytree(
            REPO / package, copy / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return copy


def test_the_layers_contract_holds_on_the_copy(tree: Path) -> None:
    done = _lint(tree)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # the transport reaching up into the sources, only for an annotation
        (
            "trakt_export/transport/cache.py",
            "if TYPE_CHECKING:\n    from trakt_export.sources.api import TraktAPI\n",
            "Arrows only point down",
        ),
        # a leaf importing a layer
        ("trakt_export/models.py", "import trakt_export.letterboxd.rows\n", "import no layer"),
        # a cycle inside one layer: backoff -> retry -> backoff
        ("trakt_export/transport/backoff.py", "import trakt_export.transport.retry\n", "No cycle"),
        # the core importing the CLI's libraries
        ("trakt_export/sources/base.py", "import rich\n", "Only the CLI imports"),
        # the fake importing the tool
        ("trakt_fake/records.py", "import trakt_export.models\n", "The fake imports nothing"),
    ],
)
def test_an_upward_or_cyclic_import_breaks_a_contract(
    tree: Path, module: str, line: str, broken: str
) -> None:
    path = tree / module
    text = path.read_text()
    if line.startswith("if TYPE_CHECKING") and "TYPE_CHECKING" not in text.split("\n\n")[0]:
        line = "from typing import TYPE_CHECKING\n" + line
    path.write_text(text + "\n" + line)
    done = _lint(tree)
    assert done.returncode != 0
    assert broken in done.stdout and "BROKEN" in done.stdout, done.stdout


def test_an_export_run_from_python_leaves_typer_and_rich_unimported(tmp_path: Path) -> None:
    script = f"""
import sys
from trakt_export.config import resolve
from trakt_export.run.export import run_movies
from trakt_fake import FakeTrakt, edge
from trakt_export.run.session import Options

fake = FakeTrakt(edge(), client_id="test-client")
token = fake.issue_token("edge-user", lifetime=10**8).access_token
settings = resolve(env={{
    "TRAKT_EXPORT_HOME": {str(tmp_path)!r},
    "TRAKT_EXPORT_CLIENT_ID": "test-client",
    "TRAKT_EXPORT_ACCESS_TOKEN": token,
}})
result = run_movies(settings, Options(output={str(tmp_path / "out.csv")!r},
                                      transport=fake.transport()))
assert result.rows > 0
print(sorted(m for m in sys.modules if m.split(".")[0] in ("typer", "rich", "click")))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_wheel_holds_the_tool_and_no_fake() -> None:
    """`pip install .` installs what setuptools finds under pyproject's include: never trakt_fake
    (the fake is the checkout's, for tests, the demo and the benchmark)."""
    import tomllib

    from setuptools import find_packages  # type: ignore[import-untyped]

    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = find_packages(where=str(REPO), include=include)
    assert "trakt_export" in packages and "trakt_export.transport" in packages
    assert not [p for p in packages if p.split(".")[0] != "trakt_export"], packages
