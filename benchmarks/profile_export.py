"""Where a 20,000-event export spends its CPU: cProfile of one cold and one warm `movies` run
in-process against the fake Trakt (no latency, so every second shown is our own work).

    PYTHONPATH=. .venv/bin/python benchmarks/profile_export.py [--mode history] [--top 25]

Prints the wall time of: a cold run, a warm run answered by the stored result (the no-change
shortcut), and a warm run without it (the stored result removed first: every cached page read
and parsed again, as before the shortcut); then the cProfile top of the cold run.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

from trakt_export.config import resolve
from trakt_export.run.export import run_movies
from trakt_export.run.session import Options
from trakt_fake import FakeTrakt, sized

CLIENT = "bench-client"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", default="history", choices=("history", "aggregated"))
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    fake = FakeTrakt(sized(args.events), client_id=CLIENT)
    token = fake.issue_token("bench").access_token
    work = Path(tempfile.mkdtemp(prefix="trakt-export-profile-"))
    try:
        settings = resolve(
            env={
                "TRAKT_EXPORT_HOME": str(work / "home"),
                "TRAKT_EXPORT_CLIENT_ID": CLIENT,
                "TRAKT_EXPORT_ACCESS_TOKEN": token,
                "TRAKT_EXPORT_EXPORT_MODE": args.mode,
                "TRAKT_EXPORT_EXPORT_MAX_ROWS": "0",
                "TRAKT_EXPORT_EXPORT_MAX_BYTES": "0",
                "TRAKT_EXPORT_NETWORK_REQUESTS_PER_WINDOW": "10000",
            }
        )

        def run() -> float:
            started = time.perf_counter()
            options = Options(output=str(work / "out.csv"), transport=fake.transport())
            run_movies(settings, options)
            return time.perf_counter() - started

        profile = cProfile.Profile()
        profile.enable()
        cold = run()
        profile.disable()
        cold_plain = None
        shutil.rmtree(work / "home")
        cold_plain = run()  # without the profiler's overhead
        shortcut = min(run() for _ in range(3))
        results = settings.paths.data_dir / "results"
        no_shortcut = []
        for _ in range(3):
            shutil.rmtree(results, ignore_errors=True)
            no_shortcut.append(run())
        print(f"{args.events} events, {args.mode} mode, in-process fake, no latency")
        print(f"  cold run:                    {cold_plain:.3f} s ({cold:.3f} s profiled)")
        print(f"  warm, stored result answers: {shortcut:.3f} s")
        print(f"  warm, every page re-parsed:  {min(no_shortcut):.3f} s")
        text = io.StringIO()
        stats = pstats.Stats(profile, stream=text)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
        print(text.getvalue())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
