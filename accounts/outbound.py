"""Outbound HTTP to addresses people type in (ICS links, CalDAV servers): every call has a
timeout, bodies have a size limit, and nothing is sent to this machine or its private network.

A URL that names a loopback, private, link-local, multicast or reserved address (or a host name
that resolves to one) would let anyone with an account make Convene reach services that are not
meant to be reachable from outside (a cloud metadata endpoint, an admin port). The address is
checked on the connection itself, after the host name has been resolved, so a redirect or a DNS
answer that changes between two looks cannot get around it. ``OUTBOUND_ALLOW_PRIVATE`` turns the
guard off, for the tests' local servers and for a CalDAV server on the same host as Convene.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import time
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

# Seconds to connect and to wait between bytes; a person is often waiting.
TIMEOUT = (5, 15)
USER_AGENT = "Convene calendar sync (+https://github.com/convene)"


class Refused(Exception):
    """The address is not one Convene sends requests to; ``message`` says why, in words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TooLarge(Exception):
    def __init__(self, limit: int):
        super().__init__(f"The answer is larger than {limit // 1_000_000} MB.")
        self.message = str(self)


def check_address(address: str) -> None:
    """Refuse an IP address that is not on the public internet (unless allowed by the setting)."""
    if settings.OUTBOUND_ALLOW_PRIVATE:
        return
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if not ip.is_global or ip.is_multicast:
        raise Refused(
            f"That address leads to {ip}, a private or local address; Convene only connects to calendars "
            "on the internet."
        )


def check_url(url: str) -> None:
    """Refuse what is not an http(s) URL with a host, before anything is sent."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("Use an address that starts with https:// (or webcal://).")
    with contextlib.suppress(ValueError):  # a host name: its addresses are checked on connecting
        check_address(parts.hostname)


def check_host(url: str) -> None:
    """Refuse a URL whose host name resolves to an address Convene does not connect to, before
    connecting at all: the check on the connection itself stays (a DNS answer may change between
    two looks), but a refused host is then never reached, so nobody learns which of its ports
    are open. Raises ``Refused`` also when the name does not resolve."""
    if settings.OUTBOUND_ALLOW_PRIVATE:
        return
    parts = urlsplit(url)
    try:
        found = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError):
        raise Refused(f"{parts.hostname} could not be found; check the address.") from None
    for *_, address in found:
        check_address(address[0])


def refusal_in(failure: BaseException) -> Refused | None:
    """The guard's refusal, if urllib3 or requests wrapped it on its way up."""
    seen: BaseException | None = failure
    while seen is not None:
        if isinstance(seen, Refused):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


class _Guarded:
    """Mixed into urllib3's connections: the peer of every new socket is checked."""

    def _new_conn(self):
        sock = super()._new_conn()
        try:
            check_address(sock.getpeername()[0])
        except Refused:
            sock.close()
            raise
        return sock


class _GuardedHTTPConnection(_Guarded, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


def session() -> requests.Session:
    """A requests session whose every connection is checked; proxies and .netrc from the
    environment are ignored (they would bypass the check, or leak credentials)."""
    found = requests.Session()
    found.trust_env = False
    found.headers["User-Agent"] = USER_AGENT
    adapter = GuardedAdapter(max_retries=0)
    found.mount("http://", adapter)
    found.mount("https://", adapter)
    return found


class TooSlow(Exception):
    def __init__(self, seconds: float):
        super().__init__(f"The answer took longer than {seconds:.0f} seconds to arrive.")
        self.message = str(self)


# However steadily a server trickles bytes (each within TIMEOUT), a body takes at most this long.
TOTAL_SECONDS = 60


def read_limited(response: requests.Response, limit: int, *, seconds: float = TOTAL_SECONDS) -> bytes:
    """The body of a streamed response, refusing more than ``limit`` bytes or ``seconds``."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        response.close()
        raise TooLarge(limit)
    deadline = time.monotonic() + seconds
    body = bytearray()
    for chunk in response.iter_content(64 * 1024):
        body += chunk
        if len(body) > limit:
            response.close()
            raise TooLarge(limit)
        if time.monotonic() > deadline:
            response.close()
            raise TooSlow(seconds)
    return bytes(body)
