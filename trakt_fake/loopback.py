"""The fake over real HTTP: a threaded HTTP/1.1 server on loopback relaying to FakeTrakt.

Only here can a body trickle (`Faults.trickle`): one byte per interval, really sleeping in this
request's server thread.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

if TYPE_CHECKING:
    from trakt_fake.server import FakeTrakt

# Hop-by-hop or length headers the relay recomputes itself.
_SKIP_IN = frozenset({"content-length", "transfer-encoding", "connection"})
_SKIP_OUT = frozenset({"content-length", "transfer-encoding", "connection", "date", "server"})


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # benchmarks open many connections at once

    def __init__(self, fake: FakeTrakt, address: tuple[str, int]) -> None:
        self.fake = fake
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up mid-answer (a cancelled request) is normal, not a server error.
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so clients can pool connections
    # Headers and body go out in two writes; with Nagle on, delayed ACKs would add ~40 ms to
    # every response and swamp the simulated latency the benchmarks measure.
    disable_nagle_algorithm = True
    timeout = 30  # idle keep-alive connections end eventually
    server: LoopbackServer

    def do_GET(self) -> None:
        self._relay()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The `Date` header, as Trakt (Cloudflare) sends it, from the fake's clock: a fake with
        a skewed clock models a machine whose clock is off (`doctor`'s clock check)."""
        from email.utils import formatdate

        return formatdate(self.server.fake.clock() if timestamp is None else timestamp, usegmt=True)

    def _relay(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in _SKIP_IN]
        request = httpx.Request(
            self.command, self.server.url + self.path, headers=headers, content=body
        )
        answer = self.server.fake.answer_sync(request)
        response = answer.response
        content = response.content
        self.send_response(response.status_code)
        for name, value in response.headers.multi_items():
            if name.lower() not in _SKIP_OUT:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        if answer.drop:
            self.send_header("Connection", "close")
        self.end_headers()
        if not answer.drop:
            interval = self.server.fake.faults.take_trickle(urlsplit(self.path).path)
            if interval is None:
                self.wfile.write(content)
                return
            for i in range(len(content)):
                self.wfile.write(content[i : i + 1])
                self.wfile.flush()
                time.sleep(interval)
            return
        # A reset mid-body: announce the full length, send half, then kill the socket.
        self.wfile.write(content[: len(content) // 2])
        self.wfile.flush()
        self.close_connection = True
        with contextlib.suppress(OSError):  # the client may have gone already
            self.connection.shutdown(socket.SHUT_RDWR)

    def log_message(self, format: str, *args: object) -> None:
        return None  # quiet: stdout carries only the URL line in `serve`


def start(fake: FakeTrakt, host: str = "127.0.0.1", port: int = 0) -> tuple[LoopbackServer, str]:
    """Bind, start serving in a daemon thread, and return the server and its base URL."""
    server = LoopbackServer(fake, (host, port))
    # A short poll interval makes shutdown() quick (tests start and stop servers often).
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="fake-trakt", daemon=True
    )
    thread.start()
    return server, server.url
