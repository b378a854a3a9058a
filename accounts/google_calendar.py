"""A small gateway over the Google Calendar API v3.

It works on plain data (``TokenData`` in, dataclasses and datetimes out) so it knows nothing about Django
or allauth; the caller builds ``TokenData`` from the stored social token and saves ``refreshed_token``
back when Google handed out a new access token.

Every failure leaves as one of four exceptions, so callers only decide *what to tell the user*:

- ``GoogleAuthError``: the grant is gone (``invalid_grant``, no refresh token, 401 after a refresh).
  Retrying cannot help; the user must reconnect Google.
- ``GoogleUnavailable``: 429, 5xx, rate-limit 403s, timeouts and connection errors, after retries.
  Try again later (a Huey retry).
- ``GooglePermissionError``: any other 403, e.g. no write access to that calendar.
- ``GoogleCalendarError``: everything else (400, 404, 409...); ``status`` holds the HTTP status.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httplib2
from google.auth.exceptions import RefreshError, TransportError
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest

logger = logging.getLogger(__name__)

# What the app must request when the user connects Google: read calendars and free/busy, write events.
SCOPES = (
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/calendar.events",
)
TOKEN_URI = "https://oauth2.googleapis.com/token"
REVOKE_URI = "https://oauth2.googleapis.com/revoke"

# 403 reasons meaning a quota was hit: waiting may help, permissions do not. quotaExceeded ("Calendar usage
# limits exceeded") can last hours, so the retries rarely clear it, but "try later" is still the right answer.
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})
WRITABLE_ACCESS_ROLES = frozenset({"owner", "writer"})
FREEBUSY_MAX_RANGE = timedelta(days=90)

# httplib2 lets socket errors through (TimeoutError and ConnectionError are OSErrors) and wraps DNS
# failures in its own errors; google-auth wraps httplib2 errors during a token refresh in TransportError.
TRANSPORT_ERRORS = (OSError, httplib2.HttpLib2Error, http.client.HTTPException, TransportError)


class GoogleCalendarError(Exception):
    """Base of every error this module raises; ``status`` is the HTTP status when Google answered."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GoogleAuthError(GoogleCalendarError):
    """The refresh token is expired or revoked, or Google still says 401 after a refresh: reconnect."""


class GoogleUnavailable(GoogleCalendarError):
    """Google is rate-limiting, failing or unreachable, even after retries: try again later."""


class GooglePermissionError(GoogleCalendarError):
    """Google refused access to that calendar (403 that is not a rate limit)."""


@dataclass(frozen=True)
class TokenData:
    """The user's OAuth grant, as stored by the app.

    ``expires_at`` must be timezone-aware; ``None`` means unknown, and the token is then refreshed only
    when Google answers 401. Scopes are deliberately not part of it: the refresh asks for no scope, so the
    new access token carries whatever the user granted (asking for a scope the user unticked on the
    consent screen would fail the refresh instead of failing only the call that needs it).
    """

    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    client_id: str
    client_secret: str

    def __post_init__(self) -> None:
        if self.expires_at is not None and self.expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")


@dataclass(frozen=True)
class CalendarInfo:
    id: str
    summary: str
    primary: bool
    writable: bool
    timezone: str


@dataclass(frozen=True)
class EventBody:
    """What we push to Google for one booking.

    ``timezone`` is an IANA name: Google shows the event in it, and the times are sent in its offset.
    ``ical_uid`` is the UID of the .ics invitations we email, so calendars link both copies.
    """

    summary: str
    start: datetime
    end: datetime
    timezone: str
    description: str = ""
    location: str = ""
    attendees: tuple[tuple[str, str], ...] = ()  # (email, display name)
    ical_uid: str | None = None
    # All-day events are the dates of ``start`` up to (not including) ``end``, in ``timezone``.
    all_day: bool = False
    # RFC 5545 lines ("RRULE:FREQ=WEEKLY;COUNT=5", "EXDATE:20261110T080000Z"), expanded by Google
    # in ``timezone`` so a weekly 09:00 stays at 09:00 across DST.
    recurrence: tuple[str, ...] = ()


