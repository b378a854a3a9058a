"""A CalDAV account behind a booking page, against real servers asking for a password (Radicale and
Xandikos, each test runs against both): connected through the Calendars page, its events written by
another app block the right times, and bookings are written to it, moved and deleted there.

The host works Monday to Friday, 09:00–17:00 in Berlin. The weeks checked straddle the end of summer
time there (Sunday 25 October 2026): a weekly series at 10:00 must block 10:00 Berlin time on both
sides of it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from accounts.models import CalDAVAccount
from booking.book import Booker, book_slot, cancel_booking, reschedule_booking
from scheduling.models import Event
from tests import caldav_fixtures
from tests.booking.pages import offered_times
from tests.caldav_fixtures import PASSWORD, USERNAME
from tests.factories import EventTypeFactory

authenticated_caldav_servers = caldav_fixtures.authenticated_caldav_servers
caldav_server = caldav_fixtures.caldav_server

pytestmark = pytest.mark.django_db

BERLIN_VTIMEZONE = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE"""


def calendar(*events: str) -> bytes:
    body = "\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Another app//EN", BERLIN_VTIMEZONE, *events,
                      "END:VCALENDAR"])  # fmt: skip
    return body.replace("\n", "\r\n").encode() + b"\r\n"


def vevent(*lines: str, uid: str | None = None) -> str:
    return "\n".join(["BEGIN:VEVENT", f"UID:{uid or uuid.uuid4()}", "DTSTAMP:20261001T000000Z", *lines, "END:VEVENT"])


# Wednesdays at 10:00 in Berlin from 14 October; the 21st moved to 14:00, the 28th cancelled (EXDATE).
SERIES = "weekly-review@another-app"
WEEKLY = calendar(
    vevent("SUMMARY:Weekly review", "DTSTART;TZID=Europe/Berlin:20261014T100000",
           "DTEND;TZID=Europe/Berlin:20261014T110000", "RRULE:FREQ=WEEKLY;COUNT=6",
           "EXDATE;TZID=Europe/Berlin:20261028T100000", uid=SERIES),
    vevent("SUMMARY:Weekly review (moved)", "RECURRENCE-ID;TZID=Europe/Berlin:20261021T100000",
           "DTSTART;TZID=Europe/Berlin:20261021T140000", "DTEND;TZID=Europe/Berlin:20261021T150000", uid=SERIES),
)  # fmt: skip
ALL_DAY = calendar(vevent("SUMMARY:Offsite", "DTSTART;VALUE=DATE:20261015", "DTEND;VALUE=DATE:20261016"))
TRANSPARENT = calendar(vevent("SUMMARY:Reading time", "DTSTART;TZID=Europe/Berlin:20261016T110000",
                              "DTEND;TZID=Europe/Berlin:20261016T120000", "TRANSP:TRANSPARENT"))  # fmt: skip
DECLINED = calendar(vevent("SUMMARY:All hands", "DTSTART;TZID=Europe/Berlin:20261016T140000",
                           "DTEND;TZID=Europe/Berlin:20261016T150000", "ORGANIZER:mailto:boss@example.org",
                           "ATTENDEE;PARTSTAT=DECLINED:mailto:owner@example.com"))  # fmt: skip
ACCEPTED = calendar(vevent("SUMMARY:Planning", "DTSTART;TZID=Europe/Berlin:20261016T150000",
                           "DTEND;TZID=Europe/Berlin:20261016T160000", "ORGANIZER:mailto:boss@example.org",
                           "ATTENDEE;PARTSTAT=ACCEPTED:mailto:owner@example.com"))  # fmt: skip


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-10-12T06:00:00Z", tick=False):
        yield


@pytest.fixture
def event_type(user):
    return EventTypeFactory(owner=user, slug="intro", duration=60, minimum_notice=0)


