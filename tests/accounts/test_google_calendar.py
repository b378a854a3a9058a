"""The Google Calendar gateway, against recorded-shape Google responses and no network."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httplib2
import pytest
import time_machine
from googleapiclient.http import HttpMockSequence

from accounts.google_calendar import (
    REVOKE_URI,
    TOKEN_URI,
    CalendarInfo,
    EventBody,
    GoogleAuthError,
    GoogleCalendar,
    GoogleCalendarError,
    GooglePermissionError,
    GoogleUnavailable,
    TokenData,
)

RESPONSES = Path(__file__).parent / "google_responses"
NOW = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
PRIMARY = "olivia.owner@gmail.com"
TEAM = "c_1f2a7b4d9e8c3f60a5b1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3@group.calendar.google.com"
BOB = "bob.colleague@example.com"


class Request(NamedTuple):
    uri: str
    method: str
    body: str | bytes | None
    headers: dict[str, str]

    @property
    def path(self) -> str:
        return urlsplit(self.uri).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.uri).query)

    def json(self) -> dict:
        return json.loads(self.body)

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode() if isinstance(self.body, bytes) else self.body)


class GoogleMock(HttpMockSequence):
    """``HttpMockSequence`` that can also fail like a network: an exception in the sequence is raised."""

    def __init__(self, responses):
        self.responses = list(responses)
        super().__init__(self.responses)

    def request(self, uri, method="GET", body=None, headers=None, redirections=1, connection_type=None):
        if isinstance(self.responses[0], Exception):
            self.request_sequence.append((uri, method, body, headers))
            raise self.responses.pop(0)
        return super().request(uri, method, body, headers, redirections, connection_type)

    @property
    def requests(self) -> list[Request]:
        return [Request(*request) for request in self.request_sequence]


def answer(status: int, fixture: str | None = None) -> tuple[dict[str, str], str]:
    """A Google response: the status and the JSON body stored in ``google_responses/<fixture>.json``."""
    body = (RESPONSES / f"{fixture}.json").read_text() if fixture else ""
    return {"status": str(status), "content-type": "application/json; charset=UTF-8"}, body


def ok(fixture: str) -> tuple[dict[str, str], str]:
    return answer(200, fixture)


def make_token(**changes) -> TokenData:
    values = {
        "access_token": "ya29.a0AeXRPp5stored-access-token",
        "refresh_token": "1//0gStoredRefreshToken",
        "expires_at": NOW + timedelta(minutes=50),
        "client_id": "123456789012-abcdefghijklmnop.apps.googleusercontent.com",
        "client_secret": "GOCSPX-client-secret",
    }
    return TokenData(**(values | changes))


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def connect(sleeps):
    """``connect(*responses, token=..., retries=...)`` -> (GoogleCalendar, its GoogleMock)."""

    def make(*responses, token: TokenData | None = None, retries: int = 3) -> tuple[GoogleCalendar, GoogleMock]:
        http = GoogleMock(responses)
        calendar = GoogleCalendar(token or make_token(), http=http, retries=retries, sleep=sleeps.append)
        return calendar, http

    return make


def booking(**changes) -> EventBody:
    values = {
        "summary": "Intro call with Ada Lovelace",
        "start": datetime(2026, 3, 8, 14, 0, tzinfo=UTC),
        "end": datetime(2026, 3, 8, 14, 30, tzinfo=UTC),
        "timezone": "America/New_York",
        "description": "Booked through Convene.",
        "location": "https://meet.example.org/ada",
        "attendees": (("ada@example.org", "Ada Lovelace"), ("olivia.owner@gmail.com", "Olivia Owner")),
        "ical_uid": "booking-42@convene.example.com",
    }
    return EventBody(**(values | changes))


# Building the client


def test_building_the_client_makes_no_request(connect):
    _calendar, http = connect()

    assert http.requests == []


def test_token_data_refuses_a_naive_expiry():
    with pytest.raises(ValueError, match="timezone-aware"):
        make_token(expires_at=datetime(2026, 3, 8, 12, 0))


# calendars()


def test_calendars_follow_next_page_token(connect):
    calendar, http = connect(ok("calendar_list_page1"), ok("calendar_list_page2"))

    calendars = calendar.calendars()

    assert [c.id for c in calendars] == [PRIMARY, TEAM, "en.usa#holiday@group.v.calendar.google.com", BOB]
    assert [r.path for r in http.requests] == ["/calendar/v3/users/me/calendarList"] * 2
    assert http.requests[1].query["pageToken"] == [
        "EjwKOmMxZjJhN2I0ZDlAZ3JvdXAuY2FsZW5kYXIuZ29vZ2xlLmNvbSMxNzcyMDAwMDAwMDAwMDAw"
    ]


def test_calendars_are_writable_only_for_owner_and_writer_roles(connect):
    calendar, _http = connect(ok("calendar_list_page1"), ok("calendar_list_page2"))

    writable = {c.id: c.writable for c in calendar.calendars()}

    assert writable == {PRIMARY: True, TEAM: True, "en.usa#holiday@group.v.calendar.google.com": False, BOB: False}


def test_calendars_describe_primary_name_and_timezone_with_the_users_own_name(connect):
    calendar, _http = connect(ok("calendar_list_page1"), ok("calendar_list_page2"))

    primary, team, *_ = calendar.calendars()

    assert primary == CalendarInfo(
        id=PRIMARY, summary=PRIMARY, primary=True, writable=True, timezone="America/New_York"
    )
    assert team == CalendarInfo(
        id=TEAM, summary="Team (Berlin)", primary=False, writable=True, timezone="Europe/Berlin"
    )


# busy()


def test_busy_queries_freebusy_for_the_calendars_with_the_range_in_utc(connect):
    calendar, http = connect(ok("freebusy"))

    calendar.busy([PRIMARY, TEAM, BOB], datetime(2026, 3, 8, tzinfo=NEW_YORK), datetime(2026, 3, 9, tzinfo=NEW_YORK))

    [request] = http.requests
    assert (request.method, request.path) == ("POST", "/calendar/v3/freeBusy")
    assert request.json() == {
        "timeMin": "2026-03-08T05:00:00+00:00",
        "timeMax": "2026-03-09T04:00:00+00:00",
        "items": [{"id": PRIMARY}, {"id": TEAM}, {"id": BOB}],
    }


def test_busy_merges_intervals_of_all_calendars_and_offsets_into_sorted_utc(connect):
    calendar, _http = connect(ok("freebusy"))

    busy = calendar.busy(
        [PRIMARY, TEAM, BOB], datetime(2026, 3, 8, tzinfo=NEW_YORK), datetime(2026, 3, 9, tzinfo=NEW_YORK)
    )

    assert busy == [
        (datetime(2026, 3, 8, 13, 0, tzinfo=UTC), datetime(2026, 3, 8, 14, 30, tzinfo=UTC)),
        (datetime(2026, 3, 8, 18, 0, tzinfo=UTC), datetime(2026, 3, 8, 19, 15, tzinfo=UTC)),
    ]


def test_busy_interval_across_the_new_york_dst_change_keeps_its_real_length(connect):
    calendar, _http = connect(ok("freebusy_across_dst"))

    [(start, end)] = calendar.busy(
        [PRIMARY], datetime(2026, 3, 8, tzinfo=NEW_YORK), datetime(2026, 3, 9, tzinfo=NEW_YORK)
    )

    # 01:30 EST to 03:30 EDT is one hour: the clock skips 02:00-03:00.
    assert (start, end) == (datetime(2026, 3, 8, 6, 30, tzinfo=UTC), datetime(2026, 3, 8, 7, 30, tzinfo=UTC))


def test_busy_contains_only_what_freebusy_returned_so_events_marked_free_never_block(connect):
    # Free/busy leaves transparent events out on Google's side; we must not fetch events and add them back.
    calendar, http = connect(ok("freebusy_with_calendar_error"))

    busy = calendar.busy([PRIMARY], datetime(2026, 3, 8, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC))

    assert busy == [(datetime(2026, 3, 8, 14, 0, tzinfo=UTC), datetime(2026, 3, 8, 15, 0, tzinfo=UTC))]
    assert [r.path for r in http.requests] == ["/calendar/v3/freeBusy"]


def test_busy_skips_a_calendar_google_reports_an_error_for_with_a_warning(connect, caplog):
    calendar, _http = connect(ok("freebusy_with_calendar_error"))

    with caplog.at_level(logging.WARNING, logger="accounts.google_calendar"):
        busy = calendar.busy(
            [PRIMARY, "deleted-calendar@group.calendar.google.com"],
            datetime(2026, 3, 8, tzinfo=UTC),
            datetime(2026, 3, 9, tzinfo=UTC),
        )

    assert len(busy) == 1
    assert "deleted-calendar@group.calendar.google.com: notFound" in caplog.text


def test_busy_over_more_than_90_days_asks_in_pieces_google_accepts(connect):
    calendar, http = connect(ok("freebusy"), ok("freebusy"))

    calendar.busy([PRIMARY], datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC))

    assert [(request.json()["timeMin"], request.json()["timeMax"]) for request in http.requests] == [
        ("2026-01-01T00:00:00+00:00", "2026-04-01T00:00:00+00:00"),
        ("2026-04-01T00:00:00+00:00", "2026-05-01T00:00:00+00:00"),
    ]


def test_busy_over_an_empty_range_asks_google_nothing(connect):
    calendar, http = connect()

    assert calendar.busy([PRIMARY], datetime(2026, 3, 9, tzinfo=UTC), datetime(2026, 3, 8, tzinfo=UTC)) == []
    assert http.requests == []


def test_busy_without_calendars_asks_google_nothing(connect):
    calendar, http = connect()

    assert calendar.busy([], datetime(2026, 3, 8, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC)) == []
    assert http.requests == []


def test_busy_refuses_naive_datetimes(connect):
    calendar, _http = connect()

    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.busy([PRIMARY], datetime(2026, 3, 8), datetime(2026, 3, 9))


# insert_event(), update_event(), delete_event()


def test_insert_event_posts_the_event_in_its_timezone_without_google_notifications(connect):
    calendar, http = connect(ok("event"))

    calendar.insert_event(PRIMARY, booking())

    [request] = http.requests
    assert (request.method, request.path) == ("POST", "/calendar/v3/calendars/olivia.owner%40gmail.com/events")
    assert request.query["sendUpdates"] == ["none"]
    assert request.json() == {
        "id": request.json()["id"],
        "summary": "Intro call with Ada Lovelace",
        "description": "Booked through Convene.",
        "location": "https://meet.example.org/ada",
        "start": {"dateTime": "2026-03-08T10:00:00-04:00", "timeZone": "America/New_York", "date": None},
        "end": {"dateTime": "2026-03-08T10:30:00-04:00", "timeZone": "America/New_York", "date": None},
        "attendees": [
            {"email": "ada@example.org", "displayName": "Ada Lovelace"},
            {"email": "olivia.owner@gmail.com", "displayName": "Olivia Owner"},
        ],
        "recurrence": [],
        "status": "confirmed",
        "iCalUID": "booking-42@convene.example.com",
    }


def test_insert_event_uses_the_event_id_given(connect):
    calendar, http = connect(ok("event"))

    event_id = calendar.insert_event(PRIMARY, booking(), event_id="c0nvene0123456789abcdef")

    assert event_id == "c0nvene0123456789abcdef"
    assert http.requests[0].json()["id"] == "c0nvene0123456789abcdef"


def test_insert_all_day_event_sends_dates_with_an_exclusive_end(connect):
    calendar, http = connect(ok("event"))
    body = booking(
        start=datetime(2026, 3, 29, tzinfo=BERLIN), end=datetime(2026, 3, 31, tzinfo=BERLIN), all_day=True,
        timezone="Europe/Berlin",
    )  # fmt: skip

    calendar.insert_event(PRIMARY, body)

    sent = http.requests[0].json()
    assert (sent["start"], sent["end"]) == (
        {"date": "2026-03-29", "dateTime": None},
        {"date": "2026-03-31", "dateTime": None},
    )


def test_insert_recurring_event_sends_its_rule_and_exceptions(connect):
    calendar, http = connect(ok("event"))
    rules = ("RRULE:FREQ=WEEKLY;COUNT=6", "EXDATE:20260315T140000Z")

    calendar.insert_event(PRIMARY, booking(recurrence=rules))

    assert http.requests[0].json()["recurrence"] == list(rules)


def test_insert_event_returns_the_event_id_it_chose(connect):
    calendar, http = connect(ok("event"))

    event_id = calendar.insert_event(PRIMARY, booking())

    assert event_id == http.requests[0].json()["id"]


def test_insert_event_without_ical_uid_lets_google_make_one(connect):
    calendar, http = connect(ok("event"))

    calendar.insert_event(PRIMARY, booking(ical_uid=None))

    assert "iCalUID" not in http.requests[0].json()


def test_insert_event_retried_after_a_timeout_that_landed_does_not_duplicate(connect):
    # The first POST reached Google but the answer was lost; the retry meets our own event id.
    calendar, http = connect(TimeoutError("timed out"), answer(409, "error_409"), ok("event"))

    event_id = calendar.insert_event(PRIMARY, booking())

    first, second, refresh = http.requests
    assert first.body == second.body
    # The copy that landed is brought up to date: a racing task may have sent older data.
    assert (refresh.method, refresh.path) == (
        "PATCH",
        f"/calendar/v3/calendars/olivia.owner%40gmail.com/events/{event_id}",
    )


def test_insert_event_adopts_the_copy_gmail_already_made_from_our_invitation(connect):
    # Gmail put the emailed .ics in the calendar: same iCalUID, Google's own id.
    found = json.dumps({"kind": "calendar#events", "items": [{"id": "gmailmadethisid", "iCalUID": "x"}]})
    calendar, http = connect(
        answer(409, "error_409"), answer(404, "error_404"), ({"status": "200"}, found), ok("event")
    )

    event_id = calendar.insert_event(PRIMARY, booking())

    _insert, _lookup, search, patch = http.requests
    assert search.query["iCalUID"] == ["booking-42@convene.example.com"]
    assert (patch.method, patch.path.rsplit("/", 1)[1]) == ("PATCH", "gmailmadethisid")
    assert event_id == "gmailmadethisid"


def test_insert_event_conflict_with_no_event_to_adopt_raises_conflict(connect):
    empty = json.dumps({"kind": "calendar#events", "items": []})
    calendar, _http = connect(answer(409, "error_409"), answer(404, "error_404"), ({"status": "200"}, empty))

    with pytest.raises(GoogleCalendarError) as raised:
        calendar.insert_event(PRIMARY, booking())

    assert raised.value.status == 409


def test_update_event_patches_the_fields_without_google_notifications(connect):
    calendar, http = connect(ok("event"))

    calendar.update_event(
        TEAM,
        "9f1c2d3e4b5a60718293a4b5c6d7e8f9",
        booking(start=datetime(2026, 3, 29, 9, 0, tzinfo=BERLIN), end=datetime(2026, 3, 29, 10, 0, tzinfo=BERLIN)),
    )

    [request] = http.requests
    assert request.method == "PATCH"
    assert request.path == f"/calendar/v3/calendars/{TEAM.replace('@', '%40')}/events/9f1c2d3e4b5a60718293a4b5c6d7e8f9"
    assert request.query["sendUpdates"] == ["none"]
    # Berlin switched to summer time at 02:00 that morning (CEST, UTC+2); New York had already (EDT, UTC-4).
    assert request.json()["start"] == {
        "dateTime": "2026-03-29T03:00:00-04:00",
        "timeZone": "America/New_York",
        "date": None,  # clears the date if the event was all-day before
    }
    assert "iCalUID" not in request.json()
    assert "id" not in request.json()


def test_delete_event_sends_delete_without_google_notifications(connect):
    calendar, http = connect(answer(204))

    calendar.delete_event(PRIMARY, "9f1c2d3e4b5a60718293a4b5c6d7e8f9")

    [request] = http.requests
    assert (request.method, request.path) == (
        "DELETE",
        "/calendar/v3/calendars/olivia.owner%40gmail.com/events/9f1c2d3e4b5a60718293a4b5c6d7e8f9",
    )
    assert request.query["sendUpdates"] == ["none"]


@pytest.mark.parametrize(("status", "fixture"), [(404, "error_404"), (410, "error_410")])
def test_delete_event_already_gone_is_fine(connect, status, fixture):
    calendar, _http = connect(answer(status, fixture))

    calendar.delete_event(PRIMARY, "9f1c2d3e4b5a60718293a4b5c6d7e8f9")


# Token refresh


def test_expired_access_token_is_refreshed_through_the_same_http_before_the_call(connect):
    calendar, http = connect(ok("token"), ok("calendar_list_page2"), token=make_token(expires_at=NOW - timedelta(1)))

    calendar.calendars()

    refresh, call = http.requests
    assert (refresh.uri, refresh.method) == (TOKEN_URI, "POST")
    assert refresh.form() == {
        "grant_type": ["refresh_token"],
        "refresh_token": ["1//0gStoredRefreshToken"],
        "client_id": ["123456789012-abcdefghijklmnop.apps.googleusercontent.com"],
        "client_secret": ["GOCSPX-client-secret"],
    }
    assert call.headers["authorization"] == "Bearer ya29.a0AeXRPp5refreshed-access-token"


def test_refreshed_token_holds_the_new_access_token_and_expiry_to_store(connect):
    calendar, _http = connect(ok("token"), ok("calendar_list_page2"), token=make_token(expires_at=NOW - timedelta(1)))

    calendar.calendars()

    assert calendar.refreshed_token == make_token(
        access_token="ya29.a0AeXRPp5refreshed-access-token", expires_at=NOW + timedelta(seconds=3599)
    )


def test_refreshed_token_is_none_when_the_stored_token_was_still_valid(connect):
    calendar, _http = connect(ok("calendar_list_page2"))

    calendar.calendars()

    assert calendar.refreshed_token is None


def test_401_refreshes_the_token_and_repeats_the_call(connect):
    calendar, http = connect(answer(401, "error_401"), ok("token"), ok("calendar_list_page2"))

    assert len(calendar.calendars()) == 2
    assert [r.uri == TOKEN_URI for r in http.requests] == [False, True, False]
    assert calendar.refreshed_token.access_token == "ya29.a0AeXRPp5refreshed-access-token"


def test_401_after_a_refresh_raises_auth_error(connect):
    calendar, _http = connect(answer(401, "error_401"), ok("token"), answer(401, "error_401"))

    with pytest.raises(GoogleAuthError):
        calendar.calendars()


def test_invalid_grant_from_the_token_endpoint_raises_auth_error(connect):
    calendar, _http = connect(answer(400, "token_invalid_grant"), token=make_token(expires_at=NOW - timedelta(1)))

    with pytest.raises(GoogleAuthError, match="invalid_grant"):
        calendar.calendars()


def test_expired_token_without_refresh_token_raises_auth_error(connect):
    calendar, http = connect(token=make_token(refresh_token=None, expires_at=NOW - timedelta(1)))

    with pytest.raises(GoogleAuthError):
        calendar.calendars()
    assert http.requests == []


def test_unreachable_token_endpoint_raises_unavailable(connect, sleeps):
    calendar, _http = connect(
        *[httplib2.ServerNotFoundError("Unable to find the server at oauth2.googleapis.com")] * 2,
        retries=1,
        token=make_token(expires_at=NOW - timedelta(1)),
    )

    with pytest.raises(GoogleUnavailable):
        calendar.calendars()
    assert len(sleeps) == 1


def test_token_endpoint_failing_raises_unavailable_not_auth_error(connect, monkeypatch):
    # google-auth retries its token endpoint itself (three attempts), sleeping through time.sleep.
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    calendar, http = connect(*[answer(503, "token_unavailable")] * 3, token=make_token(expires_at=NOW - timedelta(1)))

    with pytest.raises(GoogleUnavailable):
        calendar.calendars()
    assert [r.uri for r in http.requests] == [TOKEN_URI] * 3


# Retries and errors


def test_429_then_success_is_retried_after_a_backoff(connect, sleeps):
    calendar, _http = connect(answer(429, "error_429"), ok("calendar_list_page2"))

    assert len(calendar.calendars()) == 2
    assert len(sleeps) == 1


def test_503_on_every_attempt_raises_unavailable_after_exponential_backoff(connect, sleeps):
    calendar, http = connect(*[answer(503, "error_503")] * 4, retries=3)

    with pytest.raises(GoogleUnavailable) as raised:
        calendar.calendars()

    assert raised.value.status == 503
    assert len(http.requests) == 4
    assert [int(seconds) for seconds in sleeps] == [1, 2, 4]


@pytest.mark.parametrize("fixture", ["error_403_rate_limit", "error_403_user_rate_limit", "error_403_quota"])
def test_403_rate_limit_is_retried_then_raises_unavailable(connect, sleeps, fixture):
    calendar, http = connect(*[answer(403, fixture)] * 3, retries=2)

    with pytest.raises(GoogleUnavailable):
        calendar.calendars()
    assert len(http.requests) == 3


def test_other_403_raises_permission_error_without_retrying(connect, sleeps):
    calendar, http = connect(answer(403, "error_403_forbidden"))

    with pytest.raises(GooglePermissionError, match="writer access"):
        calendar.insert_event("en.usa#holiday@group.v.calendar.google.com", booking())
    assert (len(http.requests), sleeps) == (1, [])


@pytest.mark.parametrize(
    "failure",
    [
        TimeoutError("timed out"),
        ConnectionResetError(104, "Connection reset by peer"),
        httplib2.ServerNotFoundError("Unable to find the server at www.googleapis.com"),
    ],
    ids=["timeout", "connection-reset", "dns"],
)
def test_network_failures_are_retried_then_raise_unavailable(connect, failure):
    calendar, http = connect(*[failure] * 3, retries=2)

    with pytest.raises(GoogleUnavailable):
        calendar.calendars()
    assert len(http.requests) == 3


def test_timeout_then_success_is_retried(connect):
    calendar, _http = connect(TimeoutError("timed out"), ok("calendar_list_page2"))

    assert len(calendar.calendars()) == 2


def test_other_client_errors_raise_the_base_error_with_the_status(connect, sleeps):
    calendar, _http = connect(answer(400, "error_400"))

    with pytest.raises(GoogleCalendarError, match="time range is empty") as raised:
        calendar.busy([PRIMARY], datetime(2026, 3, 8, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC))
    assert (type(raised.value), raised.value.status, sleeps) == (GoogleCalendarError, 400, [])


# revoke()


def test_revoke_posts_the_refresh_token_in_the_form_body(connect):
    calendar, http = connect(answer(200))

    calendar.revoke()

    [request] = http.requests
    assert (request.uri, request.method) == (REVOKE_URI, "POST")
    assert request.form() == {"token": ["1//0gStoredRefreshToken"]}
    assert "authorization" not in {name.lower() for name in request.headers}


def test_revoke_without_refresh_token_revokes_the_access_token(connect):
    calendar, http = connect(answer(200), token=make_token(refresh_token=None))

    calendar.revoke()

    assert http.requests[0].form() == {"token": ["ya29.a0AeXRPp5stored-access-token"]}


@pytest.mark.parametrize(
    "response", [answer(400, "revoke_invalid_token"), TimeoutError("timed out")], ids=["refused", "timeout"]
)
def test_revoke_ignores_failures(connect, response):
    calendar, _http = connect(response)

    calendar.revoke()
