"""Atomic output: CSV parts written under temporary names, renamed into place, stale parts removed.

A failed or interrupted run leaves previous outputs untouched (SPEC §5 "Atomic writes").
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from trakt_export.errors import OutputError


def part_paths(target: Path, count: int) -> list[Path]:
    """`stem.csv` for one part; `stem-01.csv`, `stem-02.csv`, ... for several."""
    if count <= 1:
        return [target]
    width = max(2, len(str(count)))
    return [
        target.with_name(f"{target.stem}-{i:0{width}d}{target.suffix}") for i in range(1, count + 1)
    ]


def _existing_parts(target: Path) -> set[Path]:
    pattern = re.compile(rf"^{re.escape(target.stem)}-\d{{2,}}{re.escape(target.suffix)}$")
    found = {
        p for p in target.parent.glob(f"{target.stem}-*{target.suffix}") if pattern.match(p.name)
    }
    if target.exists():
        found.add(target)
    return found


def _fail(path: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or str(exc)
    blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        reason = f"{blocker} is not a directory"
    return OutputError(
        f"cannot write {path}: {reason}.",
        "Choose a writable place with -o (or [export] output_dir); previous outputs are untouched.",
    )


def _file_mode() -> int:
    """0666 minus the umask: what a plain open() would have created (mkstemp uses 0600)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _stage(path: Path, write: Callable[[BinaryIO], object], mode: int | None) -> str:
    """Write a temporary sibling of `path` (fsync'd, `mode` applied); returns its name. The
    one place a file is prepared for an atomic rename; nothing is left behind on failure."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


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
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def write_parts(target: Path, parts: Sequence[str]) -> list[Path]:
    """Write every part to a temp file first, then rename all; remove stale parts last."""
    paths = part_paths(target, len(parts))
    stale = _existing_parts(target) - set(paths)
    temps: list[tuple[str, Path]] = []
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        mode = _file_mode()
        for path, text in zip(paths, parts, strict=True):
            temps.append((_stage(path, functools.partial(_write_utf8, text=text), mode), path))
        for tmp, path in temps:
            os.replace(tmp, path)
    except OSError as exc:
        raise _fail(target, exc) from exc
    finally:
        for tmp, _ in temps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    for old in sorted(stale):
        with contextlib.suppress(OSError):
            old.unlink()
    return paths


def write_stdout(text: str) -> None:
    _write_utf8(sys.stdout.buffer, text)
    sys.stdout.buffer.flush()


_CHUNK = 1 << 20


def _write_utf8(handle: BinaryIO, text: str) -> None:
    """Encode in 1 MiB slices: a 100k-row CSV never exists twice in memory (str and bytes)."""
    for start in range(0, len(text), _CHUNK):
        handle.write(text[start : start + _CHUNK].encode("utf-8"))
