"""The installed `trakt-export restore` as a real process against the fake on loopback (real
time, Trakt's real 1-write-per-second limit): SIGTERM or SIGKILL in the middle of the history
writes, then a rerun, ends with every play once — none missing, none doubled."""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.procs import finish, run, start
from trakt_export.config import resolve
from trakt_export.run.backup import run_backup
from trakt_export.run.session import Options
from trakt_fake import FakeTrakt, UserData, sized

pytestmark = pytest.mark.e2e
CLIENT = "test-client"


def plays(fake: FakeTrakt, user: str) -> Counter[tuple[int, str]]:
    return Counter(
        (w.item.trakt, f"{w.watched_at:%Y-%m-%dT%H:%M}") for w in fake.dataset.users[user].history
    )


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_sigterm_or_sigkill_mid_restore_then_rerun_no_play_doubled(
    tmp_path: Path, clean_env: Path
) -> None:
    dataset = sized(300, seed=3)  # 300 plays: three history writes
    targets = {signal.SIGTERM: "fresh-term", signal.SIGKILL: "fresh-kill"}
    for user in targets.values():
        dataset.users[user] = UserData(username=user, vip=True)
    fake = FakeTrakt(dataset, client_id=CLIENT)
    source = resolve(
        env={
            "TRAKT_EXPORT_HOME": str(clean_env),
            "TRAKT_EXPORT_CLIENT_ID": CLIENT,
            "TRAKT_EXPORT_ACCESS_TOKEN": fake.issue_token("bench").access_token,
        }
    )
    backup = tmp_path / "backup"
    run_backup(source, Options(output=str(backup), transport=fake.transport()), datetime.now(UTC))
    with fake.serve() as url:
        procs = {}
        for sig, user in targets.items():
            env = {
                "TRAKT_EXPORT_API_URL": url,
                "TRAKT_EXPORT_AUTH_URL": url,
                "TRAKT_EXPORT_CLIENT_ID": CLIENT,
                "TRAKT_EXPORT_ACCESS_TOKEN": fake.issue_token(user).access_token,
                "TRAKT_EXPORT_HOME": str(tmp_path / f"home-{user}"),
            }
            procs[sig] = (user, env, start(["restore", str(backup), "--apply"], env, tmp_path))

        def history_writes(user: str) -> int:
            return sum(r.username == user and r.path == "/sync/history" for r in fake.writes.log)

        for sig, (user, _, proc) in procs.items():
            wait_for(lambda user=user: history_writes(user) >= 2)  # type: ignore[misc]
            proc.send_signal(sig)
        for sig, (user, env, proc) in procs.items():
            done = finish(proc)
            assert done.returncode == (143 if sig == signal.SIGTERM else -9), done.stderr
            assert "Traceback" not in done.stderr
            assert plays(fake, user) != plays(fake, "bench"), "the kill came too late to test"
            again = run(["restore", str(backup), "--apply"], env, tmp_path, timeout=120)
            assert again.returncode == 0, again.stderr
            assert b"into the account " + user.encode() in again.stdout
            assert plays(fake, user) == plays(fake, "bench"), sig.name
            assert fake.dataset.users[user].ratings and fake.dataset.users[user].watchlist
