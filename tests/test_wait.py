"""`--wait SECONDS` (SPEC §4 v2.2): a second run waits for the first one's lock, says so once
on stderr (nothing with -q), gives up with exit 5 when the time is up, and stops at once on
SIGINT/SIGTERM. Real processes, sharing one data dir; the first run is held at a checkpoint."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.procs import child_env, installed_command
from trakt_export.errors import LockHeldError
from trakt_export.lock import RunLock
from trakt_fake import FakeTrakt, edge
from trakt_fake.zipexport import write_export_zip

pytestmark = pytest.mark.e2e


def wait_for(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


class Proc:
    """A running `trakt-export` whose stderr goes to a file, so a test can read it live."""

    def __init__(self, args: list[str], cwd: Path, name: str, env: dict[str, str]) -> None:
        self.err = cwd / f"{name}.err"
        with self.err.open("wb") as err:
            self.popen = subprocess.Popen(
                [installed_command(), *args],
                env=child_env(env),
                cwd=cwd,
                stdout=subprocess.DEVNULL,
                stderr=err,
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
            )

    def stderr(self) -> str:
        return self.err.read_text()

    def finish(self) -> int:
        return self.popen.wait(timeout=60)


@pytest.fixture
def zip_path(tmp_path: Path) -> Path:
    return write_export_zip(FakeTrakt(edge()), "edge-user", tmp_path / "export.zip")


@pytest.fixture
def first(tmp_path: Path, zip_path: Path) -> Iterator[tuple[Proc, Path]]:
    """An offline run holding the lock, paused with its rows mapped (released by unlinking
    the marker)."""
    marker = tmp_path / "paused"
    env = {"TRAKT_EXPORT_TEST_PAUSE": "deliver", "TRAKT_EXPORT_TEST_PAUSE_FILE": str(marker)}
    proc = Proc(["movies", "--from-zip", str(zip_path), "-o", "first.csv"], tmp_path, "1", env)
    wait_for(marker.exists)
    yield proc, marker
    marker.unlink(missing_ok=True)
    proc.finish()


WAITING = "Waiting up to 30 s for another trakt-export run (pid {pid}) to finish (lock {lock})."


def test_a_second_run_waits_for_the_first_and_succeeds(
    first: tuple[Proc, Path], tmp_path: Path, zip_path: Path, clean_env: Path
) -> None:
    held, marker = first
    second = Proc(
        ["movies", "--from-zip", str(zip_path), "-o", "second.csv", "--wait", "30"],
        tmp_path,
        "2",
        {},
    )
    wait_for(lambda: "Waiting" in second.stderr())
    assert second.popen.poll() is None  # still waiting
    marker.unlink()
    assert held.finish() == 0
    assert second.finish() == 0, second.stderr()
    lines = second.stderr().splitlines()
    assert lines[0] == WAITING.format(pid=held.popen.pid, lock=clean_env / "export.lock")
    assert sum("Waiting" in line for line in lines) == 1  # said once
    assert (tmp_path / "second.csv").read_bytes() == (tmp_path / "first.csv").read_bytes()


def holds_open(pid: int, path: Path) -> bool:
    try:
        return any(fd.readlink() == path for fd in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False


def test_quiet_waits_silently(
    first: tuple[Proc, Path], tmp_path: Path, zip_path: Path, clean_env: Path
) -> None:
    held, marker = first
    second = Proc(
        ["--wait", "30", "movies", "--from-zip", str(zip_path), "-o", "q.csv", "-q"],
        tmp_path,
        "2",
        {},
    )
    # It waits silently: seen from outside, it holds the lock file open while the holder is
    # paused (Linux /proc), and has written nothing.
    wait_for(lambda: holds_open(second.popen.pid, clean_env / "export.lock"))
    assert second.popen.poll() is None and not (tmp_path / "q.csv").exists()
    marker.unlink()
    assert held.finish() == 0
    assert second.finish() == 0
    assert second.stderr() == ""
    assert (tmp_path / "q.csv").exists()


def test_gives_up_with_exit_5_when_the_time_is_up(
    first: tuple[Proc, Path], tmp_path: Path, zip_path: Path, clean_env: Path
) -> None:
    held, _ = first
    started = time.monotonic()
    second = Proc(
        ["--wait", "0.5", "movies", "--from-zip", str(zip_path), "-o", "late.csv"],
        tmp_path,
        "2",
        {},
    )
    assert second.finish() == 5
    assert time.monotonic() - started >= 0.5
    lock = clean_env / "export.lock"
    pid = held.popen.pid
    assert second.stderr().splitlines() == [
        f"Waiting up to 0.5 s for another trakt-export run (pid {pid}) to finish (lock {lock}).",
        f"Error: another trakt-export run (pid {pid}) still held the lock {lock} after "
        "waiting 0.5 s.",
        "Try again once it has finished, or wait longer with --wait SECONDS.",
    ]
    assert not (tmp_path / "late.csv").exists()


@pytest.mark.parametrize(("sig", "code", "word"), [
    (signal.SIGTERM, 143, "Terminated"), (signal.SIGINT, 130, "Interrupted")
])  # fmt: skip
def test_a_signal_while_waiting_ends_the_run_at_once(
    first: tuple[Proc, Path], tmp_path: Path, zip_path: Path, sig: int, code: int, word: str
) -> None:
    second = Proc(
        ["movies", "--wait", "30", "--from-zip", str(zip_path), "-o", "sig.csv"],
        tmp_path,
        "2",
        {},
    )
    wait_for(lambda: "Waiting" in second.stderr())
    sent = time.monotonic()
    second.popen.send_signal(sig)
    assert second.finish() == code
    assert time.monotonic() - sent < 5  # at once, not when the wait is over
    assert second.stderr().splitlines()[-1] == (
        f"{word}: nothing partial was written; previous outputs are intact."
    )
    assert not (tmp_path / "sig.csv").exists()


def test_without_wait_a_second_run_fails_at_once_naming_wait(
    first: tuple[Proc, Path], tmp_path: Path, zip_path: Path
) -> None:
    """Offline runs take the lock too (they share the output record and rename journal)."""
    second = Proc(["movies", "--from-zip", str(zip_path), "-o", "x.csv"], tmp_path, "2", {})
    assert second.finish() == 5
    assert second.stderr().splitlines()[-1] == (
        "Wait for it to finish and try again, or pass --wait SECONDS "
        "(a crashed run releases the lock itself)."
    )


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_the_lock_polls_until_its_deadline_and_says_so_once(tmp_path: Path) -> None:
    clock = _Clock()
    said: list[str] = []
    path = tmp_path / "export.lock"
    with RunLock(path, 0), pytest.raises(LockHeldError) as caught:
        RunLock(path, 1.05, notice=said.append, clock=clock, sleep=clock.sleep).__enter__()
    assert len(said) == 1
    assert clock.now == pytest.approx(1.05)
    assert max(clock.sleeps) <= 0.1
    assert "after waiting 1.05 s" in caught.value.message
