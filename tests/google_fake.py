"""A fake Google (OAuth token endpoint + Calendar API v3) behind the ``httplib2.Http`` interface.

``accounts/google_calendar.py`` is tested request by request with ``HttpMockSequence``. Code above it
(booking pages, pushes, the settings page) makes calls in an order that is not the point of those
tests, so this fake answers by URL, keeps events like Google does, and records every request.
Install it with the ``fake_google`` fixture (tests/conftest.py), which replaces
``accounts.google.http_for_google``; the live server of the e2e tests runs in the same process, so
browser journeys reach it too.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httplib2

PRIMARY = "owner.google@gmail.com"
TEAM = "team-calendar@group.calendar.google.com"
HOLIDAYS = "en.usa#holiday@group.v.calendar.google.com"


@dataclass
class Recorded:
    method: str
    uri: str
    body: Any

    @property
    def path(self) -> str:
        return unquote(urlsplit(self.uri).path)

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.uri).query)


@dataclass
class FakeGoogle:
    calendars: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"id": PRIMARY, "summary": PRIMARY, "primary": True, "accessRole": "owner", "timeZone": "Europe/Berlin"},
            {"id": TEAM, "summary": "Team", "accessRole": "writer", "timeZone": "Europe/Berlin"},
            {"id": HOLIDAYS, "summary": "Holidays in United States", "accessRole": "reader", "timeZone": "UTC"},
        ]
    )
    # calendar id -> busy (start, end) pairs, as free/busy reports them ("free" events never appear).
    busy: dict[str, list[tuple[datetime, datetime]]] = field(default_factory=dict)
    # calendar id -> event id -> resource
    events: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    # Every Calendar API call answers this (status, reason) while set; the token endpoint too for 400s.
    failure: tuple[int, str] | None = None
    token_revoked: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_busy(self, calendar_id: str, start: datetime, end: datetime) -> None:
        self.busy.setdefault(calendar_id, []).append((start, end))

    def calls(self, method: str, path_contains: str) -> list[Recorded]:
        return [request for request in self.requests if request.method == method and path_contains in request.path]

    # httplib2.Http's interface -----------------------------------------------------------------

    def request(self, uri, method="GET", body=None, headers=None, redirections=5, connection_type=None):
        with self.lock:
            if isinstance(body, bytes):
                body = body.decode()
            parsed = json.loads(body) if body and body.lstrip().startswith("{") else body
            self.requests.append(Recorded(method, uri, parsed))
            status, payload = self._answer(method, uri, parsed)
        content = b"" if payload is None else json.dumps(payload).encode()
        response = httplib2.Response({"status": str(status), "content-type": "application/json"})
        return response, content

    # Routing -----------------------------------------------------------------------------------

    def _answer(self, method: str, uri: str, body: Any) -> tuple[int, Any]:
        path = unquote(urlsplit(uri).path)
        if uri.startswith("https://oauth2.googleapis.com/token"):
            if self.token_revoked:
                return 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
            return 200, {"access_token": "ya29.fresh-access-token", "expires_in": 3599, "token_type": "Bearer"}
        if uri.startswith("https://oauth2.googleapis.com/revoke"):
            return 200, {}
        if self.token_revoked:
            return 401, _error(401, "authError", "Invalid Credentials")
        if self.failure is not None:
            status, reason = self.failure
            return status, _error(status, reason, "Failing on purpose")
        if path.endswith("/users/me/calendarList"):
            return 200, {"kind": "calendar#calendarList", "items": self.calendars}
        if path.endswith("/freeBusy"):
            return 200, self._freebusy(body)
        match = re.search(r"/calendars/(?P<calendar>[^/]+)/events(?:/(?P<event>[^/]+))?$", path)
        if match:
            return self._event(method, match["calendar"], match["event"], body, parse_qs(urlsplit(uri).query))
        return 404, _error(404, "notFound", "Not Found")

    def _freebusy(self, body: dict[str, Any]) -> dict[str, Any]:
        time_min, time_max = _parse(body["timeMin"]), _parse(body["timeMax"])
        calendars = {}
        for item in body["items"]:
            calendar_id = PRIMARY if item["id"] == "primary" else item["id"]
            periods = [
                {"start": start.isoformat().replace("+00:00", "Z"), "end": end.isoformat().replace("+00:00", "Z")}
                for start, end in self.busy.get(calendar_id, [])
                if start < time_max and end > time_min
            ]
            calendars[item["id"]] = {"busy": periods}
        return {
            "kind": "calendar#freeBusy",
            "timeMin": body["timeMin"],
            "timeMax": body["timeMax"],
            "calendars": calendars,
        }

    def _event(self, method, calendar_id, event_id, body, query) -> tuple[int, Any]:
        calendar_id = PRIMARY if calendar_id == "primary" else calendar_id
        stored = self.events.setdefault(calendar_id, {})
        if method == "POST" and event_id is None:
            ical_uid = body.get("iCalUID")
            if body["id"] in stored or (ical_uid and any(e.get("iCalUID") == ical_uid for e in stored.values())):
                return 409, _error(409, "duplicate", "The requested identifier already exists.")
            stored[body["id"]] = {**body, "status": "confirmed"}
            return 200, stored[body["id"]]
        if method == "GET" and event_id is None:
            items = [event for event in stored.values() if event.get("iCalUID") in query.get("iCalUID", [])]
            return 200, {"kind": "calendar#events", "items": items}
        if event_id not in stored:
            return 404, _error(404, "notFound", "Not Found")
        if method == "GET":
            return 200, stored[event_id]
        if method == "PATCH":
            stored[event_id].update(body)
            return 200, stored[event_id]
        if method == "DELETE":
            del stored[event_id]
            return 204, None
        return 405, _error(405, "methodNotAllowed", "Method not allowed")


def _error(status: int, reason: str, message: str) -> dict[str, Any]:
    return {"error": {"code": status, "message": message, "errors": [{"domain": "global", "reason": reason}]}}


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
