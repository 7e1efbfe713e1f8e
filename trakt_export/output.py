"""Atomic output: CSV parts written under temporary names, renamed into place, stale parts removed.

A failed or interrupted run leaves previous outputs untouched (SPEC §5 "Atomic writes").
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import stat
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, cast

from trakt_export.errors import OutputError
from trakt_export.signals import checkpoint, held, placed


def part_paths(target: Path, count: int) -> list[Path]:
    """`stem.csv` for one part; `stem-01.csv`, `stem-02.csv`, ... for several."""
    if count <= 1:
        return [target]
    width = max(2, len(str(count)))
    return [
        target.with_name(f"{target.stem}-{i:0{width}d}{target.suffix}") for i in range(1, count + 1)
    ]


def _fail(path: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or str(exc)
    blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        reason = f"{blocker} is not a directory"
    return OutputError(
        f"cannot write {path}: {reason}.",
        "Choose a writable place with -o (or [export] output_dir); previous outputs are untouched.",
    )


def current_umask() -> int:
    """The process's umask (read by setting and restoring it: there is no getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _file_mode() -> int:
    """0666 minus the umask: what a plain open() would have created (mkstemp uses 0600)."""
    return 0o666 & ~current_umask()


def _stage(path: Path, write: Callable[[BinaryIO], object], mode: int | None) -> str:
    """Write a temporary sibling of `path` (fsync'd, `mode` applied); returns its name. The
    one place a file is prepared for an atomic rename; nothing is left behind on failure."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            write(cast(BinaryIO, _FdWriter(fd)))
            os.fsync(fd)
        finally:
            os.close(fd)
        if mode is not None:
            os.chmod(tmp, mode)
    except BaseException:
        _unlink_quietly(Path(tmp))
        raise
    return tmp


class _FdWriter:
    """The little of BinaryIO that the writers use, straight on os.write (no buffer to flush
    late, and one seam where a test can fail the n-th write)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]
        return len(data)


def _unlink_quietly(path: Path) -> bool:
    """Remove `path`, trying twice (a transient failure must not leave a temp file behind)."""
    for _ in range(2):
        try:
            os.unlink(path)
            return True
        except FileNotFoundError:
            return True
        except OSError:
            continue
    return False


