"""Every email states its times in its reader's zone, and names it (scheduling/recipients.py): a
Convene user's profile; else the zone they answered the poll, RSVP or booking page in; else the
poll's or meeting's own zone. Looking at a page records nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from booking.book import Booker, book_slot
from scheduling.emails import invitation_email
from scheduling.finalize import PlannedMeeting, finalize_poll
from scheduling.models import Attendee, Event, Invitation
from scheduling.reminders import send_due
from tests.factories import EventTypeFactory, InvitationFactory, PollFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_YORK, TOKYO, LOS_ANGELES = "America/New_York", "Asia/Tokyo", "America/Los_Angeles"
# Thursday 10 December 2026, 14:00–15:00 UTC: 15:00 in Berlin (the poll's zone), 09:00 in New York,
# 23:00 in Tokyo, 06:00 in Los Angeles.
START, END = datetime(2026, 12, 10, 14, tzinfo=UTC), datetime(2026, 12, 10, 15, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
        yield


def to(address: str):
    (message,) = [message for message in mail.outbox if message.to == [address]]
    return message


def html(message) -> str:
    return next(content for content, mimetype in message.alternatives if mimetype == "text/html")


def answer_grid(client, invitation, **query):
    """The invitee paints one cell on their page, shown in ``query``'s zone and clock."""
    url = reverse("scheduling:save_invitee_grid", args=[invitation.token])
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    response = client.post(url, {"payload": json.dumps({"cells": {"20261210T0800": 3}})})
    assert response.status_code == 200


def finalize(poll, *invitations):
    return finalize_poll(poll=poll, meetings=[PlannedMeeting(start=START, end=END, invitations=tuple(invitations))])


# --- Poll invitees ---------------------------------------------------------------------------------


@pytest.fixture
def poll(user):
    return PollFactory(owner=user)  # Europe/Berlin, answers by Sat 5 Dec 17:00 UTC


def test_the_outcome_reaches_an_invitee_in_the_zone_and_clock_they_answered_in(client, poll, committed):
    nia = InvitationFactory(poll=poll, name="Nia", email="nia@example.org")
    answer_grid(client, nia, tz=NEW_YORK, clock="12")
    with committed():
        finalize(poll, nia)
    message = to("nia@example.org")
    assert message.subject == f"Invitation: Project kick-off — Thu 10 Dec 2026, 9:00 AM ({NEW_YORK})"
    assert f"Thursday 10 December 2026, 9:00 AM – 10:00 AM ({NEW_YORK})" in message.body
    assert f'9:00 AM – 10:00 AM <span style="color:#64748b;">({NEW_YORK})</span>' in html(message)


def test_a_reminder_to_answer_states_the_deadline_in_the_zone_they_answered_in(client, poll):
    nia = InvitationFactory(poll=poll, name="Nia", email="nia@example.org")
    answer_grid(client, nia, tz=NEW_YORK, clock="24")
    nia.refresh_from_db()
    message = invitation_email(nia, reminder=True)
    assert f"Please answer by: Saturday 5 December 2026, 12:00 ({NEW_YORK})" in message.body


def test_an_invitee_with_an_account_reads_their_profiles_zone_and_clock(client, poll, committed):
    UserFactory(username="taro", email="Taro@Example.org", timezone=TOKYO, hour12=True)
    taro = InvitationFactory(poll=poll, name="Taro", email="taro@example.org")
    answer_grid(client, taro, tz=NEW_YORK, clock="24")  # a trip: their profile still says Tokyo
    assert f"Please answer by: Sunday 6 December 2026, 2:00 AM ({TOKYO})" in invitation_email(taro, reminder=False).body
    with committed():
        finalize(poll, taro)
    message = to("taro@example.org")
    assert message.subject == f"Invitation: Project kick-off — Thu 10 Dec 2026, 11:00 PM ({TOKYO})"
    assert f"11:00 PM – 12:00 AM ({TOKYO})" in message.body


