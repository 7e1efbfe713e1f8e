"""Where output goes and how a set of parts is swapped in (SPEC §5), in-process: directories,
symlinks, devices and FIFOs, leftovers, recorded stale parts, the journal, held signals, and a
fault-injection sweep over every filesystem call of the writer."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from trakt_export import signals
from trakt_export.config import resolve
from trakt_export.errors import OutputError
from trakt_export.output import recover, write_direct, write_parts
from trakt_export.run.export import target_path
from trakt_export.signals import held, install_terminate, terminated

OLD = ["H\nold1\n", "H\nold2\n", "H\nold3\n"]
NEW = ["H\nnew1\n", "H\nnew2\n"]


def listing(folder: Path) -> dict[str, bytes]:
    return {
        p.name: p.read_bytes()
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.is_symlink()
    }


# ----- where output goes ---------------------------------------------------------------------


def test_directory_or_trailing_slash_gets_the_default_name(tmp_path: Path) -> None:
    settings = resolve()
    (tmp_path / "existing").mkdir()
    name = "letterboxd-history.csv"
    assert target_path(settings, str(tmp_path / "existing"), name) == tmp_path / "existing" / name
    assert target_path(settings, f"{tmp_path}/new/", name) == tmp_path / "new" / name
    assert target_path(settings, str(tmp_path / "file.csv"), name) == tmp_path / "file.csv"
    (path,) = write_parts(target_path(settings, f"{tmp_path}/new/", name), ["H\n"])
    assert path.read_text() == "H\n"  # the directory was created


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real" / "films.csv"
    real.parent.mkdir()
    real.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    write_parts(link, ["new\n"])
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new\n"
    assert listing(tmp_path) == {}  # nothing but the link (not a regular file) next to it


def test_a_fifo_is_written_directly_never_renamed_over(tmp_path: Path) -> None:
    tmp_path = tmp_path / "fifo"
    tmp_path.mkdir()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_direct(fifo, "H\n" + "row\n" * 10)
    reader.join(5)
    assert got == [b"H\n" + b"row\n" * 10]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


@pytest.mark.skipif(not os.access("/dev/null", os.W_OK), reason="/dev/null is not writable here")
def test_dev_null_stays_a_character_device() -> None:
    write_direct(Path("/dev/null"), "H\nrow\n")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


# ----- leftovers, stale parts, journal -------------------------------------------------------


def test_a_killed_runs_temp_files_are_removed_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for name in (".diary.csv.ab12cd34.tmp", ".diary-03.csv.zz99yy88.tmp"):
        (out / name).write_text("leftover")
    (out / ".diary.csv.notes").write_text("not ours")
    (out / ".other.csv.ab12cd34.tmp").write_text("another output's")
    write_parts(out / "diary.csv", ["H\n"])
    assert sorted(p.name for p in out.iterdir()) == [
        ".diary.csv.notes",
        ".other.csv.ab12cd34.tmp",
        "diary.csv",
    ]


def test_only_recorded_parts_are_stale_and_foreign_look_alikes_stay(tmp_path: Path) -> None:
    out, state = tmp_path / "out", tmp_path / "state"
    out.mkdir()
    (out / "diary-2025.csv").write_text("mine, not the tool's")
    (out / "diary-07.csv").write_text("looks like a part, never written by the tool")
    write_parts(out / "diary.csv", OLD, state_dir=state)
    write_parts(out / "diary.csv", ["H\n"], state_dir=state)
    assert sorted(listing(out)) == ["diary-07.csv", "diary-2025.csv", "diary.csv"]
    assert (out / "diary-2025.csv").read_text() == "mine, not the tool's"


@contextlib.contextmanager
def failing(op: str, n: int, *, every_after: bool = False) -> Iterator[list[int]]:
    """os.<op> fails (EIO) at its n-th call (and every later one with every_after)."""
    real: Callable[..., object] = getattr(os, op)
    calls = [0]

    def fake(*args: object, **kwargs: object) -> object:
        calls[0] += 1
        if calls[0] == n or (every_after and calls[0] > n):
            raise OSError(errno.EIO, f"injected {op} failure")
        return real(*args, **kwargs)

    setattr(os, op, fake)
    try:
        yield calls
    finally:
        setattr(os, op, real)


def test_a_hard_stop_mid_renames_is_finished_by_the_next_run_from_its_journal(
    tmp_path: Path,
) -> None:
    out, state = tmp_path / "out", tmp_path / "state"
    write_parts(out / "f.csv", OLD, state_dir=state)
    # Every rename after the first part fails (the journal is replace #1): a mix, as a kill
    # would leave, and the journal.
    with failing("replace", 3, every_after=True), pytest.raises(OutputError, match="finish"):
        write_parts(out / "f.csv", NEW, state_dir=state)
    assert (out / "f-01.csv").read_text() == "H\nnew1\n"
    assert (out / "f-02.csv").read_text() == "H\nold2\n"  # the mix a kill would leave
    assert list(state.glob("*.journal"))
    recover(state)  # what the next run does first
    assert listing(out) == {"f-01.csv": b"H\nnew1\n", "f-02.csv": b"H\nnew2\n"}
    assert not list(state.glob("*.journal"))


# ----- signals -------------------------------------------------------------------------------


def test_signals_inside_held_are_delivered_after_the_block() -> None:
    previous = signal.getsignal(signal.SIGTERM)
    install_terminate()
    try:
        done = []
        with pytest.raises(KeyboardInterrupt), held() as received:
            os.kill(os.getpid(), signal.SIGTERM)
            os.kill(os.getpid(), signal.SIGINT)
            done.append("block completed")
            assert received == [signal.SIGTERM, signal.SIGINT]
        assert done == ["block completed"]
        assert terminated()  # SIGTERM came first: the CLI will say so and exit 143
    finally:
        signal.signal(signal.SIGTERM, previous)
        signals._TERMINATED.clear()  # this process goes on (other tests map Ctrl-C to 130)


# ----- fault-injection sweep -----------------------------------------------------------------

OPS = ("write", "fsync", "rename", "replace", "unlink", "open", "mkdir")


def _count_calls(tmp_path: Path) -> dict[str, int]:
    out, state = tmp_path / "count" / "out", tmp_path / "count" / "state"
    write_parts(out / "f.csv", OLD, state_dir=state)
    counts = {}
    for op in OPS:
        with failing(op, 0) as calls:  # never fails, only counts
            write_parts(out / "f.csv", NEW, state_dir=state)
            write_parts(out / "f.csv", OLD, state_dir=state)
        counts[op] = calls[0]
    return counts


def test_fault_sweep_old_set_intact_or_new_set_complete_never_a_mix(tmp_path: Path) -> None:
    counts = _count_calls(tmp_path)
    assert counts["write"] and counts["replace"] and counts["unlink"] and counts["fsync"]
    old = {"f-01.csv": OLD[0], "f-02.csv": OLD[1], "f-03.csv": OLD[2]}
    new = {"f-01.csv": NEW[0], "f-02.csv": NEW[1]}
    foreign = {"f-2025.csv": "the user's"}
    runs = 0
    for op, total in counts.items():
        for n in range(1, total + 2):
            case = tmp_path / f"{op}-{n}"
            out, state = case / "out", case / "state"
            out.mkdir(parents=True)
            (out / "f-2025.csv").write_text("the user's")
            write_parts(out / "f.csv", OLD, state_dir=state)
            with failing(op, n), contextlib.suppress(OutputError):
                write_parts(out / "f.csv", NEW, state_dir=state)
            runs += 1
            files = {name: data.decode() for name, data in listing(out).items()}
            assert files in ({**old, **foreign}, {**new, **foreign}), (op, n, files)
            assert not [p for p in case.rglob("*.tmp")], (op, n)
            recover(state)  # the next run: whatever journal is left finishes, nothing changes
            after = {name: data.decode() for name, data in listing(out).items()}
            assert after == files, (op, n)
            assert not list(state.glob("*.journal")), (op, n)
            # and the run after that removes the right stale parts (its record is right)
            write_parts(out / "f.csv", ["H\nlast\n"], state_dir=state)
            assert sorted(listing(out)) == ["f-2025.csv", "f.csv"], (op, n)
    assert runs > 30
