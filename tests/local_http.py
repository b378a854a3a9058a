"""Local HTTP servers the tests start for what Convene fetches or sends over HTTP (ICS links,
webhooks): never the network."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypeVar

S = TypeVar("S", bound=ThreadingHTTPServer)


def running(server: S) -> Iterator[S]:
    """Serve ``server`` on a thread while the caller's block runs (``yield from running(...)``
    in a fixture), then stop it."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class _ReceiverHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        server: Receiver = self.server
        with server.lock:
            server.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            status = server.answers.pop(0) if server.answers else 200
        time.sleep(server.delay)
        answer = server.body
        try:
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "https://elsewhere.example.com/")
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout): what the test wanted

    def log_message(self, format, *args) -> None:
        pass


class Receiver(ThreadingHTTPServer):
    """A webhook receiver: records every POST (path, lower-cased headers, body) and answers the
    statuses queued in ``answers`` (then 200), after ``delay`` seconds."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__((host, 0), _ReceiverHandler)
        self.lock = threading.Lock()
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.answers: list[int] = []  # statuses to answer, in turn; then 200
        self.delay = 0.0
        self.body = b"thanks"

    def handle_error(self, request, client_address) -> None:
        """Quiet about clients that hang up (a timeout, an answer read only in part)."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def url(self, path: str = "/hook", host: str | None = None) -> str:
        return f"http://{host or self.server_address[0]}:{self.server_address[1]}{path}"

    def payloads(self) -> list[dict]:
        return [json.loads(body) for _, _, body in self.received]
