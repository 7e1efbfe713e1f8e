"""`python -m trakt_export.fake serve ...`: run the fake on loopback for the demo and e2e tests.

Prints exactly one line, `URL http://HOST:PORT`, once listening; serves until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType

from trakt_export.fake.datasets import edge, large, sample, sized
from trakt_export.fake.loopback import start
from trakt_export.fake.records import Dataset
from trakt_export.fake.server import FakeTrakt
from trakt_export.fake.socialsets import heavy_tv

# Long enough that a demo token never expires during a session (ten years).
SERVE_TOKEN_LIFETIME = 10 * 365 * 24 * 3600

_DATASETS: dict[str, Callable[[], Dataset]] = {
    "sample": sample,
    "edge": edge,
    "large": large,
    "heavy_tv": heavy_tv,
}


def dataset_named(spec: str) -> Dataset:
    """`sample`, `edge`, `large`, `heavy_tv` or `sized:N`."""
    if spec.startswith("sized:"):
        try:
            count = int(spec.removeprefix("sized:"))
        except ValueError:
            raise argparse.ArgumentTypeError(f"sized:N needs a number, got {spec!r}") from None
        return sized(count)
    if spec not in _DATASETS:
        raise argparse.ArgumentTypeError(
            f"unknown dataset {spec!r} (sample|edge|large|heavy_tv|sized:N)"
        )
    return _DATASETS[spec]()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m trakt_export.fake")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a dataset over HTTP on loopback")
    serve.add_argument("--dataset", type=dataset_named, default="sample", metavar="NAME")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port")
    serve.add_argument("--client-id", default="demo-client")
    serve.add_argument("--client-secret", default="demo-secret")
    serve.add_argument("--token", help="pre-register this access token")
    serve.add_argument("--token-user", help="owner of --token (default: the dataset's user)")
    serve.add_argument("--latency-ms", type=float, default=0.0)
    serve.add_argument("--private", action="store_true", help="make the token user private")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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
