"""The backup directory on disk: where it goes (SPEC §1 directory rule), how it is put in place
all at once, and `backup --verify` (re-hash every file against `manifest.json`).

Rule: a DIR that does not exist is created; a DIR holding an earlier trakt-export backup (its
manifest, and no entry the manifest does not list) is replaced — renamed aside, and its files
removed only once the new backup is in place; any other existing directory (or `-o DIR/`)
receives a new dated `trakt-backup-YYYYMMDD-HHMMSS/` inside it. Nothing the tool did not write
is ever deleted or changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from trakt_export.errors import OutputError, UsageError
from trakt_export.output import current_umask

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
TOOL = "trakt-export"


class VerifyError(UsageError):
    """A backup that does not match its manifest (exit 2, naming each file)."""


def dated_name(now: datetime) -> str:
    return f"trakt-backup-{now.strftime('%Y%m%d-%H%M%S')}"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(directory: Path) -> dict[str, Any] | None:
    """The manifest of a trakt-export backup in `directory`, None if there is none."""
    path = directory / MANIFEST
    try:
        if path.is_symlink() or not path.is_file():
            return None
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("tool") != TOOL:
        return None
    if not isinstance(data.get("files"), dict):
        return None
    return data


def earlier_backup(directory: Path) -> dict[str, Any] | None:
    """The manifest, if `directory` holds an earlier backup and nothing it does not list."""
    manifest = read_manifest(directory)
    if manifest is None:
        return None
    allowed = {*manifest["files"], MANIFEST}
    try:
        entries = list(directory.iterdir())
    except OSError:
        return None
    for entry in entries:
        if entry.name not in allowed or entry.is_symlink() or not entry.is_file():
            return None
    return manifest


@dataclass(frozen=True, slots=True)
class Target:
    path: Path
    replaces: dict[str, Any] | None  # the earlier backup's manifest when one is replaced


def choose_target(output: str | None, default_parent: Path, now: datetime) -> Target:
    """Where this backup goes, by the directory rule."""
    name = dated_name(now)
    if output is None:
        return _fresh(default_parent / name)
    path = Path(output).expanduser()
    inside = output.endswith(("/", os.sep))
    if path.is_symlink() or path.exists():
        if not path.is_dir():
            raise OutputError(
                f"the backup directory {path} exists and is not a directory.",
                "Choose a directory (or a path that does not exist) with -o.",
            )
        manifest = None if inside or path.is_symlink() else earlier_backup(path)
        if manifest is not None:
            return Target(path, manifest)
        return _fresh(path / name)
    return _fresh(path / name) if inside else Target(path, None)


def confirm(target: Target, now: datetime) -> Target:
    """The target again just before the swap: the fetch may have taken minutes, and a user may
    have created that directory or added a file to the earlier backup meanwhile."""
    if target.replaces is None:
        return _fresh(target.path) if target.path.is_symlink() or target.path.exists() else target
    manifest = earlier_backup(target.path)
    if manifest is not None:
        return Target(target.path, manifest)
    if target.path.is_dir() and not target.path.is_symlink():
        return _fresh(target.path / dated_name(now))  # became foreign: a dated one inside
    return _fresh(target.path)


def _fresh(path: Path) -> Target:
    """`path`, or `path-2`, `path-3`, … when something already holds that name."""
    candidate, n = path, 1
    while candidate.is_symlink() or candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return Target(candidate, None)


def staging_for(target: Path) -> Path:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        raise OutputError(
            f"cannot create the backup directory {target}: {exc.strerror or exc}.",
            "Choose a writable place with -o.",
        ) from exc


def put_in_place(staging: Path, target: Target) -> None:
    """Rename the complete staging directory to the target; an earlier backup there is renamed
    aside first and its files (only those its manifest lists) removed once the new one is in."""
    from trakt_export.signals import checkpoint, held, placed

    os.chmod(staging, 0o755 & ~current_umask())
    if target.replaces is None:
        os.rename(staging, target.path)
        placed([target.path])
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.path.name}.old.", dir=target.path.parent))
    old.rmdir()
    # SIGINT/SIGTERM wait for the swap: never a moment with no backup at the target, and no
    # earlier backup left aside.
    with held():
        os.rename(target.path, old)
        checkpoint("swap")  # test-only pause point: the old backup aside, the new not yet in
        try:
            os.rename(staging, target.path)
        except OSError:
            os.rename(old, target.path)
            raise
        remove_backup(old, target.replaces)  # the earlier backup's own files: none left aside
        placed([target.path])


def remove_backup(directory: Path, manifest: Mapping[str, Any]) -> None:
    """Delete the files a manifest lists, then the directory if that left it empty."""
    for name in [*manifest.get("files", {}), MANIFEST]:
        with contextlib.suppress(OSError):
            (directory / name).unlink()
    try:
        directory.rmdir()
    except OSError:
        log.warning("kept %s: it holds files trakt-export did not write.", directory)


def discard(staging: Path) -> None:
    if staging.exists():
        shutil.rmtree(staging, ignore_errors=True)


@dataclass(slots=True)
class VerifyResult:
    directory: Path
    files: int

    def summary(self) -> str:
        plural = "file matches" if self.files == 1 else "files match"
        return f"Backup {self.directory} verified: {self.files} {plural} the manifest."


def verify(directory: Path) -> VerifyResult:
    """Re-hash every file the manifest lists; VerifyError naming each missing or differing."""
    manifest = read_manifest(directory)
    if manifest is None:
        raise VerifyError(
            f"{directory} holds no trakt-export backup manifest ({MANIFEST}).",
            "Pass the directory a `trakt-export backup` wrote.",
        )
    problems: list[str] = []
    for name, entry in sorted(manifest["files"].items()):
        path = directory / name
        expected = entry.get("sha256") if isinstance(entry, Mapping) else None
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif not isinstance(expected, str):
            problems.append(f"{name} has no SHA-256 in the manifest")
        elif sha256(path) != expected:
            problems.append(f"{name} differs")
    if problems:
        raise VerifyError(
            f"the backup {directory} does not match its manifest: {'; '.join(problems)}.",
            "Restore those files from another copy, or make a new backup.",
        )
    return VerifyResult(directory, len(manifest["files"]))
