"""Fixtures for tests against real CalDAV servers with accounts: one Radicale and one Xandikos for the
whole session (tests/caldav_servers.py), each asking for a username and password, and small local
servers that are not CalDAV (a plain web server, one answering a fixed error, one whose certificate
nobody trusts).

A test module binds the fixtures it uses as module attributes, where pytest finds them::

    from tests import caldav_fixtures

    caldav_server = caldav_fixtures.caldav_server

(``from tests.caldav_fixtures import caldav_server`` works too, but ruff then reads every test's
parameter as a redefinition of the import; ``pytest_plugins`` in a test module cannot rewrite the
asserts of a module the test module also imports.)
"""

from __future__ import annotations

import functools
import ipaddress
import ssl
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

import caldav
import pytest

from tests.caldav_servers import CalDAVServer, start_radicale_with_auth, start_xandikos_with_auth

USERNAME, PASSWORD = "anna", "correct horse battery"
# Writes the calendars that are read-only to the user above (Radicale only, see RADICALE_RIGHTS).
CURATOR, CURATOR_PASSWORD = "curator", "curator's secret"


@dataclass(frozen=True)
class AuthenticatedServer:
    """A CalDAV server with accounts, and what another calendar app on the same account would do."""

    name: str
    process: CalDAVServer
    home_path: str  # USERNAME's calendar home: "/anna/" on Radicale, "/anna/calendars/" on Xandikos

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.process.port}"

    @property
    def principal_url(self) -> str:
        return f"{self.url}/{USERNAME}/"

    @property
    def home_url(self) -> str:
        return f"{self.url}{self.home_path}"

    @contextmanager
    def other_app(self, username: str = USERNAME, password: str = PASSWORD) -> Iterator[caldav.DAVClient]:
        """The caldav library's client on its own session, as another app would connect. Only its request
        methods: in caldav 3.6 the object API (principal(), save()) needs niquests or httpx."""
        client = caldav.DAVClient(url=f"{self.url}/", username=username, password=password, enable_rfc6764=False)
        try:
            yield client
        finally:
            client.close()

    def new_calendar(
        self,
        name: str = "Work",
        *,
        color: str | None = None,
        components: Sequence[str] = ("VEVENT",),
        read_only: bool = False,
    ) -> str:
        """A new calendar in USERNAME's home; returns its URL. ``read_only`` ones are made by the curator."""
        url = f"{self.home_url}{'readonly-' if read_only else ''}{uuid.uuid4().hex}/"
        colour = f"<I:calendar-color>{escape(color)}</I:calendar-color>" if color else ""
        comps = "".join(f'<C:comp name="{component}"/>' for component in components)
        body = f"""<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:I="http://apple.com/ns/ical/">
  <D:set><D:prop>
    <D:displayname>{escape(name)}</D:displayname>{colour}
    <C:supported-calendar-component-set>{comps}</C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>"""
        with self.other_app(*((CURATOR, CURATOR_PASSWORD) if read_only else ())) as client:
            response = client.mkcalendar(url, body)
        assert response.status == 201, f"{self.name}: MKCALENDAR {url} answered {response.status}"
        return url

    def store(self, calendar_url: str, document: bytes, *, name: str | None = None) -> str:
        """Store an iCalendar object under a name of the other app's choosing; returns its URL."""
        url = f"{calendar_url}{name or uuid.uuid4().hex}.ics"
        with self.other_app() as client:
            response = client.put(url, document, {"Content-Type": "text/calendar; charset=utf-8"})
        assert response.status in (201, 204), f"{self.name}: PUT {url} answered {response.status}"
        return url

    def fetch(self, url: str) -> tuple[int, str]:
        with self.other_app() as client:
            response = client.request(url, "GET")
        return response.status, response.raw

    def names_in(self, calendar_url: str) -> list[str]:
        """The resource names in a calendar, as a PROPFIND lists them."""
        with self.other_app() as client:
            response = client.propfind(calendar_url, ["{DAV:}getetag"], depth=1)
        return sorted(
            result.href.rstrip("/").rsplit("/", 1)[-1]
            for result in response.results
            if result.href.rstrip("/") != calendar_url.removeprefix(self.url).rstrip("/")
        )


@pytest.fixture(scope="session")
def authenticated_caldav_servers(tmp_path_factory) -> Iterator[dict[str, AuthenticatedServer]]:
    users = {USERNAME: PASSWORD, CURATOR: CURATOR_PASSWORD}
    processes: list[CalDAVServer] = []
    try:
        processes.append(start_radicale_with_auth(tmp_path_factory.mktemp("radicale-auth"), users))
        processes.append(start_xandikos_with_auth(tmp_path_factory.mktemp("xandikos-auth"), users))
        radicale, xandikos = processes
        servers = {
            "radicale": AuthenticatedServer("Radicale", radicale, f"/{USERNAME}/"),
            "xandikos": AuthenticatedServer("Xandikos", xandikos, f"/{USERNAME}/calendars/"),
        }
        for server in servers.values():
            # Both servers create a user's principal on the user's first request.
            with server.other_app() as client:
                client.propfind(server.principal_url, ["{DAV:}resourcetype"])
        yield servers
    finally:
        for process in processes:
            process.stop()


@pytest.fixture(params=["radicale", "xandikos"])
def caldav_server(request, authenticated_caldav_servers) -> AuthenticatedServer:
    return authenticated_caldav_servers[request.param]


@pytest.fixture
def radicale_server(authenticated_caldav_servers) -> AuthenticatedServer:
    return authenticated_caldav_servers["radicale"]


# --- servers that are not CalDAV ---


@contextmanager
def serving(handler: Callable[..., BaseHTTPRequestHandler], *, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Serve ``handler`` on a free loopback port in a thread; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def plain_web_server(tmp_path: Path) -> Iterator[str]:
    """Python's http.server with a home page: GET works, PROPFIND is 501 Unsupported method."""
    (tmp_path / "index.html").write_text("<!doctype html><h1>The bakery on the corner</h1>")
    with serving(functools.partial(_QuietFiles, directory=str(tmp_path))) as url:
        yield url


def answering(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> type[BaseHTTPRequestHandler]:
    """A handler answering every request with ``status``, ``body`` and ``headers``."""

    class Fixed(BaseHTTPRequestHandler):
        def answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_PUT = do_DELETE = do_PROPFIND = do_REPORT = answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Fixed


@pytest.fixture(scope="session")
def untrusted_tls(tmp_path_factory) -> ssl.SSLContext:
    """A server-side TLS context with a self-signed certificate for 127.0.0.1, which no client trusts."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    (directory / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    return context
