"""Real CalDAV servers for the tests: Radicale and Xandikos, started on a free loopback port.

Only loopback, only a temporary directory, no authentication; each server runs as a subprocess
of the test session and is stopped after it. The little client here speaks plain WebDAV/CalDAV
(MKCALENDAR, PUT, an expanded calendar-query REPORT) with http.client, so what is checked is the
server's own reading of our documents, not a client library's.
"""

from __future__ import annotations

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
