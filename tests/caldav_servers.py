"""Real CalDAV servers for the tests: Radicale and Xandikos, started on a free loopback port.

Only loopback, only a temporary directory, no authentication; each server runs as a subprocess
of the test session and is stopped after it. The little client here speaks plain WebDAV/CalDAV
(MKCALENDAR, PUT, an expanded calendar-query REPORT) with http.client, so what is checked is the
server's own reading of our documents, not a client library's.

``start_radicale_with_auth`` and ``start_xandikos_with_auth`` start the same servers with HTTP Basic
authentication and one principal per user, for the CalDAV gateway's tests.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import socket
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import icalendar

DAV, CALDAV = "DAV:", "urn:ietf:params:xml:ns:caldav"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Occurrence:
    uid: str
    start: datetime | date
    end: datetime | date
    summary: str


class CalDAVServer:
    def __init__(self, name: str, command: list[str], port: int, home: str, log: Path):
        self.name, self.port, self.home = name, port, home
        self._log = log.open("wb")
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT)
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start-up (see its log)")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start listening on port {self.port}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()

    # --- requests ---

    def request(self, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def new_calendar(self) -> str:
        """A fresh, empty calendar collection; returns its path."""
        path = f"{self.home}{uuid.uuid4().hex}/"
        status, body = self.request("MKCALENDAR", path)
        if status not in (200, 201):
            raise AssertionError(f"{self.name}: MKCALENDAR {path} answered {status}: {body[:300]!r}")
        return path

    def put(self, calendar: str, document: bytes) -> int:
        """Store one calendar object (iTIP's METHOD removed, as a client does before storing)."""
        parsed = icalendar.Calendar.from_ical(document)
        parsed.pop("METHOD", None)
        status, _ = self.request(
            "PUT", f"{calendar}{uuid.uuid4().hex}.ics", parsed.to_ical(), {"Content-Type": "text/calendar"}
        )
        return status

    def expanded(self, calendar: str, start: datetime, end: datetime) -> list[Occurrence]:
        """The server's own expansion of everything in ``calendar`` overlapping [start, end)."""
        stamp = lambda moment: moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")  # noqa: E731
        query = f"""<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><C:calendar-data><C:expand start="{stamp(start)}" end="{stamp(end)}"/></C:calendar-data></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{stamp(start)}" end="{stamp(end)}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""
        status, body = self.request(
            "REPORT", calendar, query.encode(), {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"}
        )
        if status != 207:
            raise AssertionError(f"{self.name}: REPORT answered {status}: {body[:500]!r}")
        found = []
        for data in ET.fromstring(body).iter(f"{{{CALDAV}}}calendar-data"):
            for vevent in icalendar.Calendar.from_ical(data.text).walk("VEVENT"):
                if str(vevent.get("STATUS", "")).upper() == "CANCELLED":
                    continue
                found.append(
                    Occurrence(
                        uid=str(vevent["UID"]),
                        start=as_utc(vevent.decoded("DTSTART")),
                        end=as_utc(_end(vevent)),
                        summary=str(vevent.get("SUMMARY", "")),
                    )
                )
        return sorted(found, key=sort_key)


def _end(vevent):
    if "DTEND" in vevent:
        return vevent.decoded("DTEND")
    start = vevent.decoded("DTSTART")
    return start + (vevent.decoded("DURATION") if "DURATION" in vevent else timedelta(days=1))


def as_utc(moment):
    if isinstance(moment, datetime):
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment  # an all-day date stays a date


def sort_key(occurrence: Occurrence):
    start = occurrence.start
    return (str(start), occurrence.uid) if not isinstance(start, datetime) else (start.isoformat(), occurrence.uid)


def start_radicale(directory: Path) -> CalDAVServer:
    port = free_port()
    (directory / "collections").mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "radicale",
        "--server-hosts", f"127.0.0.1:{port}",
        "--auth-type", "none",
        "--rights-type", "authenticated",
        "--storage-filesystem-folder", str(directory / "collections"),
        "--logging-level", "warning",
    ]  # fmt: skip
    server = CalDAVServer("Radicale", command, port, "/convene/", directory / "radicale.log")
    status, _ = server.request("MKCOL", "/convene/")
    if status not in (201, 405):
        raise AssertionError(f"Radicale: MKCOL /convene/ answered {status}")
    return server


def start_xandikos(directory: Path) -> CalDAVServer:
    port = free_port()
    executable = str(Path(sys.executable).with_name("xandikos"))
    command = [executable, "serve", "-d", str(directory / "data"), "-l", "127.0.0.1", "-p", str(port), "--defaults"]
    return CalDAVServer("Xandikos", command, port, "/user/calendars/", directory / "xandikos.log")


# --- servers with authentication (tests/caldav_fixtures.py) ---
# Each user gets a principal collection of their own ("/anna/"); a wrong password is answered 401.

# Radicale's rights, first match wins: each user owns their home ("anna/") and its calendars, except that
# calendars named "readonly-..." are only readable to them and writable by the user "curator".
RADICALE_RIGHTS = """
[root]
user: .+
collection:
permissions: R

[curator]
user: curator
collection: [^/]+/readonly-[^/]+
permissions: rw

[read-only calendars]
user: .+
collection: {user}/readonly-[^/]+
permissions: r

[home]
user: .+
collection: {user}
permissions: RW

[calendars]
user: .+
collection: {user}/[^/]+
permissions: rw
"""


def start_radicale_with_auth(directory: Path, users: dict[str, str]) -> CalDAVServer:
    """Radicale checking an htpasswd file (plain passwords: this is a test), with the rights above,
    answering a wrong password without Radicale's delay. A user's home is "/<user>/"."""
    port = free_port()
    (directory / "collections").mkdir(parents=True, exist_ok=True)
    htpasswd = directory / "htpasswd"
    htpasswd.write_text("".join(f"{user}:{password}\n" for user, password in users.items()))
    rights = directory / "rights"
    rights.write_text(RADICALE_RIGHTS)
    command = [
        sys.executable, "-m", "radicale",
        "--server-hosts", f"127.0.0.1:{port}",
        "--auth-type", "htpasswd",
        "--auth-htpasswd-filename", str(htpasswd),
        "--auth-htpasswd-encryption", "plain",
        "--auth-delay", "0",
        "--rights-type", "from_file",
        "--rights-file", str(rights),
        "--storage-filesystem-folder", str(directory / "collections"),
        "--logging-level", "warning",
    ]  # fmt: skip
    return CalDAVServer("Radicale", command, port, "/", directory / "radicale.log")


def start_xandikos_with_auth(directory: Path, users: dict[str, str]) -> CalDAVServer:
    """Xandikos in its multi-user mode behind its own HTTP Basic middleware and an htpasswd file.

    ``xandikos serve --htpasswd`` insists on TLS (--autocert, a self-signed certificate our client
    would rightly refuse), so ``serve_xandikos_with_auth`` builds the same aiohttp application as
    ``xandikos.multi_user.main`` over plain HTTP on loopback. A user's principal is "/<user>/", created
    on their first request, and their calendar home "/<user>/calendars/"."""
    port = free_port()
    htpasswd = directory / "htpasswd"
    htpasswd.write_text("".join(f"{user}:{_sha_entry(password)}\n" for user, password in users.items()))
    command = [
        sys.executable, __file__, "xandikos-with-auth",
        str(directory / "data"), str(port), str(htpasswd),
    ]  # fmt: skip
    return CalDAVServer("Xandikos", command, port, "/", directory / "xandikos.log")


def _sha_entry(password: str) -> str:
    """An htpasswd ``{SHA}`` entry (Xandikos reads bcrypt and SHA1; bcrypt is not installed)."""
    return "{SHA}" + base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()


def serve_xandikos_with_auth(directory: str, port: int, htpasswd: str) -> None:
    """Run in a subprocess by ``start_xandikos_with_auth``; serves until terminated."""
    from aiohttp import web
    from xandikos.htpasswd import HtpasswdFile
    from xandikos.multi_user import MultiUserFilesystemBackend, MultiUserXandikosApp
    from xandikos.web import WELLKNOWN_DAV_PATHS, RedirectDavHandler, basic_auth_middleware
    from xandikos.webdav import ForbiddenError

    backend = MultiUserFilesystemBackend(directory, create_defaults=False)
    dav = MultiUserXandikosApp(backend, current_user_principal="/%(REMOTE_USER)s/")

    async def handler(request):
        try:
            return await dav.aiohttp_handler(request, "/")
        except ForbiddenError as refusal:
            # Xandikos 0.4.10 lets the multi-user access check escape as a 500; a real deployment says 403.
            return web.Response(status=403, text=f"{refusal}\n")

    app = web.Application(middlewares=[basic_auth_middleware(HtpasswdFile(htpasswd))])
    for path in WELLKNOWN_DAV_PATHS:
        app.router.add_route("*", path, RedirectDavHandler("/").__call__)
    app.router.add_route("*", "/{path_info:.*}", handler)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


if __name__ == "__main__" and sys.argv[1:2] == ["xandikos-with-auth"]:
    serve_xandikos_with_auth(sys.argv[2], int(sys.argv[3]), sys.argv[4])