class GoogleCalendar:
    """One user's Google Calendar, reached through ``http`` (an ``httplib2.Http`` or a test double).

    The access token is refreshed by google-auth through the same ``http``: before a call when it has
    expired, and once after a 401. Retries are ours rather than googleapiclient's ``num_retries`` so that
    one loop classifies every failure and the sleep can be replaced in tests; a retry waits
    ``2 ** (n - 1)`` seconds plus up to one second of jitter (1, 2, 4 s for the default three retries).
    Keep ``retries`` low when a person is waiting for the answer. ``timeout`` (seconds per request) applies
    to the ``httplib2.Http`` built when no ``http`` is given.
    """

    def __init__(
        self,
        token: TokenData,
        *,
        http: httplib2.Http | None = None,
        retries: int = 3,
        timeout: float = 10,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._token = token
        self._retries = retries
        self._sleep = sleep
        self._http = http or httplib2.Http(timeout=timeout)
        self._credentials = Credentials(
            token=token.access_token,
            refresh_token=token.refresh_token,
            token_uri=TOKEN_URI,
            client_id=token.client_id,
            client_secret=token.client_secret,
            # google-auth compares expiry with a naive UTC "now".
            expiry=token.expires_at.astimezone(UTC).replace(tzinfo=None) if token.expires_at else None,
        )
        # One refresh per 401 is enough: a fresh token that still gets 401 means the grant is gone.
        authorized_http = AuthorizedHttp(self._credentials, http=self._http, max_refresh_attempts=1)
        # The discovery document ships with googleapiclient: building makes no request.
        self._service = build("calendar", "v3", http=authorized_http, static_discovery=True, cache_discovery=False)

    @property
    def refreshed_token(self) -> TokenData | None:
        """The token after a refresh during this object's calls (store it), or ``None`` if unchanged."""
        credentials = self._credentials
        if credentials.token == self._token.access_token:
            return None
        return replace(
            self._token,
            access_token=credentials.token,
            refresh_token=credentials.refresh_token,
            expires_at=credentials.expiry.replace(tzinfo=UTC) if credentials.expiry else None,
        )

    def calendars(self) -> list[CalendarInfo]:
        """The user's calendar list (all pages), with the user's own name for a calendar if they set one."""
        calendar_list = self._service.calendarList()
        calendars: list[CalendarInfo] = []
        request = calendar_list.list()
        while request is not None:
            response = self._execute(request)
            calendars.extend(
                CalendarInfo(
                    id=entry["id"],
                    summary=entry.get("summaryOverride") or entry.get("summary", ""),
                    primary=entry.get("primary", False),
                    writable=entry.get("accessRole") in WRITABLE_ACCESS_ROLES,
                    timezone=entry.get("timeZone", "UTC"),
                )
                for entry in response.get("items", [])
            )
            request = calendar_list.list_next(request, response)
        return calendars

    def busy(self, calendar_ids: Sequence[str], start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Busy intervals of all ``calendar_ids`` between ``start`` and ``end``, merged, sorted, aware UTC.

        Free/busy already leaves out events the user marked "free" (transparency "transparent"), which is why
        we ask it rather than listing events and filtering them ourselves (see Cal.com issue #6032). A calendar
        Google reports an error for (deleted, no longer shared) is skipped with a warning, so one stale
        calendar does not hide the others.
        """
        if not calendar_ids:
            return []
        intervals = []
        # Google refuses free/busy ranges longer than about three months: ask in pieces.
        piece_start = start
        while piece_start < end:
            piece_end = min(end, piece_start + FREEBUSY_MAX_RANGE)
            intervals.extend(self._busy_piece(calendar_ids, piece_start, piece_end))
            piece_start = piece_end
        return _merge(intervals)

    def _busy_piece(
        self, calendar_ids: Sequence[str], start: datetime, end: datetime
    ) -> list[tuple[datetime, datetime]]:
        body = {
            "timeMin": _rfc3339(start, UTC),
            "timeMax": _rfc3339(end, UTC),
            "items": [{"id": calendar_id} for calendar_id in calendar_ids],
        }
        response = self._execute(self._service.freebusy().query(body=body))
        intervals = []
        for calendar_id, calendar in response.get("calendars", {}).items():
            if calendar.get("errors"):
                reasons = ", ".join(error.get("reason", "?") for error in calendar["errors"])
                logger.warning("Google free/busy skipped calendar %s: %s", calendar_id, reasons)
                continue
            intervals.extend(
                (_parse_rfc3339(period["start"]), _parse_rfc3339(period["end"])) for period in calendar.get("busy", [])
            )
        return intervals

    def insert_event(self, calendar_id: str, body: EventBody, *, event_id: str | None = None) -> str:
        """Create the event and return its Google id. Google sends no emails: we send the invitations.

        We choose the event id (``event_id``, or a random one), so a retry after a timeout whose request
        did land answers 409 instead of creating a duplicate; on 409 the event with our id is brought up to
        date (the request that landed first may carry older data). A 409 while our id is absent means the
        ``ical_uid`` is already in that calendar (Gmail adds the .ics invitations we email to the owner):
        that event is adopted, brought up to date, and its id returned, so the owner sees one copy.
        """
        # Google accepts ids of base32hex characters (0-9, a-v), 5 to 1024 long; hex digits are a subset.
        event_id = event_id or uuid.uuid4().hex
        resource = {"id": event_id, **_event_resource(body)}
        if body.ical_uid:
            resource["iCalUID"] = body.ical_uid
        events = self._service.events()
        try:
            self._execute(events.insert(calendarId=calendar_id, body=resource, sendUpdates="none"))
        except GoogleCalendarError as error:
            if error.status != http.client.CONFLICT:
                raise
            try:
                # Ours already (a retry whose first try landed, or a racing task): make it current.
                self.update_event(calendar_id, event_id, body)
            except GoogleCalendarError as lookup_error:
                if lookup_error.status != http.client.NOT_FOUND:
                    raise
                existing = self._find_by_ical_uid(calendar_id, body.ical_uid) if body.ical_uid else None
                if existing is None:
                    raise error from None
                self.update_event(calendar_id, existing, body)
                return existing
        return event_id

    def _find_by_ical_uid(self, calendar_id: str, ical_uid: str) -> str | None:
        response = self._execute(self._service.events().list(calendarId=calendar_id, iCalUID=ical_uid))
        items = response.get("items", [])
        return items[0]["id"] if items else None

    def update_event(self, calendar_id: str, event_id: str, body: EventBody) -> None:
        """Overwrite the event's fields from ``body`` (a patch: fields we do not manage are kept)."""
        request = self._service.events().patch(
            calendarId=calendar_id, eventId=event_id, body=_event_resource(body), sendUpdates="none"
        )
        self._execute(request)

    def delete_event(self, calendar_id: str, event_id: str) -> None:
        """Delete the event; one that is already gone (404, or 410 once deleted) counts as deleted."""
        request = self._service.events().delete(calendarId=calendar_id, eventId=event_id, sendUpdates="none")
        try:
            self._execute(request)
        except GoogleCalendarError as error:
            if error.status not in (http.client.NOT_FOUND, http.client.GONE):
                raise

    def revoke(self) -> None:
        """Ask Google to forget the grant, best effort: disconnecting must work even if Google does not.

        The refresh token is revoked when we have one, because revoking it revokes the whole grant while an
        expired access token cannot be revoked at all. The token travels in the form body, not the URL, so
        it stays out of logs.
        """
        token = self._credentials.refresh_token or self._credentials.token
        try:
            response, _content = self._http.request(
                REVOKE_URI,
                "POST",
                body=urlencode({"token": token}),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        except TRANSPORT_ERRORS as error:
            logger.warning("Could not revoke the Google token: %r", error)
            return
        if response.status != http.client.OK:
            logger.warning("Google did not revoke the token: HTTP %s", response.status)

    def _execute(self, request: HttpRequest) -> Any:
        """Run ``request``, retrying what waiting can fix, and translate every failure."""
        for attempt in range(self._retries + 1):
            if attempt:
                self._sleep(2 ** (attempt - 1) + random.random())
            try:
                return request.execute()
            except HttpError as http_error:
                error = _translate_http_error(http_error)
            except RefreshError as refresh_error:
                # google-auth has already retried the token endpoint when it answered 5xx or 429.
                error_class = GoogleUnavailable if refresh_error.retryable else GoogleAuthError
                raise error_class(f"Google token refresh failed: {refresh_error}") from refresh_error
            except TRANSPORT_ERRORS as transport_error:
                error = GoogleUnavailable(f"Google Calendar is unreachable: {transport_error!r}")
                error.__cause__ = transport_error
            if not isinstance(error, GoogleUnavailable):
                raise error
            logger.info("Google Calendar attempt %d of %d failed: %s", attempt + 1, self._retries + 1, error)
        raise error


def _translate_http_error(error: HttpError) -> GoogleCalendarError:
    status = error.resp.status
    message = f"Google Calendar answered {status}: {error.reason}"
    if status == http.client.UNAUTHORIZED:
        translated: GoogleCalendarError = GoogleAuthError(message, status=status)
    elif status == http.client.TOO_MANY_REQUESTS or status >= 500:
        translated = GoogleUnavailable(message, status=status)
    elif status == http.client.FORBIDDEN:
        rate_limited = not _error_reasons(error).isdisjoint(RATE_LIMIT_REASONS)
        translated = (GoogleUnavailable if rate_limited else GooglePermissionError)(message, status=status)
    else:
        translated = GoogleCalendarError(message, status=status)
    translated.__cause__ = error
    return translated


def _error_reasons(error: HttpError) -> set[str]:
    """The ``reason`` of each entry of Google's ``{"error": {"errors": [...]}}`` body."""
    try:
        entries = json.loads(error.content)["error"]["errors"]
        return {entry["reason"] for entry in entries}
    except (ValueError, KeyError, TypeError):
        return set()


def _event_resource(body: EventBody) -> dict[str, Any]:
    zone = ZoneInfo(body.timezone)
    if body.all_day:
        # Google's all-day events are dates; the end date is exclusive, as ours is.
        start = {"date": body.start.astimezone(zone).date().isoformat(), "dateTime": None}
        end = {"date": body.end.astimezone(zone).date().isoformat(), "dateTime": None}
    else:
        # "date": None clears the date when a patch turns an all-day event into a timed one.
        start = {"dateTime": _rfc3339(body.start, zone), "timeZone": body.timezone, "date": None}
        end = {"dateTime": _rfc3339(body.end, zone), "timeZone": body.timezone, "date": None}
    return {
        "summary": body.summary,
        "description": body.description,
        "location": body.location,
        "start": start,
        "end": end,
        "attendees": [{"email": email, "displayName": name} for email, name in body.attendees],
        "recurrence": list(body.recurrence),
        # The meeting stands: a copy someone deleted in Google comes back when we update it.
        "status": "confirmed",
    }


def _rfc3339(moment: datetime, zone: tzinfo) -> str:
    """``moment`` in ``zone``, with its offset, as Google wants; naive datetimes are refused, not guessed."""
    if moment.tzinfo is None:
        raise ValueError("Google Calendar needs timezone-aware datetimes")
    return moment.astimezone(zone).isoformat(timespec="seconds")


def _parse_rfc3339(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def _merge(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Sort and join intervals that overlap or touch."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
