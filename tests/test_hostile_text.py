"""Text from outsiders (and owners) with line breaks and control characters: single-line fields
refuse it with a message and keep everything else typed; paragraphs keep their line breaks as LF."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from booking.models import Booking
from scheduling.models import Attendee, Event, Invitation
from tests.factories import EventTypeFactory, InvitationFactory, PollFactory, UserFactory
from tests.scheduling.test_calendar import create

pytestmark = pytest.mark.django_db

HOSTILE = {
    "bare CR": "Eve\rEND:VEVENT",
    "LF": "Eve\nBcc: all@example.org",
    "CRLF": "Eve\r\nX-Injected: 1",
    "line separator": "Eve\u2028Mallory",
    "paragraph separator": "Eve\u2029Mallory",
    "vertical tab": "Eve\x0bMallory",
    "NUL": "Eve\x00Mallory",
}
MESSAGES = ("Use a single line, without line breaks or control characters.", "Null characters are not allowed.")


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
        yield


@pytest.fixture
def event_type(db):
    host = UserFactory(username="hanna", email="hanna@example.com")
    return EventTypeFactory(
        owner=host, slug="intro", location_kind="ask",
        questions=[{"label": "Company", "kind": "short", "required": False},
                   {"label": "Agenda", "kind": "long", "required": False}],
    )  # fmt: skip


def post_booking(client, event_type, **fields):
    start = datetime(2026, 12, 2, 9, tzinfo=UTC).isoformat().replace("+", "%2B")
    url = reverse("booking:book", args=[event_type.owner.username, event_type.slug]) + f"?start={start}&tz=UTC"
    data = {"name": "Bea", "email": "bea@example.org", "location": "Café", "question_0": "Acme", "question_1": "",
            **fields}  # fmt: skip
    return client.post(url, data)


def refused(response) -> bool:
    return response.status_code == 200 and any(message in response.content.decode() for message in MESSAGES)


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("field", ["name", "location", "question_0"])
def test_booking_form_single_line_fields_refuse_control_characters(client, event_type, field, value):
    response = post_booking(client, event_type, **{field: value})
    assert refused(response)
    assert not Booking.objects.exists()
    # What else was typed is still there.
    assert 'value="bea@example.org"' in response.content.decode()


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_booking_email_and_guests_refuse_control_characters(client, event_type, value):
    assert post_booking(client, event_type, email=f"bea{value}@example.org").status_code == 200
    assert post_booking(client, event_type, guests=f"gus@example.org, {value}").status_code == 200
    assert not Booking.objects.exists()


def test_a_paragraph_answer_keeps_its_lines_as_lf(client, event_type):
    response = post_booking(client, event_type, question_1="First\r\nSecond\rThird\u2028Fourth\x0b")
    assert response.status_code == 302
    answer = Booking.objects.get().answers[1]["answer"]
    assert answer == "First\nSecond\nThird\nFourth"


def test_a_cancellation_reason_keeps_its_lines_and_loses_control_characters(client, event_type):
    post_booking(client, event_type)
    booking = Booking.objects.get()
    client.post(reverse("booking:cancel", args=[booking.token]), {"reason": "Ill\r\ntoday\x07"})
    booking.refresh_from_db()
    assert booking.cancellation.reason == "Ill\ntoday"


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_rsvp_note_refuses_control_characters(client, owner_client, value):
    create(owner_client, other_attendees="ana@example.org")
    ana = Attendee.objects.get()
    response = client.post(reverse("scheduling:rsvp", args=[ana.token]), {"response": "declined", "note": value})
    assert refused(response)
    assert Attendee.objects.get().status == Attendee.Status.PENDING


def test_decline_note_is_normalised(client, user):
    invitation = InvitationFactory(poll=PollFactory(owner=user, deadline=datetime(2026, 12, 5, tzinfo=UTC)))
    client.post(reverse("scheduling:decline", args=[invitation.token]), {"note": "Away\r\nall\u2029week"})
    assert Invitation.objects.get().decline_note == "Away\nall\nweek"


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_owner_titles_refuse_control_characters(owner_client, value):
    response = create(owner_client, title=value)
    assert refused(response)
    assert not Event.objects.exists()


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_invitee_names_typed_by_the_owner_refuse_control_characters(owner_client, user, value):
    poll = PollFactory(owner=user)
    response = owner_client.post(reverse("scheduling:poll_invite", args=[poll.pk]),
                                 {"name": value, "email": "new@example.org"})  # fmt: skip
    assert not Invitation.objects.exists()
    assert response.status_code in (200, 302)
