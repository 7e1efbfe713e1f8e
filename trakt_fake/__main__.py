"""`python -m trakt_fake serve ...`: run the fake on loopback for the demo and e2e tests.

Prints exactly one line, `URL http://HOST:PORT`, once listening; serves until SIGTERM/SIGINT.
Real-Trakt fetching behaviours can be switched on from here (all off by default):
`--account-budget 500/300`, `--overcount /sync/history/movies=3`, `--duplicate PATH=PAGE`,
`--strip-pagination`, `--absurd-page-count N`, `--html-challenge-rate P [--html-lying]`,
`--exhausted-ratelimit`, `--trickle SECONDS [--trickle-path PREFIX]`.

`python -m trakt_fake zip --dataset NAME --layout LAYOUT -o FILE` writes Trakt's data-export
ZIP of a dataset's primary user (or `--user`) in one of the layouts real exports have used
(`ziplayouts.LAYOUTS`), for the demo, the docs and anyone trying `--from-zip`.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

from trakt_fake.datasets import edge, large, reality, sample, sized
from trakt_fake.importsets import imported
from trakt_fake.loopback import start
from trakt_fake.records import Dataset
from trakt_fake.server import FakeTrakt
from trakt_fake.socialsets import heavy_tv

# Long enough that a demo token never expires during a session (ten years).
SERVE_TOKEN_LIFETIME = 10 * 365 * 24 * 3600

_DATASETS: dict[str, Callable[[], Dataset]] = {
    "sample": sample,
    "edge": edge,
    "large": large,
    "reality": reality,
    "heavy_tv": heavy_tv,
    "imported": imported,
}


def dataset_named(spec: str) -> Dataset:
    """`sample`, `edge`, `large`, `reality`, `heavy_tv`, `imported` or `sized:N`."""
    if spec.startswith("sized:"):
        try:
            count = int(spec.removeprefix("sized:"))
        except ValueError:
            raise argparse.ArgumentTypeError(f"sized:N needs a number, got {spec!r}") from None
        return sized(count)
    if spec not in _DATASETS:
        names = "|".join(_DATASETS)
        raise argparse.ArgumentTypeError(f"unknown dataset {spec!r} ({names}|sized:N)")
    return _DATASETS[spec]()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m trakt_fake",
        description=(
            f"The bundled fake Trakt. Datasets: {', '.join(_DATASETS)}, sized:N. "
            "--latency-ms is added to every request (per request)."
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a dataset over HTTP on loopback")
    serve.add_argument(
        "--dataset",
        type=dataset_named,
        default="sample",
        metavar="NAME",
        help=f"one of {', '.join(_DATASETS)} or sized:N (N film plays); default sample",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port")
    serve.add_argument("--client-id", default="demo-client")
    serve.add_argument("--client-secret", default="demo-secret")
    serve.add_argument("--token", help="pre-register this access token")
    serve.add_argument("--token-user", help="owner of --token (default: the dataset's user)")
    serve.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        metavar="MS",
        help="simulated latency added to every request (per request, not per page set)",
    )
    serve.add_argument("--private", action="store_true", help="make the token user private")
    reality = serve.add_argument_group("real-Trakt fetching behaviours (see fake.faults)")
    reality.add_argument(
        "--account-budget",
        type=_budget,
        metavar="LIMIT/PERIOD",
        help="sliding GET budget per account answered by Cloudflare's HTML 429, e.g. 500/300",
    )
    reality.add_argument("--budget-retry-after", type=int, default=300, metavar="SECONDS")
    reality.add_argument(
        "--overcount",
        type=_path_number,
        action="append",
        default=[],
        metavar="PATH=N",
        help="never serve N items of PATH but keep counting them (repeatable)",
    )
    reality.add_argument(
        "--duplicate",
        type=_path_number,
        action="append",
        default=[],
        metavar="PATH=PAGE",
        help="serve the last item of PAGE of PATH again on the next page (repeatable)",
    )
    reality.add_argument("--strip-pagination", action="store_true")
    reality.add_argument("--absurd-page-count", type=int, metavar="N")
    reality.add_argument("--html-challenge-rate", type=float, default=0.0, metavar="P")
    reality.add_argument("--html-lying", action="store_true", help="label challenges as JSON")
    reality.add_argument("--exhausted-ratelimit", action="store_true")
    reality.add_argument("--trickle", type=float, metavar="SECONDS", help="per body byte")
    reality.add_argument("--trickle-path", metavar="PREFIX")
    reality.add_argument("--seed", type=int, default=0, help="for rate-based faults")
    _zip_parser(commands)
    return parser


def _zip_parser(commands: Any) -> None:
    from trakt_fake.ziplayouts import LAYOUTS

    make = commands.add_parser("zip", help="write Trakt's data-export ZIP of a dataset")
    make.add_argument(
        "--dataset",
        type=dataset_named,
        default="sample",
        metavar="NAME",
        help=f"one of {', '.join(_DATASETS)} or sized:N; default sample",
    )
    make.add_argument(
        "--layout",
        choices=LAYOUTS,
        default="paged",
        help="the member layout of one of Trakt's export versions; default paged",
    )
    make.add_argument("--user", help="whose export (default: the dataset's first user)")
    make.add_argument("-o", "--output", required=True, metavar="FILE", help="the ZIP to write")


def write_zip(args: argparse.Namespace) -> int:
    """The `zip` command: one account's export in the chosen layout, written to --output."""
    from pathlib import Path

    from trakt_fake.ziplayouts import write_trakt_zip

    dataset: Dataset = args.dataset
    user = dataset.user(args.user or dataset.primary)
    if user is None:
        print(f"error: no user {args.user!r} in this dataset", file=sys.stderr)
        return 2
    path = Path(args.output)
    try:
        write_trakt_zip(dataset, path, user.username, args.layout)
    except OSError as exc:
        print(f"error: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"ZIP {path}", flush=True)
    return 0


def _budget(spec: str) -> tuple[int, float]:
    limit, _, period = spec.partition("/")
    try:
        return int(limit), float(period or 300)
    except ValueError:
        raise argparse.ArgumentTypeError(f"LIMIT/PERIOD expected, got {spec!r}") from None


def _path_number(spec: str) -> tuple[str, int]:
    path, sep, number = spec.rpartition("=")
    if not sep or not path.startswith("/") or not number.isdigit():
        raise argparse.ArgumentTypeError(f"PATH=N expected, got {spec!r}")
    return path, int(number)


def configure(fake: FakeTrakt, args: argparse.Namespace) -> None:
    """Apply the real-Trakt behaviour flags to `fake.faults`."""
    faults = fake.faults
    if args.account_budget is not None:
        limit, period = args.account_budget
        faults.account_budget(limit, period, args.budget_retry_after)
    for path, hidden in args.overcount:
        faults.overcount(path, hidden)
    for path, page in args.duplicate:
        faults.duplicate_across_pages(path, page)
    if args.strip_pagination:
        faults.strip_pagination()
    if args.absurd_page_count is not None:
        faults.absurd_page_count(args.absurd_page_count)
    if args.html_challenge_rate > 0:
        faults.html_challenge(rate=args.html_challenge_rate, seed=args.seed, lying=args.html_lying)
    if args.exhausted_ratelimit:
        faults.exhausted_ratelimit()
    if args.trickle is not None:
        faults.trickle(args.trickle, path_prefix=args.trickle_path)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "zip":
        return write_zip(args)
    dataset: Dataset = args.dataset
    owner = args.token_user or dataset.primary
    user = dataset.user(owner)
    if user is None:
        print(f"error: no user {owner!r} in this dataset", file=sys.stderr)
        return 2
    if args.private:
        user.private = True
    fake = FakeTrakt(
        dataset,
        client_id=args.client_id,
        client_secret=args.client_secret,
        latency=args.latency_ms / 1000.0,
    )
    configure(fake, args)
    if args.token:
        fake.issue_token(user.username, SERVE_TOKEN_LIFETIME, access_token=args.token)
    server, url = start(fake, args.host, args.port)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(f"URL {url}", flush=True)
    try:
        stop.wait()  # signal handlers still run while the main thread waits here
    finally:
        server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