def test_an_invitee_never_seen_in_a_zone_reads_the_polls_zone_named(client, poll, committed):
    owner = poll.owner
    owner.timezone, owner.hour12 = LOS_ANGELES, True  # the organiser's own zone is not the poll's
    owner.save()
    ann = InvitationFactory(poll=poll, name="Ann", email="ann@example.org")
    answer_grid(client, ann)  # a page without a zone in its URL: nothing chosen, nothing recorded
    assert (
        "Please answer by: Saturday 5 December 2026, 6:00 PM (Europe/Berlin)"
        in invitation_email(ann, reminder=False).body
    )
    with committed():
        finalize(poll, ann)
    assert to("ann@example.org").subject == "Invitation: Project kick-off — Thu 10 Dec 2026, 3:00 PM (Europe/Berlin)"
    summary = to(owner.email)  # the organiser's own copy, in their zone
    assert "Thu 10 Dec 2026, 6:00 AM–7:00 AM" in summary.body
    assert f"Times are in {LOS_ANGELES}" in summary.body


def test_each_invitee_of_one_meeting_reads_their_own_zone(client, poll, committed):
    nia = InvitationFactory(poll=poll, name="Nia", email="nia@example.org")
    ann = InvitationFactory(poll=poll, name="Ann", email="ann@example.org")
    answer_grid(client, nia, tz=NEW_YORK, clock="24")
    answer_grid(client, ann)
    with committed():
        finalize(poll, nia, ann)
    assert to("nia@example.org").subject.endswith(f"Thu 10 Dec 2026, 09:00 ({NEW_YORK})")
    assert to("ann@example.org").subject.endswith("Thu 10 Dec 2026, 15:00 (Europe/Berlin)")


def test_declining_from_a_page_in_a_zone_records_it(client, poll):
    nia = InvitationFactory(poll=poll, name="Nia", email="nia@example.org")
    url = reverse("scheduling:decline", args=[nia.token]) + f"?tz={NEW_YORK}&clock=12"
    client.post(url, {"note": "Away"})
    nia.refresh_from_db()
    assert (nia.status, nia.timezone, nia.hour12) == (Invitation.Status.DECLINED, NEW_YORK, True)


def test_the_invitee_page_shown_in_a_zone_sends_its_answers_with_it(client, poll):
    nia = InvitationFactory(poll=poll, name="Nia", email="nia@example.org")
    page = client.get(nia.get_absolute_url(), {"tz": NEW_YORK, "clock": "12"}).content.decode()
    save_url = reverse("scheduling:save_invitee_grid", args=[nia.token])
    assert f'data-save-url="{save_url}?tz=America%2FNew_York&amp;clock=12&amp;week=0"' in page


def test_opening_the_invitee_or_rsvp_page_in_a_zone_writes_nothing(client, poll, owner_client, committed):
    nia = InvitationFactory(poll=poll, name="Nia", email="nia@example.org")
    client.get(nia.get_absolute_url(), {"tz": NEW_YORK, "clock": "12"})
    nia.refresh_from_db()
    assert (nia.timezone, nia.hour12, nia.status) == ("", False, Invitation.Status.PENDING)
    with committed():
        finalize(poll, nia)
    attendee = Attendee.objects.get(email="nia@example.org")
    page = client.get(attendee.get_absolute_url(), {"tz": LOS_ANGELES, "clock": "12", "response": "accepted"})
    assert page.status_code == 200
    attendee.refresh_from_db()
    assert (attendee.timezone, attendee.hour12, attendee.status) == ("", False, Attendee.Status.PENDING)


# --- Calendar attendees and the owner --------------------------------------------------------------


def event_data(**changes):
    data = {
        "title": "Design review", "kind": "meeting", "start": "2026-12-10T15:00", "end": "2026-12-10T16:00",
        "timezone": "Europe/Berlin", "location": "", "description": "", "other_attendees": "ana@example.org",
        "repeat": "", "interval": "1", "ends": "never", "until": "", "count": "",
        "reminder_choices": ["60"], "remind_attendees": "on",
    }  # fmt: skip
    data.update(changes)
    return data


