"""Process-level reliability (issue 7): the installed `trakt-export` in real subprocesses against
the fake Trakt on loopback, under faults, interruption and bad input. Never a traceback, never a
partial file, previous outputs byte-identical on failure."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import stat
import subprocess
import time
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.procs import Done, child_env, finish, installed_command, run, start
from trakt_fake import FakeTrakt, edge, large

pytestmark = pytest.mark.e2e
CLIENT = "test-client"
PREVIOUS = b"previous export\r\n"
FAST_RETRY = {"TRAKT_EXPORT_NETWORK_MAX_BACKOFF_SECONDS": "0.05"}


class Served:
    def __init__(self, fake: FakeTrakt, url: str, token: str) -> None:
        self.fake = fake
        self.env = {
            "TRAKT_EXPORT_API_URL": url,
            "TRAKT_EXPORT_AUTH_URL": url,
            "TRAKT_EXPORT_CLIENT_ID": CLIENT,
            "TRAKT_EXPORT_ACCESS_TOKEN": token,
        }


def serve(fake: FakeTrakt, user: str) -> Iterator[Served]:
    token = fake.issue_token(user).access_token
    with fake.serve() as url:
        yield Served(fake, url, token)


@pytest.fixture
def edge_served() -> Iterator[Served]:
    yield from serve(FakeTrakt(edge(), client_id=CLIENT), "edge-user")


@pytest.fixture
def large_served() -> Iterator[Served]:
    yield from serve(FakeTrakt(large(), client_id=CLIENT), "big-user")


def clean(done: Done) -> Done:
    """What every run must satisfy, success or not: no traceback, at most two lines on error."""
    assert "Traceback" not in done.stderr, done.stderr
    if done.returncode != 0:
        assert 1 <= len(done.stderr.strip().splitlines()) <= 2, done.stderr
    return done


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


def wait_for(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


# ----- network faults -----------------------------------------------------------------------


def test_server_down_exit_4_in_bounded_time_previous_output_kept(tmp_path: Path) -> None:
    (tmp_path / "letterboxd-aggregated.csv").write_bytes(PREVIOUS)
    env = {
        "TRAKT_EXPORT_API_URL": "http://127.0.0.1:9",  # nothing listens on the discard port
        "TRAKT_EXPORT_CLIENT_ID": CLIENT,
        "TRAKT_EXPORT_ACCESS_TOKEN": "t",
        "TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS": "3",
        **FAST_RETRY,
    }
    started = time.monotonic()
    done = clean(run(["movies"], env, tmp_path, timeout=30))
    assert done.returncode == 4
    assert time.monotonic() - started < 20
    assert done.stderr.startswith("Error: could not reach Trakt")
    assert (tmp_path / "letterboxd-aggregated.csv").read_bytes() == PREVIOUS
    assert leftovers(tmp_path) == []


def test_faults_give_output_identical_to_a_fault_free_run(
    large_served: Served, tmp_path: Path
) -> None:
    args = ["movies", "--mode", "history", "--timezone", "UTC", "--no-cache", "-o"]
    baseline = clean(run([*args, "clean.csv"], large_served.env, tmp_path))
    assert baseline.returncode == 0, baseline.stderr
    faults = large_served.fake.faults
    faults.error_rate(0.2, seed=7)
    faults.truncate_rate(0.05, seed=7)
    faults.drop_next(2)  # connection reset while the body is on its way
    env = {**large_served.env, **FAST_RETRY, "TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS": "8"}
    faulty = clean(run([*args, "faulty.csv"], env, tmp_path))
    assert faulty.returncode == 0, faulty.stderr
    assert (tmp_path / "faulty.csv").read_bytes() == (tmp_path / "clean.csv").read_bytes()
    assert sum(n for status, n in large_served.fake.stats.by_status.items() if status >= 500) > 0


def test_persistent_5xx_exit_4_saying_how_often_we_tried(
    edge_served: Served, tmp_path: Path
) -> None:
    (tmp_path / "letterboxd-aggregated.csv").write_bytes(PREVIOUS)
    edge_served.fake.faults.fail_next(1000, status=503)
    env = {**edge_served.env, **FAST_RETRY, "TRAKT_EXPORT_NETWORK_MAX_ATTEMPTS": "3"}
    done = clean(run(["-q", "movies"], env, tmp_path))
    assert done.returncode == 4
    assert re.fullmatch(
        r"Error: Trakt is failing \(503 at GET /[a-z/_]+\) after 3 attempts\.\nTry again later\.\n",
        done.stderr,
    ), done.stderr
    assert (tmp_path / "letterboxd-aggregated.csv").read_bytes() == PREVIOUS


def test_429_storm_waits_retry_after_then_completes(edge_served: Served, tmp_path: Path) -> None:
    reference = clean(run(["movies", "--no-cache", "-o", "ref.csv"], edge_served.env, tmp_path))
    assert reference.returncode == 0
    edge_served.fake.faults.force_429(4, retry_after=1)
    env = {**edge_served.env, "TRAKT_EXPORT_NETWORK_MAX_BACKOFF_SECONDS": "5"}
    started = time.monotonic()
    done = clean(run(["movies", "--no-cache", "-o", "after.csv"], env, tmp_path))
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started >= 1.0  # nobody went before Retry-After
    assert edge_served.fake.stats.served_429 == 4
    assert (tmp_path / "after.csv").read_bytes() == (tmp_path / "ref.csv").read_bytes()


def test_retry_after_beyond_the_cap_fails_fast_saying_when(
    edge_served: Served, tmp_path: Path
) -> None:
    edge_served.fake.faults.force_429(1, retry_after=3600)  # beyond max_wait_seconds (600)
    started = time.monotonic()
    done = clean(run(["movies"], {**edge_served.env, **FAST_RETRY}, tmp_path))
    assert done.returncode == 4
    assert time.monotonic() - started < 15
    assert "3600" in done.stderr


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("token", "Run `trakt-export auth login`"),
        ("client", "Check client_id in the config"),
        ("locked", "Contact Trakt support"),
    ],
)
def test_auth_failures_exit_3_with_the_right_hint(
    edge_served: Served, tmp_path: Path, setup: str, expected: str
) -> None:
    env = dict(edge_served.env)
    if setup == "token":
        env["TRAKT_EXPORT_ACCESS_TOKEN"] = "revoked-or-unknown"
    elif setup == "client":
        env["TRAKT_EXPORT_CLIENT_ID"] = "not-our-app"
    else:
        edge_served.fake.faults.fail_next(5, status=423)
    done = clean(run(["movies"], env, tmp_path))
    assert done.returncode == 3
    assert expected in done.stderr
    assert not (tmp_path / "letterboxd-aggregated.csv").exists()


# ----- interruption and concurrency ---------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "sig"), [("movies", signal.SIGINT), ("backup", signal.SIGTERM)]
)
def test_sigint_mid_run_exit_130_nothing_partial_lock_released(
    edge_served: Served, tmp_path: Path, command: str, sig: signal.Signals
) -> None:
    target = tmp_path / ("out.csv" if command == "movies" else "backup-dir")
    if command == "movies":
        target.write_bytes(PREVIOUS)
    else:
        target.mkdir()
        (target / "manifest.json").write_bytes(PREVIOUS)
    edge_served.fake.latency = 0.3  # the run is waiting for its first answers: mid-fetch
    proc = start([command, "-o", str(target)], edge_served.env, tmp_path)
    wait_for(lambda: edge_served.fake.stats.total >= 1)
    proc.send_signal(sig)  # SIGTERM (cron, systemd, `timeout`) has SIGINT's guarantees
    done = clean(finish(proc))
    assert done.returncode == (130 if sig == signal.SIGINT else 143)
    assert ("Interrupted" if sig == signal.SIGINT else "Terminated") in done.stderr
    if command == "movies":
        assert target.read_bytes() == PREVIOUS
    else:
        assert [p.name for p in target.iterdir()] == ["manifest.json"]
        assert (target / "manifest.json").read_bytes() == PREVIOUS
    assert leftovers(tmp_path) == []
    edge_served.fake.latency = 0.0
    again = clean(run([command, "-o", str(tmp_path / "again")], edge_served.env, tmp_path))
    assert again.returncode == 0, again.stderr  # the lock was released


def test_two_concurrent_runs_second_exits_5(large_served: Served, tmp_path: Path) -> None:
    marker = tmp_path / "paused"  # the first run waits, holding the lock, until we let it go
    env = {**large_served.env, **paused_at("deliver", marker)}
    first = start(["movies", "-o", "first.csv"], env, tmp_path)
    wait_for(marker.exists)
    second = clean(run(["movies", "-o", "second.csv"], large_served.env, tmp_path))
    marker.unlink()
    assert second.returncode == 5
    assert "holds the lock" in second.stderr
    assert finish(first).returncode == 0
    assert not (tmp_path / "second.csv").exists()


# ----- output trouble -----------------------------------------------------------------------


def test_output_under_a_file_is_a_clear_error(edge_served: Served, tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file, not a directory")
    done = clean(run(["movies", "-o", "blocker/out.csv"], edge_served.env, tmp_path))
    assert done.returncode == 2
    assert "blocker" in done.stderr


def test_disk_full_leaves_nothing_half_written(edge_served: Served, tmp_path: Path) -> None:
    target = tmp_path / "letterboxd-history.csv"
    target.write_bytes(PREVIOUS)

    def small_disk() -> None:  # writes past 1 KiB fail like a full disk (EFBIG)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))

    proc = subprocess.run(
        [installed_command(), "movies", "--mode", "history", "--no-cache"],
        env=child_env(edge_served.env),
        cwd=tmp_path,
        capture_output=True,
        preexec_fn=small_disk,
        timeout=60,
        check=False,
    )
    done = clean(Done(proc.returncode, proc.stdout, proc.stderr))
    assert done.returncode == 2
    assert str(target.name) in done.stderr
    assert target.read_bytes() == PREVIOUS
    assert leftovers(tmp_path) == []


# ----- bad input ----------------------------------------------------------------------------

BAD_CONFIGS = {
    "malformed": ("[export\n", "is not valid TOML"),
    "unknown key": ("[export]\nformat = 'csv'\n", "unknown key 'format' in [export]"),
    "wrong type": ("[network]\ntimeout_seconds = 'soon'\n", "[network] timeout_seconds must be"),
    "timezone": ("[export]\ntimezone = 'Moon/Base'\n", "[export] timezone = 'Moon/Base'"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_exit_2_one_line(edge_served: Served, tmp_path: Path, case: str) -> None:
    text, expected = BAD_CONFIGS[case]
    config = tmp_path / "bad.toml"
    config.write_text(text)
    done = clean(run(["--config", str(config), "movies"], edge_served.env, tmp_path))
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1
    assert expected in done.stderr and str(config) in done.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["movies", "--mode", "weekly"], "weekly"),
        (["movies", "--max-rows", "many"], "--max-rows"),
        (["movies", "--bogus"], "--bogus"),
        (["export-everything"], "export-everything"),
    ],
)
def test_bad_command_line_exit_2_short(
    edge_served: Served, tmp_path: Path, args: list[str], expected: str
) -> None:
    done = clean(run(args, edge_served.env, tmp_path))
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()  # one line: what is wrong, where to look
    assert expected in line and line.startswith("Error: ")


@pytest.mark.parametrize("kind", ["missing", "corrupt", "foreign"])
def test_bad_zip_exit_2_naming_the_file(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "export.zip"
    if kind == "corrupt":
        path.write_bytes(b"PK\x03\x04 this is not really a zip")
    elif kind == "foreign":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("holiday/photo.txt", "not a Trakt export")
    done = clean(run(["movies", "--from-zip", str(path)], {}, tmp_path))
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert "export.zip" in line and "Settings > Data > Export" in line
    assert not (tmp_path / "letterboxd-aggregated.csv").exists()


# ----- login expiring mid-run, cron output ---------------------------------------------------


def test_login_expiring_mid_run_is_refreshed_once(clean_env: Path, tmp_path: Path) -> None:
    from trakt_export.auth.tokens import REFRESH_MARGIN, Token, TokenStore
    from trakt_fake.oauth import oauth_state

    fake = FakeTrakt(large(), client_id=CLIENT, client_secret="test-secret")
    # The saved login has 1-2 s left before the refresh margin: the run starts with it and must
    # renew it on the way (three rounds of requests, 1 s each).
    issued = fake.issue_token("big-user")
    now = int(time.time())
    expires_in = int(REFRESH_MARGIN) + 2
    old = Token(issued.access_token, issued.refresh_token, now, expires_in, "big-user")
    TokenStore(clean_env / "token.json").save(old)
    fake.latency = 1.0
    with fake.serve() as url:
        env = {
            "TRAKT_EXPORT_API_URL": url,
            "TRAKT_EXPORT_AUTH_URL": url,
            "TRAKT_EXPORT_CLIENT_ID": CLIENT,
            "TRAKT_EXPORT_CLIENT_SECRET": "test-secret",
        }
        done = clean(run(["movies", "-o", "films.csv"], env, tmp_path))
    assert done.returncode == 0, done.stderr
    state = oauth_state(fake)
    assert state.refreshes == 1
    assert state.refresh_tokens_seen == [old.refresh_token]
    order = [(seen.method, seen.path) for seen in fake.stats.requests]
    refreshed_at = order.index(("POST", "/oauth/token"))
    assert 0 < refreshed_at < len(order) - 1  # mid-run: requests before and after it
    saved = TokenStore(clean_env / "token.json").load()
    assert saved is not None and saved.refresh_token != old.refresh_token
    assert (tmp_path / "films.csv").exists()


def test_cron_run_has_no_control_characters_and_quiet_is_silent(
    edge_served: Served, tmp_path: Path
) -> None:
    done = clean(run(["movies", "--mode", "history"], edge_served.env, tmp_path))
    assert done.returncode == 0
    assert "\x1b" not in done.stderr and "\r" not in done.stderr  # no progress display
    (line,) = done.stderr.splitlines()
    assert re.fullmatch(
        r"Exported \d+ rows to letterboxd-history\.csv \(1 file\); \d+ HTTP requests, "
        r"\d+ cache hits?, \d+ retr(y|ies), \d+ warnings?, \d+\.\d s\.",
        line,
    )
    for args in (["movies"], ["watchlist"], ["backup", "-o", "b"]):
        quiet = clean(run(["-q", *args], edge_served.env, tmp_path))
        assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout == b""


CLIENT_SCRIPT = """
import asyncio, sys
from trakt_export.auth.tokens import build_auth
from trakt_export.transport.client import build_client
from trakt_export.config import resolve

