"""`restore`'s state in the data dir: the journal of acknowledged writes (`restore-journal.jsonl`,
one fsync'ed JSON line per batch, with Trakt's time of the answer) and the mapping of backup
lists to the lists created for them (`restore-lists.json`), per target account."""

from __future__ import annotations

import json
import os
from pathlib import Path

from trakt_export.run.restoreplan import Entry

JOURNAL = "restore-journal.jsonl"
LIST_MAP = "restore-lists.json"


class Journal:
    """Acknowledged batches, one JSON line each, per target account (fsync'ed)."""

    def __init__(self, data_dir: Path, account: str) -> None:
        self.path = data_dir / JOURNAL
        self.account = account

    def last_ack(self) -> float | None:
        """Trakt's time of the last write acknowledged to this account, by any earlier run."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return None
        last: float | None = None
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line cut by a kill: that batch was never recorded as acknowledged
            acked = record.get("acked") if isinstance(record, dict) else None
            if record.get("account") == self.account and isinstance(acked, (int, float)):
                last = acked if last is None else max(last, acked)
        return last

    def write(self, kind: str, path: str, entries: list[Entry], acked: float | None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = [list(e.key) for e in entries]
        record = {"account": self.account, "kind": kind, "path": path, "acked": acked}
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record | {"keys": keys}) + "\n")
            out.flush()
            os.fsync(out.fileno())


def load_mapping(data_dir: Path, account: str) -> dict[str, int]:
    try:
        data = json.loads((data_dir / LIST_MAP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    mine = data.get(account) if isinstance(data, dict) else None
    return (
        {str(k): v for k, v in mine.items() if isinstance(v, int)} if isinstance(mine, dict) else {}
    )


def save_mapping(data_dir: Path, account: str, source: int, target: int) -> None:
    path = data_dir / LIST_MAP
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    data.setdefault(account, {})[str(source)] = target
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(temporary, path)
