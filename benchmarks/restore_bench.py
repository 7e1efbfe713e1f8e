"""SPEC §7 v2.2, the restore figure: `restore --apply` of 20,000 plays into an empty account
within 1.1x of the write floor (write requests needed x 1 s, Trakt's write limit) plus the
reads of a backup; zero 429s.

The installed `trakt-export` against the fake Trakt served in a separate process (its write
limit enforced: a faster write is answered 429). Prints the ratio and PASS/FAIL; exits 1 when
the target is missed. Takes about four minutes at 20,000 plays (the write limit is real);
`RESTORE_EVENTS=2000` for a quick look. Run: `python benchmarks/restore_bench.py`.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

CLIENT = "bench-client"
EVENTS = int(os.environ.get("RESTORE_EVENTS", "20000"))
BIN = Path(sys.executable).parent
EXPORTER = str(BIN / "trakt-export") if (BIN / "trakt-export").exists() else "trakt-export"
ROOT = Path(__file__).resolve().parent.parent

# The fake in its own process: the `sized` account and an empty VIP target, one token each.
SERVER = textwrap.dedent(
    """
    import sys, threading
    from trakt_fake import FakeTrakt, UserData, sized
    from trakt_fake.loopback import start
    dataset = sized(int(sys.argv[1]))
    dataset.users["target"] = UserData(username="target", vip=True)
    fake = FakeTrakt(dataset, client_id=sys.argv[2])
    fake.issue_token("bench", 10**9, access_token="source-token")
    fake.issue_token("target", 10**9, access_token="target-token")
    server, url = start(fake, "127.0.0.1", 0)
    print("URL", url, flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin
    print(sum(r.status == 429 for r in fake.writes.log), len(fake.writes.log), flush=True)
    server.shutdown()
    """
)


def env_for(url: str, home: Path, token: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAKT_EXPORT_")}
    env.update(
        TRAKT_EXPORT_HOME=str(home), TRAKT_EXPORT_API_URL=url, TRAKT_EXPORT_AUTH_URL=url,
        TRAKT_EXPORT_CLIENT_ID=CLIENT, TRAKT_EXPORT_ACCESS_TOKEN=token,
    )  # fmt: skip
    return env


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[1:3])} failed: {done.stderr.strip()}")
    return time.perf_counter() - started


def main() -> int:
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(EVENTS), CLIENT],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    assert server.stdout is not None and server.stdin is not None
    url = server.stdout.readline().split()[1]
    with tempfile.TemporaryDirectory() as work:
        home, backup, report = Path(work) / "home", Path(work) / "backup", Path(work) / "r.json"
        reads = timed([EXPORTER, "backup", "-o", str(backup)], env_for(url, home, "source-token"))
        target = env_for(url, Path(work) / "target-home", "target-token")
        seconds = timed(
            [EXPORTER, "--report", str(report), "restore", str(backup), "--apply"], target
        )
        totals = json.loads(report.read_text())["endpoints"]
    server.stdin.close()
    rejected, writes = (int(x) for x in server.stdout.readline().split())
    server.wait()
    plays = EVENTS
    ratings = len(range(0, max(1, EVENTS // 3), 2))
    watchlist = min(max(1, EVENTS // 3), 50)
    needed = sum(math.ceil(n / 100) for n in (plays, ratings, watchlist))
    floor = needed * 1.0 + reads
    ratio = seconds / floor
    print(f"restore --apply of {EVENTS} plays: {seconds:.1f} s; write floor {needed} writes x 1 s "
          f"+ backup reads {reads:.1f} s = {floor:.1f} s; {ratio:.2f}x (target 1.1x)")  # fmt: skip
    print(f"writes sent {writes}, answered 429: {rejected} (target 0)")
    print(f"report endpoints written: {sorted(k for k in totals if k.startswith('/sync/'))[:6]}")
    ok = ratio <= 1.1 and rejected == 0 and writes == needed
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
