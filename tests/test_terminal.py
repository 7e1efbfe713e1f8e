"""A calm terminal (issue 21 step 6, SPEC §1 v2.2): no live display with `-o -`, retries only
with -v, `Warning:` on every warning, messages in the user's terms, bundled and contradictory
short options, help text. One test per message, with its exact text."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from tests.procs import finish, installed_command, start
from trakt_export.cli.app import app
from trakt_export.cli.display import RichObserver
from trakt_fake import FakeTrakt, edge
from trakt_fake.oauth import oauth_state
from trakt_fake.zipexport import write_export_zip

runner = CliRunner()


@pytest.fixture
def zip_path(tmp_path: Path) -> Path:
    return write_export_zip(FakeTrakt(edge()), "edge-user", tmp_path / "export.zip")


def on_a_terminal(command: str, cwd: Path) -> str:
    """Run a shell command with stdout and stderr on a pseudo-terminal; what the screen got."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        command, shell=True, cwd=cwd, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every writer of the terminal has gone
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode()


@pytest.mark.e2e
def test_csv_to_head_leaves_exactly_its_lines_and_no_display(
    served: FakeTrakt, tmp_path: Path
) -> None:
    args = "movies --user edge-user --timezone UTC -o -"
    reference = runner.invoke(app, ["-q", *args.split()])
    assert reference.exit_code == 0, reference.stderr
    expected = reference.stdout_bytes.decode().splitlines()[:5]
    served.latency = 0.05  # a display, if any, would have time to draw
    screen = on_a_terminal(f"{installed_command()} {args} | head -5", tmp_path)
    assert "\x1b" not in screen  # no cursor movement, colour or erased line: no live display
    lines = [line for line in screen.replace("\r", "").split("\n") if line]
    summary = [line for line in lines if line.startswith("Exported ")]
    assert len(summary) == 1  # the summary line (stderr) may still appear, as itself
    assert [line for line in lines if line not in summary] == expected


def test_retries_are_silent_on_the_display() -> None:
    file = io.StringIO()
    display = RichObserver(Console(file=file, force_terminal=True, width=100), auto_refresh=False)
    display.retrying(2, 1.5, "ConnectError (connection refused)")
    display.close()
    assert "retrying" not in file.getvalue()
    assert "ConnectError" not in file.getvalue()


@pytest.mark.e2e
@pytest.mark.parametrize("verbose", [False, True])
def test_retries_print_only_with_verbose(served: FakeTrakt, tmp_path: Path, verbose: bool) -> None:
    served.faults.fail_next(2, 503)
    flags = "-v " if verbose else ""
    screen = on_a_terminal(
        f"TRAKT_EXPORT_NETWORK_MAX_BACKOFF_SECONDS=0 {installed_command()} {flags}movies "
        "--user edge-user -o out.csv",
        tmp_path,
    )
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen)
    # two 503s, two retries, whichever requests of the first round met them (one twice, or two
    # once each: the order of concurrent requests is the network's)
    retries = re.findall(r"retry [12]/5 of GET /users/edge-user/", plain)
    assert len(retries) == (2 if verbose else 0), plain
    assert "retrying (" not in screen  # the display's own retry lines are gone for good


