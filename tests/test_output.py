"""Atomic writer: parts appear together, stale parts go only after, failures leave old files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from trakt_export.errors import OutputError
from trakt_export.output import part_paths, write_parts


def test_part_names(tmp_path: Path) -> None:
    target = tmp_path / "letterboxd-history.csv"
    assert part_paths(target, 1) == [target]
    assert [p.name for p in part_paths(target, 3)] == [
        "letterboxd-history-01.csv",
        "letterboxd-history-02.csv",
        "letterboxd-history-03.csv",
    ]


def test_shorter_split_removes_stale_parts_and_single_file(tmp_path: Path) -> None:
    state = tmp_path / "state"  # the record of what the tool wrote (the data dir's outputs/)
    tmp_path = tmp_path / "out"
    target = tmp_path / "out.csv"
    write_parts(target, ["H\na\n"], state_dir=state)
    first = write_parts(target, ["H\n1\n", "H\n2\n", "H\n3\n"], state_dir=state)
    assert not target.exists(), "the unsplit file of an earlier run is stale once split"
    assert [p.name for p in first] == ["out-01.csv", "out-02.csv", "out-03.csv"]
    second = write_parts(target, ["H\nx\n", "H\ny\n"], state_dir=state)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out-01.csv", "out-02.csv"]
    assert second[1].read_text() == "H\ny\n"
    write_parts(target, ["H\nz\n"], state_dir=state)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_unrelated_files_are_kept(tmp_path: Path) -> None:
    (tmp_path / "out-notes.csv").write_text("keep")
    (tmp_path / "out-1.csv").write_text("keep too: not our two-digit pattern")
    write_parts(tmp_path / "out.csv", ["H\n1\n", "H\n2\n"])
    assert (tmp_path / "out-notes.csv").read_text() == "keep"
    assert (tmp_path / "out-1.csv").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_unwritable_directory_is_a_clear_error_and_keeps_old_files(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    write_parts(target, ["old\n"])
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="cannot write"):
            write_parts(target, ["new\n", "new2\n"])
    finally:
        tmp_path.chmod(0o700)
    assert target.read_text() == "old\n"


def test_failure_mid_set_leaves_previous_outputs_and_no_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path = tmp_path / "out"
    target = tmp_path / "out.csv"
    write_parts(target, ["H\nold1\n", "H\nold2\n"])
    real_fsync = os.fsync
    calls = {"n": 0}

    def disk_full_on_second_part(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    # The disk fills while the second new part is being written: simulated at its fsync.
    monkeypatch.setattr(os, "fsync", disk_full_on_second_part)
    with pytest.raises(OutputError, match="No space left on device"):
        write_parts(target, ["H\nnew1\n", "H\nnew2\n", "H\nnew3\n"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out-01.csv", "out-02.csv"]
    assert (tmp_path / "out-01.csv").read_text() == "H\nold1\n"


def test_file_mode_follows_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        (path,) = write_parts(tmp_path / "out.csv", ["H\n"])
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640


def test_output_under_a_file_is_a_clear_error(tmp_path: Path) -> None:
    # Works as root too (unlike chmod): a regular file where a directory should be.
    (tmp_path / "blocker").write_text("x")
    with pytest.raises(OutputError, match=r"blocker/out.csv: .*blocker is not a directory"):
        write_parts(tmp_path / "blocker" / "out.csv", ["H\n"])