async def main() -> int:
    settings = resolve()
    async with build_client(settings, auth=build_auth(settings), cache_mode="off") as http:
        return (await http.get("/users/settings")).status_code

sys.exit(0 if asyncio.run(main()) == 200 else 1)
"""


def test_two_processes_needing_a_refresh_make_one(clean_env: Path, tmp_path: Path) -> None:
    import sys

    from trakt_export.auth.tokens import Token, TokenStore
    from trakt_fake.oauth import oauth_state

    fake = FakeTrakt(edge(), client_id=CLIENT, client_secret="test-secret")
    issued = fake.issue_token("edge-user")
    # Inside the refresh margin: both processes want a new pair before their first request.
    old = Token(issued.access_token, issued.refresh_token, int(time.time()), 60, "edge-user")
    TokenStore(clean_env / "token.json").save(old)
    fake.latency = 0.5  # the first refresh is still in flight when the second process asks
    with fake.serve() as url:
        env = child_env(
            {
                "TRAKT_EXPORT_API_URL": url,
                "TRAKT_EXPORT_AUTH_URL": url,
                "TRAKT_EXPORT_CLIENT_ID": CLIENT,
                "TRAKT_EXPORT_CLIENT_SECRET": "test-secret",
            }
        )
        procs = [
            subprocess.Popen([sys.executable, "-c", CLIENT_SCRIPT], env=env, cwd=tmp_path)
            for _ in range(2)
        ]
        codes = [p.wait(timeout=60) for p in procs]
    assert codes == [0, 0]
    state = oauth_state(fake)
    assert state.refreshes == 1
    assert state.refresh_tokens_seen == [old.refresh_token]


# ----- SIGTERM, held renames, journal (issue 13, SPEC §5/§6) ---------------------------------


def paused_at(point: str, marker: Path) -> dict[str, str]:
    """The test-only pause hook (signals.checkpoint): the run creates `marker` at `point` and
    waits until the test removes it, so a signal lands at an exact moment (no sleeps)."""
    return {"TRAKT_EXPORT_TEST_PAUSE": point, "TRAKT_EXPORT_TEST_PAUSE_FILE": str(marker)}


def csv_set(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("*.csv"))}


SPLIT_OLD = ["movies", "--mode", "history", "--timezone", "UTC", "--max-rows", "2"]
SPLIT_NEW = ["movies", "--mode", "history", "--timezone", "UTC", "--max-rows", "3"]


def old_split_set(served: Served, tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """out/ holding an earlier, longer split set (more parts than SPLIT_NEW writes)."""
    out = tmp_path / "out"
    done = clean(run([*SPLIT_OLD, "-o", f"{out}/films.csv"], served.env, tmp_path))
    assert done.returncode == 0, done.stderr
    return out, csv_set(out)


MOMENTS = [
    # first: its next run (a complete, normal run) gives the new set the others are held to
    ("staged", signal.SIGKILL, "new"),  # old set intact; the next run removes the temp files
    ("deliver", signal.SIGTERM, "old"),  # rows mapped, nothing written yet
    ("staged", signal.SIGTERM, "old"),  # every part written to its temp file
    ("renaming", signal.SIGTERM, "new"),  # held: the set completes, then exit 143
    ("renaming", signal.SIGINT, "new"),  # held: then exit 130
    ("renaming", signal.SIGKILL, "new"),  # cannot be held: the next run repairs the mix
]


def test_signal_or_kill_at_each_moment_of_writing_never_a_mix(
    edge_served: Served, tmp_path: Path, clean_env: Path
) -> None:
    from trakt_export.output import _record_path

    out, old = old_split_set(edge_served, tmp_path)
    new: dict[str, bytes] = {}
    record = _record_path(clean_env / "outputs", out / "films.csv")
    # One copy of the data dir and of out/ per moment, so the runs go in parallel (no shared
    # lock); the record of what was written follows each copy's path.
    runs = []
    for i, (point, sig, expected) in enumerate(MOMENTS):
        home, where, marker = tmp_path / f"home{i}", tmp_path / f"out{i}", tmp_path / f"paused{i}"
        shutil.copytree(clean_env, home)
        shutil.copytree(out, where)
        (home / "outputs" / record.name).rename(_record_path(home / "outputs", where / "films.csv"))
        env = {**edge_served.env, **paused_at(point, marker), "TRAKT_EXPORT_HOME": str(home)}
        proc = start([*SPLIT_NEW, "-o", f"{where}/films.csv"], env, tmp_path)
        runs.append((point, sig, expected, home, where, marker, proc))
    for _, sig, _, _, _, marker, proc in runs:
        wait_for(marker.exists)
        proc.send_signal(sig)
        marker.unlink()
    for point, sig, expected, home, where, _, proc in runs:
        done = finish(proc)
        moment = (point, sig.name, done.stderr)
        if sig == signal.SIGKILL and point == "staged":
            assert csv_set(where) == old, moment
            assert leftovers(where), moment  # a hard kill leaves its temp files...
            env = {**edge_served.env, "TRAKT_EXPORT_HOME": str(home)}
            again = clean(run([*SPLIT_NEW, "-o", f"{where}/films.csv"], env, tmp_path))
            assert again.returncode == 0, again.stderr  # ...the next run removes them
            new = csv_set(where)
            assert len(old) > len(new) > 1, (old.keys(), new.keys())
        elif sig == signal.SIGKILL:
            mixed = csv_set(where)
            assert mixed != old and mixed != new, moment  # the first part renamed: a mix
            assert list((home / "outputs").glob("*.journal")), moment
            # The next run (to another output, even) finishes the set from its journal.
            env = {**edge_served.env, "TRAKT_EXPORT_HOME": str(home)}
            repair = clean(run(["watchlist", "-o", str(tmp_path / "w.csv")], env, tmp_path))
            assert repair.returncode == 0, repair.stderr
            assert not list((home / "outputs").glob("*.journal"))
        else:
            clean(done)
            assert done.returncode == (143 if sig == signal.SIGTERM else 130), moment
            assert ("Terminated" if sig == signal.SIGTERM else "Interrupted") in done.stderr
        assert csv_set(where) == (old if expected == "old" else new), moment
        assert leftovers(where) == [], moment


def test_sigterm_mid_fetch_exit_143_lock_released_token_intact(
    edge_served: Served, tmp_path: Path, clean_env: Path
) -> None:
    from trakt_export.auth.tokens import Token, TokenStore

    issued = edge_served.fake.issue_token("edge-user")
    token = Token(issued.access_token, issued.refresh_token, int(time.time()), 86400, "edge-user")
    TokenStore(clean_env / "token.json").save(token)
    saved = (clean_env / "token.json").read_bytes()
    env = {k: v for k, v in edge_served.env.items() if k != "TRAKT_EXPORT_ACCESS_TOKEN"}
    target = tmp_path / "out.csv"
    target.write_bytes(PREVIOUS)
    edge_served.fake.latency = 0.3  # the run is waiting for its first answers: mid-fetch
    proc = start(["movies", "-o", str(target)], env, tmp_path)
    wait_for(lambda: edge_served.fake.stats.total >= 1)
    proc.send_signal(signal.SIGTERM)
    done = clean(finish(proc))
    edge_served.fake.latency = 0.0
    assert done.returncode == 143
    assert done.stderr.startswith("Terminated: nothing partial was written")
    assert target.read_bytes() == PREVIOUS
    assert leftovers(tmp_path) == []
    assert (clean_env / "token.json").read_bytes() == saved


# ----- where output goes -------------------------------------------------------------------------


def test_output_into_a_directory_and_a_fifo(edge_served: Served, tmp_path: Path) -> None:
    done = clean(run(["movies", "-o", "out/"], edge_served.env, tmp_path))
    assert done.returncode == 0, done.stderr
    expected = (tmp_path / "out" / "letterboxd-aggregated.csv").read_bytes()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    proc = start(["movies", "--max-rows", "1", "-o", str(fifo)], edge_served.env, tmp_path)
    got = fifo.read_bytes()  # blocks until the run opens the FIFO, ends when it closes it
    assert clean(finish(proc)).returncode == 0
    assert got == expected  # one stream, never split, the FIFO still a FIFO
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    to_stdout = clean(
        run(["movies", "--max-rows", "1", "-o", "/dev/stdout"], edge_served.env, tmp_path)
    )
    assert to_stdout.returncode == 0 and to_stdout.stdout == expected  # a pipe: written directly
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(not os.access("/dev/null", os.W_OK), reason="/dev/null is not writable")
def test_dev_null_as_output_stays_a_character_device(edge_served: Served, tmp_path: Path) -> None:
    done = clean(run(["movies", "-o", "/dev/null"], edge_served.env, tmp_path))
    assert done.returncode == 0, done.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)  # as root too: never renamed over


def test_closed_stdout_ends_quietly(edge_served: Served, tmp_path: Path) -> None:
    # `| head -1` closes the pipe after one line; whether the run's write then meets EPIPE
    # depends on pipe sizes and timing. Closing the reader before the run starts makes every
    # write meet it, deterministically: the same case (the reader went away), with no race.
    read_end, write_end = os.pipe()
    os.close(read_end)
    proc = subprocess.Popen(
        [installed_command(), "movies", "--mode", "history", "-o", "-"],
        env=child_env(edge_served.env),
        cwd=tmp_path,
        stdout=write_end,
        stderr=subprocess.PIPE,
    )
    os.close(write_end)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err.decode() and "Error" not in err.decode(), err
    assert err.decode().startswith("Exported 29 rows to stdout")
    # print()ed data (`--json`) is flushed at exit: that must end quietly too (not exit 120)
    read_end, write_end = os.pipe()
    os.close(read_end)
    stats = subprocess.run(
        [installed_command(), "cache", "stats", "--json"],
        env=child_env({}),
        cwd=tmp_path,
        stdout=write_end,
        stderr=subprocess.PIPE,
        check=False,
    )
    os.close(write_end)
    assert (stats.returncode, stats.stderr) == (0, b"")


def test_sigterm_during_the_backup_swap_is_held_the_new_backup_completes(
    edge_served: Served, tmp_path: Path, clean_env: Path
) -> None:
    """SIGTERM in the one moment the earlier backup is renamed aside and the new one not yet in
    place: held until the swap is done (exit 143), so DIR holds the complete new backup."""
    target = tmp_path / "backup"
    first = clean(run(["backup", "-o", str(target)], edge_served.env, tmp_path))
    assert first.returncode == 0, first.stderr
    edge_served.fake.add_history("edge-user", 12, datetime.now(UTC))  # the new backup differs
    marker = tmp_path / "paused"
    proc = start(["backup", "-o", str(target)], {**edge_served.env, **paused_at("swap", marker)},
                 tmp_path)  # fmt: skip
    wait_for(marker.exists)
    assert not target.exists()  # the old one is aside: a signal now must not end the run here
    proc.send_signal(signal.SIGTERM)
    marker.unlink()
    done = clean(finish(proc))
    assert done.returncode == 143, done.stderr
    assert "Terminated" in done.stderr
    verified = clean(run(["backup", "--verify", str(target)], edge_served.env, tmp_path))
    assert verified.returncode == 0, verified.stderr
    history = json.loads((target / "history-movies.json").read_text())
    assert len(history) == len(edge_served.fake.user_json("edge-user", "history/movies"))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".backup")] == []
