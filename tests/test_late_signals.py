"""A signal after the new output is in place (issue 21 step 9, SPEC §6): exit 143 (SIGTERM) or
130 (SIGINT), and a message saying the new output is complete — never "previous outputs are
intact", which would be false, and never click's Abort. Real processes, stopped at each late
moment by the test-only checkpoints (signals.checkpoint)."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from tests.procs import Done, finish, run, start
from tests.test_wait import wait_for
from trakt_fake import FakeTrakt, edge
from trakt_fake.zipexport import write_export_zip

pytestmark = pytest.mark.e2e
PREVIOUS = b"previous export\r\n"

MOMENTS = [
    ("renaming", signal.SIGTERM),  # inside the held swap: delivered once the set is complete
    ("finished", signal.SIGTERM),  # the run returned, no summary yet
    ("summarised", signal.SIGTERM),  # right after the summary line
    ("closing", signal.SIGTERM),  # the command is over, click is closing (was: Abort, 130)
    ("closing", signal.SIGINT),
]


def test_a_signal_after_the_output_is_in_place_says_it_is_complete(tmp_path: Path) -> None:
    zip_path = write_export_zip(FakeTrakt(edge()), "edge-user", tmp_path / "export.zip")
    args = ["movies", "--mode", "history", "--timezone", "UTC", "--from-zip", str(zip_path)]
    reference = run([*args, "-o", "reference.csv"], {}, tmp_path)
    assert reference.returncode == 0, reference.stderr
    new = (tmp_path / "reference.csv").read_bytes()
    runs: list[tuple[str, signal.Signals, Path, Path, subprocess.Popen[bytes]]] = []
    for i, (point, sig) in enumerate(MOMENTS):  # each with its own data dir: in parallel
        out, marker = tmp_path / f"out{i}.csv", tmp_path / f"paused{i}"
        out.write_bytes(PREVIOUS)
        env = {
            "TRAKT_EXPORT_HOME": str(tmp_path / f"home{i}"),
            "TRAKT_EXPORT_TEST_PAUSE": point,
            "TRAKT_EXPORT_TEST_PAUSE_FILE": str(marker),
        }
        runs.append((point, sig, out, marker, start([*args, "-o", str(out)], env, tmp_path)))
    for _, sig, _, marker, proc in runs:
        wait_for(marker.exists)
        proc.send_signal(sig)
        marker.unlink()
    for point, sig, out, _, proc in runs:
        done: Done = finish(proc)
        moment = (point, sig.name, done.stderr)
        terminated = sig == signal.SIGTERM
        assert done.returncode == (143 if terminated else 130), moment
        word = "Terminated" if terminated else "Interrupted"
        assert done.stderr.strip().splitlines()[-1] == (
            f"{word}: the new output is complete ({out}); it was written before the signal."
        ), moment
        assert "Traceback" not in done.stderr and "Abort" not in done.stderr, moment
        assert out.read_bytes() == new, moment
