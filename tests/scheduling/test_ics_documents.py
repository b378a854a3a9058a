"""What each reader's .ics says: the owner's copies are published (no ATTENDEE), a cancellation
always raises SEQUENCE, and hostile text cannot inject components; each document parses with
icalendar and with vobject."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
import pytest
import time_machine
import vobject
from django.core import mail
from django.urls import reverse

from booking.book import Booker, book_slot
from scheduling.calendar_views import feed_urls
from scheduling.models import Attendee, Event
from tests.calendars import calendar_part
from tests.factories import EventTypeFactory
from tests.scheduling.test_calendar import create, event_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
        yield


def vevents(document: bytes) -> list:
    return icalendar.Calendar.from_ical(document).walk("VEVENT")


def both_parsers(document: bytes) -> int:
    """The number of VEVENTs, read by icalendar and by vobject: they must agree."""
    by_icalendar = len(vevents(document))
    by_vobject = sum(len(c.contents.get("vevent", [])) for c in vobject.readComponents(document.decode()))
    assert by_icalendar == by_vobject
    return by_icalendar


def test_the_hosts_copy_of_a_booking_is_published_without_attendees(user, committed):
    event_type = EventTypeFactory(owner=user, title="Intro call")
    with committed():
        book_slot(event_type=event_type, start=datetime(2026, 12, 2, 9, tzinfo=UTC),
                  booker=Booker(name="Bea", email="bea@example.org", timezone="UTC"))  # fmt: skip
    to_host = next(m for m in mail.outbox if m.to == ["owner@example.com"])
    method, document = calendar_part(to_host)
    assert method == "PUBLISH"
    assert icalendar.Calendar.from_ical(document)["METHOD"] == "PUBLISH"
    assert "ATTENDEE" not in vevents(document)[0]
    to_booker = next(m for m in mail.outbox if m.to == ["bea@example.org"])
    assert calendar_part(to_booker)[0] == "REQUEST"
    assert [str(a) for a in [vevents(calendar_part(to_booker)[1])[0]["ATTENDEE"]]] == ["mailto:bea@example.org"]


def test_a_removed_attendee_gets_a_cancel_with_a_higher_sequence(owner_client, committed):
    with committed():
        create(owner_client, other_attendees="ana@example.org, ben@example.org")
    event = Event.objects.get()
    mail.outbox.clear()
    with committed():
        owner_client.post(
            reverse("scheduling:event_edit", args=[event.pk]), event_data(other_attendees="ana@example.org")
        )
    [to_ben] = mail.outbox
    method, document = calendar_part(to_ben)
    [vevent] = vevents(document)
    assert (method, int(vevent["SEQUENCE"]), str(vevent["STATUS"])) == ("CANCEL", 1, "CANCELLED")
    assert str(vevent["ATTENDEE"]) == "mailto:ben@example.org"


def test_calendar_invitations_offer_add_to_google_calendar(owner_client, committed):
    with committed():
        create(owner_client, other_attendees="ana@example.org", repeat="weekly")
    [invitation] = mail.outbox
    html = next(content for content, mimetype in invitation.alternatives if mimetype == "text/html")
    assert "calendar.google.com/calendar/render" in html
    assert "recur=RRULE" in invitation.body


HOSTILE = "Eve\rEND:VEVENT\rBEGIN:VEVENT\rSUMMARY:Injected\rDTSTART:20261203T090000Z\rEND:VEVENT\rBEGIN:VEVENT"


def test_a_hostile_name_stored_before_validation_cannot_inject_events_into_the_feed(owner_client, client, user):
    # Forms refuse such names now (tests/test_hostile_text.py); rows written before must still be safe.
    create(owner_client, title="Design review")
    Event.objects.update(title=HOSTILE, description=HOSTILE, location="Room\u2028 4")
    response = client.get("/" + feed_urls(user)["https"].split("/", 3)[3])
    assert both_parsers(response.content) == 1
    assert str(vevents(response.content)[0]["SUMMARY"]).startswith("Eve")


def test_a_hostile_booker_name_stored_before_validation_is_safe_in_every_email(user, committed):
    event_type = EventTypeFactory(owner=user, title="Intro call")
    with committed():
        book_slot(event_type=event_type, start=datetime(2026, 12, 2, 9, tzinfo=UTC),
                              booker=Booker(name="Eve\r\nBcc: all@example.org", email="eve@example.org",
                                            timezone="UTC"))  # fmt: skip
    assert len(mail.outbox) == 2  # nothing was lost to a BadHeaderError
    for message in mail.outbox:
        assert "\n" not in message.subject
        assert "\r" not in message.subject
        assert message.bcc == []
        assert both_parsers(calendar_part(message)[1]) == 1
    assert Attendee.objects.get(email="eve@example.org").name.startswith("Eve")
