"""The run report of `--report PATH` (SPEC §4), the warning counter of the summary line, and the
small record of 429s met by recent runs that `doctor` reads (kept in the data dir).

    build_report(...)      one JSON document: command, exit code, started/ended, per endpoint
    write_report(path, d)  atomic write; a failure is a warning, never a changed exit code
    record_run(dir, ...)   appends this run's 429 figures to `recent-runs.json` (last 20 runs;
                           atomic too: both through output.write_atomic)
    recent_runs(dir)       what doctor reads
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trakt_export.transport.metrics import Metrics

log = logging.getLogger(__name__)

RUNS_FILE = "recent-runs.json"
KEEP_RUNS = 20
SCHEMA_VERSION = 1


def _stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def build_report(
    command: str, exit_code: int, started: float, ended: float, metrics: Metrics
) -> dict[str, Any]:
    endpoints = metrics.as_dict()
    return {
        "version": SCHEMA_VERSION,
        "command": command,
        "exit_code": exit_code,
        "started": _stamp(started),
        "ended": _stamp(ended),
        "elapsed_seconds": round(ended - started, 3),
        "totals": {
            "requests": metrics.total("requests"),
            "cache_hits": metrics.total("cache_hits"),
            "retries": metrics.total("retries"),
            "rate_limited": metrics.total("rate_limited"),
            "bytes": metrics.total("bytes"),
            "date_only_plays": metrics.date_only_plays,
        },
        "endpoints": endpoints,
    }


def write_report(path: Path, document: dict[str, Any]) -> None:
    from trakt_export.errors import TraktExportError
    from trakt_export.output import write_atomic

    data = (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()
    try:
        write_atomic(path, data)
    except (OSError, TraktExportError) as exc:
        # In the user's terms: the path they gave, never an errno or the temporary file's name.
        why = "it is a directory" if path.is_dir() else getattr(exc, "strerror", None)
        why = why or getattr(exc, "message", None) or "it cannot be written"
        why = why[0].lower() + why[1:]  # "Permission denied" -> "permission denied"
        log.warning("Warning: no run report was written to %s: %s.", path, why)


def record_run(data_dir: Path, command: str, metrics: Metrics, now: float | None = None) -> None:
    """Keep this run's requests and 429s in the data dir for `doctor` (best effort)."""
    file = data_dir / RUNS_FILE
    runs = recent_runs(data_dir)
    runs.append(
        {
            "ended": round(now if now is not None else time.time(), 3),
            "command": command,
            "requests": metrics.total("requests"),
            "rate_limited": metrics.total("rate_limited"),
        }
    )
    from trakt_export.errors import TraktExportError
    from trakt_export.output import write_atomic  # the one atomic writer (no fixed temp name)

    # A failure only means doctor says less; the run itself is not at stake.
    with contextlib.suppress(OSError, TraktExportError):
        write_atomic(file, (json.dumps(runs[-KEEP_RUNS:]) + "\n").encode())


def recent_runs(data_dir: Path) -> list[dict[str, Any]]:
    try:
        value = json.loads((data_dir / RUNS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(value, list):
        return []
    return [run for run in value if isinstance(run, dict)]
