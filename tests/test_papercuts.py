"""The newcomer's papercuts (issue 16, step 6), one test each, through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trakt_export.auth.tokens import Token, TokenStore
from trakt_export.cli.app import app
from trakt_export.config import resolve
from trakt_fake import FakeTrakt

ROOT = Path(__file__).resolve().parent.parent
CLIENT = "test-client"
runner = CliRunner()


def test_auth_status_without_login_says_not_logged_in() -> None:
    result = runner.invoke(app, ["auth", "status"])
    assert result.exit_code == 0
    assert result.stdout == (
        "Not logged in. Run `trakt-export auth login`, or export a public profile with "
        "--user NAME, or work offline with --from-zip PATH.\n"
    )


def test_auth_status_names_public_mode_when_a_username_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRAKT_EXPORT_USERNAME", "someone")
    result = runner.invoke(app, ["auth", "status"])
    assert result.exit_code == 0
    assert result.stdout == (
        "Not logged in; public mode: exports read the public profile of someone.\n"
    )


def test_auth_status_says_expires_in_hours(clean_env: Path) -> None:
    now = int(time.time())
    TokenStore(resolve().paths.token_file).save(Token("a", "r", now, 23 * 3600 + 60, "me"))
    result = runner.invoke(app, ["auth", "status"])
    assert result.exit_code == 0
    assert "(expires in 23 h)" in result.stdout


def test_mode_help_lists_its_choices() -> None:
    result = runner.invoke(app, ["movies", "--help"])
    assert "--mode aggregated|history" in result.stdout


def test_config_init_writes_the_commented_example(clean_env: Path) -> None:
    shipped = (ROOT / "trakt_export" / "config.example.toml").read_text()
    assert shipped == (ROOT / "config.example.toml").read_text()  # the package's copy
    result = runner.invoke(app, ["config", "init"])
    assert result.exit_code == 0, result.stderr
    assert (clean_env / "config.toml").read_text() == shipped
    assert "# TRAKT_EXPORT_CLIENT_ID" in shipped


def test_a_misspelled_config_key_gets_a_did_you_mean(clean_env: Path) -> None:
    (clean_env / "config.toml").write_text("[export]\nmax_row = 5\n")
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"Error: unknown key 'max_row' in [export] in {clean_env / 'config.toml'} "
        "(did you mean max_rows?).",
    ]
    (clean_env / "config.toml").write_text("[netwrk]\n")
    result = runner.invoke(app, ["config", "show"])
    assert result.stderr.splitlines()[-1].endswith(
        "(known: [trakt], [export], [cache], [network]) (did you mean [network]?)."
    )


def test_cache_stats_reset_zeroes_the_counters_and_keeps_the_entries(
    served: FakeTrakt, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAKT_EXPORT_USERNAME", "edge-user")
    for _ in range(2):
        assert runner.invoke(app, ["watchlist"]).exit_code == 0
    before = json.loads(runner.invoke(app, ["cache", "stats", "--json"]).stdout)
    assert before["hits"] > 0 and before["entries"] > 0
    result = runner.invoke(app, ["cache", "stats", "--reset", "--json"])
    assert result.exit_code == 0
    after = json.loads(result.stdout)
    assert (after["hits"], after["misses"], after["entries"]) == (0, 0, before["entries"])
    assert all(kind["hits"] == kind["misses"] == 0 for kind in after["by_kind"].values())


def test_the_fakes_help_lists_datasets_and_says_latency_is_per_request() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "trakt_fake", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    text = " ".join(done.stdout.split())
    assert "sample, edge, large, reality, heavy_tv, imported or sized:N" in text
    assert "per request" in text


def test_make_demo_cleans_up_its_server_when_its_output_pipe_closes(tmp_path: Path) -> None:
    """`make demo | head -n 1`: the reader goes away after the first line; once the script has
    exited (its EXIT trap waits for the server), nothing of it is left. Every wait here is on an
    event (a line read, a process exit), never on a clock: a busy machine only makes it slower."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "TMPDIR": str(temp), "DEMO_OUT": str(tmp_path / "out")}
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    with (tmp_path / "stderr").open("wb") as stderr:
        demo = subprocess.Popen(
            ["sh", str(ROOT / "scripts" / "demo.sh")],
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
            cwd=tmp_path,
        )
        assert demo.stdout is not None
        first = demo.stdout.readline()  # blocks until the server is up and the script says so
        demo.stdout.close()  # the reader is gone: the script's next line meets a closed pipe
        code = demo.wait(timeout=600)  # a safety net against a hang, not a timing assumption
    errors = (tmp_path / "stderr").read_text()
    assert first.startswith(b"== fake Trakt serving the sample account"), errors
    # 141 from `trap 'exit 141' PIPE`; 0 when a descheduled test closed the pipe only after the
    # whole demo had fitted into it: the clean-up must hold either way
    assert code in (0, 141), errors
    assert list(temp.iterdir()) == []  # the EXIT trap ran
    assert _servers(temp) == []  # and the server is gone


def _servers(temp: Path) -> list[int]:
    """Pids of fake servers started with this TMPDIR (read from /proc, Linux)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if b"trakt_fake" in cmdline and f"TMPDIR={temp}".encode() in environ:
            found.append(int(entry.name))
    return found
