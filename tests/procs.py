"""Running the installed `trakt-export` as a real process, for end-to-end and reliability tests."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path


def installed_command() -> str:
    found = shutil.which("trakt-export", path=str(Path(sys.executable).parent))
    assert found, "trakt-export is not installed next to this Python (pip install -e .)"
    return found


class Done:
    """A finished run: exit code, raw stdout bytes (CSV keeps its CRLF), decoded stderr."""

    def __init__(self, returncode: int, stdout: bytes, stderr: bytes) -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr.decode()


def child_env(env: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **env}


def run(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60) -> Done:
    proc = subprocess.run(
        [installed_command(), *args],
        env=child_env(env),
        cwd=cwd,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return Done(proc.returncode, proc.stdout, proc.stderr)


def _default_sigint() -> None:
    # A shell's background job inherits SIGINT ignored, and Python then keeps it ignored: the
    # child of a test that sends SIGINT must have the default disposition whatever ran pytest.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [installed_command(), *args],
        env=child_env(env),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_default_sigint,
    )


def finish(proc: subprocess.Popen[bytes], timeout: float = 60) -> Done:
    out, err = proc.communicate(timeout=timeout)
    return Done(proc.returncode, out, err)