def connect(owner_client, server, calendar_url: str, *, meetings: bool = False) -> CalDAVAccount:
    """Connect the account through the Calendars page, tick ``calendar_url`` as busy (and, with
    ``meetings``, as the calendar that receives new meetings)."""
    response = owner_client.post(reverse("accounts:caldav_connect"), {
        "preset": "other", "server_url": server.url, "username": USERNAME, "password": PASSWORD, "name": server.name,
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()
    account = CalDAVAccount.objects.get()
    assert calendar_url in [item["url"] for item in account.calendars]
    owner_client.post(
        reverse("accounts:caldav_busy", args=[account.pk]), {f"caldav-{account.pk}-busy_calendars": [calendar_url]}
    )
    if meetings:
        owner_client.post(reverse("accounts:calendars"), {"meeting_calendar": f"caldav:{account.pk}:{calendar_url}"})
    account.refresh_from_db()
    return account


def times(client, event_type, day: str) -> list[str]:
    return offered_times(client.get(event_type.get_absolute_url(), {"tz": "Europe/Berlin", "date": day}))


def test_events_written_by_another_app_block_the_right_times(owner_client, client, user, event_type, caldav_server):
    work = caldav_server.new_calendar("Work")
    for document in (WEEKLY, ALL_DAY, TRANSPARENT, DECLINED, ACCEPTED):
        caldav_server.store(work, document)
    account = connect(owner_client, caldav_server, work)
    assert account.busy_calendars == [work]

    assert "10:00" not in times(client, event_type, "2026-10-14")  # the series
    assert "10:00" in times(client, event_type, "2026-10-21")  # its occurrence moved away...
    assert "14:00" not in times(client, event_type, "2026-10-21")  # ...to here
    assert "10:00" in times(client, event_type, "2026-10-28")  # cancelled
    assert "10:00" not in times(client, event_type, "2026-11-04")  # after the clocks changed
    assert "11:00" in times(client, event_type, "2026-11-04")
    assert times(client, event_type, "2026-10-15") == []  # all day
    friday = times(client, event_type, "2026-10-16")
    assert "11:00" in friday  # transparent
    assert "14:00" in friday  # declined
    assert "15:00" not in friday  # accepted


def test_a_calendar_not_ticked_does_not_block(owner_client, client, user, event_type, caldav_server):
    work, private = caldav_server.new_calendar("Work"), caldav_server.new_calendar("Private")
    caldav_server.store(private, WEEKLY)
    connect(owner_client, caldav_server, work)
    assert "10:00" in times(client, event_type, "2026-10-14")


def test_bookings_are_written_to_the_chosen_calendar_moved_and_deleted(
    owner_client, user, event_type, caldav_server, committed
):
    meetings = caldav_server.new_calendar("Meetings")
    connect(owner_client, caldav_server, meetings, meetings=True)
    booker = Booker(name="Bea Booker", email="bea@example.org", timezone="UTC")
    with committed():
        booking = book_slot(event_type=event_type, start=datetime(2026, 10, 13, 8, tzinfo=UTC), booker=booker)[0]
    event = Event.objects.get(pk=booking.event_id)
    assert event.caldav_href.startswith(meetings)
    status, body = caldav_server.fetch(event.caldav_href)
    assert status == 200
    assert f"UID:{event.uid}" in body
    assert "DTSTART;TZID=Europe/Berlin:20261013T100000" in body
    assert "ATTENDEE" not in body  # the owner's copy: the server must not invite anyone
    assert "Bea Booker <bea@example.org>" in body.replace("\r\n ", "")

    with committed():
        reschedule_booking(booking=booking, start=datetime(2026, 10, 14, 12, tzinfo=UTC))
    status, body = caldav_server.fetch(event.caldav_href)
    assert "DTSTART;TZID=Europe/Berlin:20261014T140000" in body
    assert caldav_server.names_in(meetings).count(event.caldav_href.rsplit("/", 1)[-1]) == 1

    booking.refresh_from_db()
    with committed():
        cancel_booking(booking=booking, by=Event.By.ATTENDEE)
    assert caldav_server.fetch(event.caldav_href)[0] == 404
    event.refresh_from_db()
    assert event.caldav_href == ""


def test_the_copy_of_a_booking_never_blocks_twice(owner_client, client, user, caldav_server, committed):
    group = EventTypeFactory(owner=user, slug="class", kind="group", seats=3, duration=60, minimum_notice=0)
    meetings = caldav_server.new_calendar("Meetings")
    connect(owner_client, caldav_server, meetings, meetings=True)
    with committed():
        book_slot(event_type=group, start=datetime(2026, 10, 13, 8, tzinfo=UTC),
                  booker=Booker(name="Ann", email="ann@example.org", timezone="UTC"))  # fmt: skip
    assert Event.objects.get().caldav_href  # the copy is on the server, busy there
    page = client.get(group.get_absolute_url(), {"tz": "Europe/Berlin", "date": "2026-10-13"}).content.decode()
    assert "10:00 <span" in page  # still offered: two seats left
    assert "2 left" in page


def test_a_wrong_password_is_said_in_words_and_nothing_is_kept(owner_client, caldav_server):
    response = owner_client.post(reverse("accounts:caldav_connect"), {
        "preset": "other", "server_url": caldav_server.url, "username": USERNAME, "password": "wrong",
    })  # fmt: skip
    assert response.status_code == 400
    assert "refused that username or password" in response.content.decode()
    assert not CalDAVAccount.objects.exists()


def test_the_password_is_stored_encrypted(owner_client, caldav_server):
    connect(owner_client, caldav_server, caldav_server.new_calendar("Work"))
    stored = CalDAVAccount.objects.values_list("password", flat=True).get()
    assert PASSWORD not in stored
    assert stored.startswith("gAAAA")  # a Fernet token


def test_a_copy_edited_in_another_app_is_still_kept_in_step(owner_client, user, event_type, caldav_server, committed):
    meetings = caldav_server.new_calendar("Meetings")
    connect(owner_client, caldav_server, meetings, meetings=True)
    booker = Booker(name="Bea Booker", email="bea@example.org", timezone="UTC")
    with committed():
        booking = book_slot(event_type=event_type, start=datetime(2026, 10, 13, 8, tzinfo=UTC), booker=booker)[0]
    event = Event.objects.get(pk=booking.event_id)
    body = caldav_server.fetch(event.caldav_href)[1]
    edited = body.replace("SUMMARY:", "SUMMARY:(edited on my phone) ", 1).encode()
    caldav_server.store(meetings, edited, name=event.caldav_href.rsplit("/", 1)[-1].removesuffix(".ics"))
    assert caldav_server.fetch(event.caldav_href)[1] != body  # a new ETag there

    with committed():
        reschedule_booking(booking=booking, start=datetime(2026, 10, 14, 12, tzinfo=UTC))
    assert "DTSTART;TZID=Europe/Berlin:20261014T140000" in caldav_server.fetch(event.caldav_href)[1]

    caldav_server.store(meetings, edited, name=event.caldav_href.rsplit("/", 1)[-1].removesuffix(".ics"))
    booking.refresh_from_db()
    with committed():
        cancel_booking(booking=booking, by=Event.By.ATTENDEE)
    assert caldav_server.fetch(event.caldav_href)[0] == 404
