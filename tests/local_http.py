"""Local HTTP servers the tests start for what Convene fetches or sends over HTTP (ICS links,
webhooks): never the network."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
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