def test_every_warning_starts_with_warning(zip_path: Path) -> None:
    result = runner.invoke(app, ["movies", "--from-zip", str(zip_path), "--directors", "all"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        "Warning: Trakt's export ZIP holds no directors: the Directors column stays empty "
        "(--directors needs the Trakt API)."
    )


def test_a_mistyped_mode_names_the_flag_with_a_suggestion(zip_path: Path) -> None:
    result = runner.invoke(app, ["movies", "--mode", "histroy", "--from-zip", str(zip_path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        'Error: --mode \'histroy\' is not valid: use "aggregated" or "history" '
        "(did you mean --mode history?)."
    ]


def test_a_bad_timezone_names_the_flag(zip_path: Path) -> None:
    result = runner.invoke(app, ["movies", "--timezone", "Mars/Base", "--from-zip", str(zip_path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Error: --timezone 'Mars/Base' is not valid: not an IANA timezone (e.g. Europe/Berlin)."
    ]


def test_the_config_file_is_still_named_for_its_own_values(zip_path: Path, clean_env: Path) -> None:
    (clean_env / "config.toml").write_text('[export]\nmode = "histroy"\n')
    result = runner.invoke(app, ["movies", "--from-zip", str(zip_path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"Error: [export] mode = 'histroy' is not valid (in {clean_env / 'config.toml'}): "
        'use "aggregated" or "history".'
    ]


def test_a_damaged_token_file_names_it_without_parser_text(clean_env: Path) -> None:
    token = clean_env / "token.json"
    token.write_text("{not json")
    token.chmod(0o600)
    result = runner.invoke(app, ["movies"], env={"TRAKT_EXPORT_CLIENT_ID": "app"})
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        f"Error: the saved Trakt login {token} is damaged (not a login trakt-export wrote).",
        "Run `trakt-export auth login` to replace it.",
    ]


@pytest.mark.e2e
def test_report_at_a_directory_is_one_warning_naming_it(served: FakeTrakt, tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    result = runner.invoke(
        app, ["--report", "reports", "movies", "--user", "edge-user", "-o", "out.csv"]
    )
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[-1] == "Warning: no run report was written to reports: it is a directory."
    assert not any("Errno" in line or ".tmp" in line for line in lines)


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """The console script's own entry (option hoisting, one-line usage errors), in-process."""
    import signal

    from trakt_export.cli.app import main

    previous = signal.getsignal(signal.SIGTERM)
    try:
        with pytest.raises(SystemExit) as stopped:
            main(args)
    finally:
        signal.signal(signal.SIGTERM, previous)
    captured = capsys.readouterr()
    code = stopped.value.code
    return (code if isinstance(code, int) else 0), captured.out, captured.err


@pytest.mark.parametrize("args", [
    ["movies", "-qv"], ["movies", "-vq"], ["-qv", "movies"], ["-q", "-v", "movies"],
    ["-q", "movies", "-v"], ["movies", "--quiet", "--verbose"],
])  # fmt: skip
def test_quiet_with_verbose_is_a_usage_error(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(args, capsys)
    assert code == 2
    assert err.splitlines() == [
        "Error: -q/--quiet and -v/--verbose contradict each other: give one of them "
        "(see `trakt-export --help`)."
    ]


@pytest.mark.parametrize("flag", ["-q", "--quiet"])
def test_quiet_after_the_command(
    zip_path: Path, flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(["movies", flag, "--from-zip", str(zip_path), "-o", "a.csv"], capsys)
    assert code == 0, err
    assert err == ""
    assert Path("a.csv").exists()


def test_wait_needs_a_number(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["movies", "--wait", "soon"], capsys)
    assert code == 2
    assert err.splitlines() == [
        "Error: --wait takes a number of seconds, 0 or more, not soon (see `trakt-export --help`)."
    ]
    code, _, err = run_main(["--wait", "nan", "movies"], capsys)
    assert code == 2 and "not nan" in err
    code, _, err = run_main(["--wait", "-1", "movies"], capsys)
    assert code == 2
    assert err.splitlines() == [
        "Error: --wait takes a number of seconds, 0 or more, not -1 (see `trakt-export --help`)."
    ]


def test_a_split_export_names_its_first_and_last_part_and_the_count(zip_path: Path) -> None:
    args = ["movies", "--mode", "history", "--timezone", "UTC", "--max-rows", "3"]
    result = runner.invoke(app, [*args, "--from-zip", str(zip_path), "-o", "d.csv"])
    assert result.exit_code == 0, result.stderr
    parts = sorted(p.name for p in Path.cwd().glob("d-*.csv"))
    assert len(parts) > 3
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Exported 29 rows to d-01.csv … {parts[-1]} ({len(parts)} files); ")
    assert "d-02.csv" not in line


@pytest.mark.e2e
def test_the_backup_counts_the_files_verify_checks(served: FakeTrakt, tmp_path: Path) -> None:
    made = runner.invoke(app, ["backup", "--user", "edge-user", "-o", "b"])
    assert made.exit_code == 0, made.stderr
    count = len(json.loads((tmp_path / "b" / "manifest.json").read_text())["files"])
    assert f" ({count} files and manifest.json" in made.stderr.splitlines()[-1]
    checked = runner.invoke(app, ["backup", "--verify", "b"])
    assert checked.exit_code == 0, checked.stderr
    assert checked.stderr == f"Backup b verified: {count} files match the manifest.\n"


@pytest.mark.e2e
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupting_auth_login_says_the_login_was_cancelled(
    tmp_path: Path, clean_env: Path, sig: int, code: int
) -> None:
    fake = FakeTrakt(edge(), client_id="app", client_secret="secret")
    state = oauth_state(fake)
    state.interval, state.approve_after_polls = 1, 10**6  # pending until the user gives up
    with fake.serve() as url:
        env = {"TRAKT_EXPORT_CLIENT_ID": "app", "TRAKT_EXPORT_CLIENT_SECRET": "secret",
               "TRAKT_EXPORT_AUTH_URL": url, "TRAKT_EXPORT_API_URL": url}  # fmt: skip
        proc = start(["auth", "login"], env, tmp_path)
        deadline = time.monotonic() + 20
        while fake.stats.by_path.get("POST /oauth/device/token", 0) < 1:
            assert time.monotonic() < deadline, "no poll"
            time.sleep(0.02)
        proc.send_signal(sig)
        done = finish(proc)
    assert done.returncode == code
    assert done.stderr.splitlines()[-1] == (
        "Login cancelled; run `trakt-export auth login` again when ready."
    )
    assert "outputs" not in done.stderr
    assert not (clean_env / "token.json").exists()


HELP_PAGES = [
    [], ["movies"], ["watchlist"], ["lists"], ["backup"], ["doctor"], ["auth"], ["auth", "login"],
    ["cache"], ["cache", "stats"], ["config"], ["config", "init"],
]  # fmt: skip


@pytest.mark.parametrize("page", HELP_PAGES, ids=lambda p: " ".join(p) or "root")
def test_help_shows_real_metavars_and_whole_summaries(page: list[str]) -> None:
    result = runner.invoke(app, [*page, "--help"], terminal_width=80)
    assert result.exit_code == 0
    assert not re.search(r"<[a-z]+>", result.stdout), result.stdout  # no <str>, <int>, <path>
    commands = result.stdout.partition("Commands:")[2]
    assert "..." not in commands, commands  # summaries wrapped, never cut


def test_root_help_lists_wait_and_every_summary_whole() -> None:
    result = runner.invoke(app, ["--help"], terminal_width=80)
    assert "--wait SECONDS" in result.stdout
    commands = " ".join(result.stdout.partition("Commands:")[2].split())
    assert (
        "watchlist Export the films of your watchlist as Letterboxd CSV, in Trakt rank order."
        in (commands)
    )