def test_an_attendee_who_rsvped_from_los_angeles_hears_of_changes_and_reminders_in_its_time(
    owner_client, client, committed
):
    with committed():
        owner_client.post(reverse("scheduling:event_create"), event_data())
    event = Event.objects.get()
    ana = event.attendees.get()
    rsvp = reverse("scheduling:rsvp", args=[ana.token]) + f"?tz={LOS_ANGELES}&clock=12"
    with committed():
        client.post(rsvp, {"response": "accepted"})
    ana.refresh_from_db()
    assert (ana.status, ana.timezone, ana.hour12) == (Attendee.Status.ACCEPTED, LOS_ANGELES, True)
    mail.outbox.clear()
    with committed():
        moved = event_data(start="2026-12-10T16:00", end="2026-12-10T17:00")
        owner_client.post(reverse("scheduling:event_edit", args=[event.pk]), moved)
    update = to("ana@example.org")
    assert update.subject == f"Updated: Design review — Thu 10 Dec 2026, 7:00 AM ({LOS_ANGELES})"
    assert f"When: Thu 10 Dec 2026, 7:00 AM ({LOS_ANGELES})" in update.body
    mail.outbox.clear()
    with time_machine.travel("2026-12-10T14:00:30Z", tick=False), committed():
        assert send_due(datetime.now(UTC)) == 1
    assert f"starts Thursday 10 December, 7:00 AM ({LOS_ANGELES})" in to("ana@example.org").body
    assert "starts Thursday 10 December, 16:00 (Europe/Berlin)" in to("owner@example.com").body


def test_the_owners_reminder_is_in_their_zone_not_the_meetings(owner_client, committed):
    with committed():
        owner_client.post(reverse("scheduling:event_create"), event_data(timezone=NEW_YORK, start="2026-12-10T09:00",
                                                                          end="2026-12-10T10:00"))  # fmt: skip
    mail.outbox.clear()
    with time_machine.travel("2026-12-10T13:00:30Z", tick=False), committed():
        send_due(datetime.now(UTC))
    reminder = to("owner@example.com")
    assert reminder.subject == "Reminder: Design review — Thu 10 Dec, 15:00 (Europe/Berlin)"
    assert "15:00 (Europe/Berlin)" in html(reminder)
    assert f"starts Thursday 10 December, 09:00 ({NEW_YORK})" in to("ana@example.org").body


# --- Bookers and hosts -----------------------------------------------------------------------------


@pytest.fixture
def host(db):
    return UserFactory(username="hanna", email="hanna@example.com", timezone="Europe/Berlin")


def book(host, booker: Booker):
    event_type = EventTypeFactory(owner=host, slug="intro")
    book_slot(event_type=event_type, start=datetime(2026, 12, 2, 14, tzinfo=UTC), booker=booker)


def test_a_booker_reads_the_zone_they_booked_in_and_the_host_their_own(host, committed):
    with committed():
        book(host, Booker(name="Bea", email="bea@example.org", timezone=NEW_YORK))
    assert to("bea@example.org").subject.endswith(f"Wed 02 Dec 2026, 09:00 ({NEW_YORK})")
    assert f"When: Wednesday 2 December 2026, 09:00 – 09:30 ({NEW_YORK})" in to("bea@example.org").body
    assert to("hanna@example.com").subject.endswith("Wed 02 Dec 2026, 15:00 (Europe/Berlin)")
    assert "When: Wednesday 2 December 2026, 15:00 – 15:30 (Europe/Berlin)" in to("hanna@example.com").body


def test_a_booker_with_an_account_reads_the_zone_they_chose_for_the_booking(host, committed):
    UserFactory(username="taro", email="taro@example.org", timezone=TOKYO)  # at home in Tokyo
    with committed():
        book(host, Booker(name="Taro", email="taro@example.org", timezone=NEW_YORK, hour12=True))  # travelling
    message = to("taro@example.org")
    assert message.subject.endswith(f"Wed 02 Dec 2026, 9:00 AM ({NEW_YORK})")
    assert f"When: Wednesday 2 December 2026, 9:00 AM – 9:30 AM ({NEW_YORK})" in message.body


def test_finalizing_for_many_looks_up_their_accounts_in_one_query(user, committed):
    """Whose account each invitee has is asked once for the whole dispatch, not once per email."""

    def queries_to_finalize(count: int) -> int:
        poll = PollFactory(owner=user)
        people = [InvitationFactory(poll=poll, email=f"p{n}-{poll.pk}@example.org") for n in range(count)]
        UserFactory(email=people[0].email.upper(), timezone=TOKYO)  # one of them has an account
        with CaptureQueriesContext(connection) as captured, committed():
            finalize(poll, *people)
        assert "(Asia/Tokyo)" in to(people[0].email).body
        by_address = [
            query["sql"] for query in captured
            if query["sql"].startswith("SELECT") and 'FROM "accounts_user"' in query["sql"]
            and '"email"' in query["sql"].partition(" WHERE ")[2]
        ]  # fmt: skip
        return len(by_address)

    assert queries_to_finalize(2) == queries_to_finalize(12) == 1