def fsync_dir(folder: Path) -> None:
    """Make a rename durable; some filesystems refuse directory fsync, which is harmless."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write one file via a temporary sibling and os.replace. Without `mode` the file keeps
    mkstemp's 0600 from its first byte (tokens, configs that may hold secrets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _stage(path, lambda handle: handle.write(data), mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        _unlink_quietly(Path(tmp))
        raise
    fsync_dir(path.parent)


def write_parts(target: Path, parts: Sequence[str], *, state_dir: Path | None = None) -> list[Path]:
    """Write every part to a temp file first, then rename all; remove stale parts last.

    A symlinked target is written through (its target replaced, the link kept). With
    `state_dir` (the data dir's `outputs/`), the files written are recorded per output, so a
    later, shorter split removes exactly the stale parts this tool wrote (never a foreign
    `diary-2025.csv`), and a journal of the pending renames (fsync'd before the first one)
    lets the next run finish a set a hard kill interrupted. SIGINT/SIGTERM are held while the
    set is swapped in: what is in place is the previous set or the complete new one.
    """
    target = Path(os.path.realpath(target)) if target.is_symlink() else target
    paths = part_paths(target, len(parts))
    temps: list[tuple[str, Path]] = []
    journal: Path | None = None

    def drop_temps() -> None:
        for tmp, _ in temps:
            _unlink_quietly(Path(tmp))

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if state_dir is not None:
            recover(state_dir)
        remove_leftovers(target)
        record = _record_path(state_dir, target) if state_dir is not None else None
        stale = {p for p in _recorded(record, target) if p.exists()} - set(paths)
        mode = _file_mode()
        for path, text in zip(paths, parts, strict=True):
            temps.append((_stage(path, functools.partial(_write_utf8, text=text), mode), path))
        checkpoint("staged")
    except BaseException as exc:
        drop_temps()
        if isinstance(exc, OSError):
            raise _fail(target, exc) from exc
        raise
    pending = {
        "dir": str(target.parent),
        "target": target.name,
        "renames": [[Path(tmp).name, path.name] for tmp, path in temps],
        "stale": sorted(p.name for p in stale),
        "files": [p.name for p in paths],
        "record": str(record) if record is not None else None,
    }
    with held():
        if record is not None:
            try:
                write_atomic(record.with_suffix(".journal"), json.dumps(pending).encode())
            except OSError as exc:
                drop_temps()
                raise _fail(target, exc) from exc
            journal = record.with_suffix(".journal")
        try:
            _complete(pending, journal)
        except OSError as exc:
            if journal is None:
                drop_temps()
            raise OutputError(
                f"cannot finish writing {target}: {exc.strerror or exc}.",
                "The next run completes the new set from its journal."
                if journal is not None
                else "Check the output directory; previous parts may be mixed with new ones.",
            ) from exc
        placed(paths)  # a signal held until now arrives after the new set is complete
    return paths


def _complete(pending: dict[str, Any], journal: Path | None) -> None:
    """Swap a staged set into place (idempotent: a recovery run repeats what is left), then
    remove stale parts, update the record and drop the journal. Each step is tried twice."""
    folder = Path(pending["dir"])
    for index, (tmp, final) in enumerate(pending["renames"]):
        source = folder / tmp
        if source.exists():  # else renamed already (a recovery run repeats the rest)
            _twice(os.replace, source, folder / final)
        if index == 0:
            checkpoint("renaming")
    fsync_dir(folder)
    for name in pending["stale"]:
        if name not in pending["files"] and not _unlink_quietly(folder / name):
            raise OSError(f"cannot remove the stale part {folder / name}")
    record = pending.get("record")
    if record is not None:
        write_atomic(Path(record), json.dumps({"files": pending["files"]}).encode())
    if journal is not None and not _unlink_quietly(journal):
        raise OSError(f"cannot remove the journal {journal}")


def _twice(fn: Callable[[Path, Path], None], source: Path, dest: Path) -> None:
    try:
        fn(source, dest)
    except FileNotFoundError:
        raise
    except OSError:
        fn(source, dest)


def recover(state_dir: Path) -> None:
    """Finish every set a hard-killed run left half-renamed (journals in `state_dir`)."""
    if not state_dir.is_dir():
        return
    for journal in sorted(state_dir.glob("*.journal")):
        try:
            pending = json.loads(journal.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        with held():
            _complete(pending, journal)


def _record_path(state_dir: Path, target: Path) -> Path:
    key = hashlib.sha256(str(target.absolute()).encode()).hexdigest()[:24]
    return state_dir / f"{key}.json"


def _recorded(record: Path | None, target: Path) -> set[Path]:
    """The files this tool last wrote for `target` (none without a record)."""
    if record is None:
        return set()
    try:
        files = json.loads(record.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    pattern = re.compile(rf"^{re.escape(target.stem)}-\d{{2,}}{re.escape(target.suffix)}$")
    return {
        target.parent / name
        for name in files
        if isinstance(name, str) and (name == target.name or pattern.match(name))
    }


def remove_leftovers(target: Path) -> None:
    """Remove the temporary files (`.name.XXXXXXXX.tmp`) a killed run left for `target` or its
    parts; nothing else in the directory is touched."""
    pattern = re.compile(
        rf"^\.{re.escape(target.stem)}(-\d{{2,}})?{re.escape(target.suffix)}\.[a-z0-9_]{{8}}\.tmp$"
    )
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            if pattern.match(entry.name) and entry.is_file(follow_symlinks=False):
                _unlink_quietly(Path(entry.path))


def write_stdout(text: str) -> None:
    """CSV on stdout; a reader that went away (`| head`) ends the output quietly (SPEC §6)."""
    try:
        _write_utf8(sys.stdout.buffer, text)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        silence_stdout()


def silence_stdout() -> None:
    """Point stdout at /dev/null once its reader has gone, so that nothing (not even Python's
    flush at exit) fails on it again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def is_special(path: Path) -> bool:
    """A character or block device, FIFO or socket (`/dev/null`, `/dev/stdout`): written to
    directly, never renamed over, never split (SPEC §5 "Where output goes")."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def write_direct(path: Path, text: str) -> list[Path]:
    """Write into an existing device or FIFO as it is; a reader that went away is not an error."""
    try:
        with open(path, "wb") as handle:
            _write_utf8(cast(BinaryIO, handle), text)
    except BrokenPipeError:
        pass
    except OSError as exc:
        raise _fail(path, exc) from exc
    return [path]


_CHUNK = 1 << 20


def _write_utf8(handle: BinaryIO, text: str) -> None:
    """Encode in 1 MiB slices: a 100k-row CSV never exists twice in memory (str and bytes)."""
    for start in range(0, len(text), _CHUNK):
        handle.write(text[start : start + _CHUNK].encode("utf-8"))
