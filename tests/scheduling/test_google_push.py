"""Confirmed meetings of every origin are copied to the owner's Google Calendar, kept in step, removed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from accounts.google_calendar import GoogleUnavailable
from accounts.models import GoogleCalendarConnection
from booking.book import Booker, book_slot, cancel_booking, reschedule_booking
from scheduling import google_sync
from scheduling.finalize import PlannedMeeting, finalize_poll
from scheduling.models import Event
from tests.factories import EventTypeFactory, InvitationFactory, PollFactory, connect_google
from tests.google_fake import PRIMARY, TEAM
from tests.scheduling.test_calendar import create, event_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
        yield


@pytest.fixture
def connection(user, fake_google):
    return connect_google(user)


def copies(fake_google, calendar_id=PRIMARY) -> list[dict]:
    return list(fake_google.events.get(calendar_id, {}).values())


def test_an_event_created_in_convene_is_copied_to_google(owner_client, connection, fake_google, committed):
    with committed():
        create(owner_client, other_attendees="ana@example.org", description="Bring the mock-ups.")

    event = Event.objects.get()
    [copy] = copies(fake_google)
    assert copy["id"] == event.google_event_id == google_sync.google_id_for(event)
    assert event.google_calendar_id == PRIMARY
    assert copy["summary"] == "Design review"
    assert copy["start"] == {"dateTime": "2026-12-03T10:00:00+01:00", "timeZone": "Europe/Berlin", "date": None}
    assert copy["end"]["dateTime"] == "2026-12-03T11:00:00+01:00"
    assert copy["location"] == "Room 4"
    assert copy["attendees"] == [{"email": "ana@example.org", "displayName": ""}]
    assert copy["iCalUID"] == event.uid
    assert copy["description"] == f"Bring the mock-ups.\n\nOpen in Convene: http://testserver{event.get_absolute_url()}"
    [insert] = fake_google.calls("POST", "/events")
    assert insert.query["sendUpdates"] == ["none"]  # Convene emails the attendees itself


def test_meetings_go_to_the_calendar_the_owner_chose(owner_client, user, fake_google, committed):
    connect_google(user, target_calendar=TEAM)

    with committed():
        create(owner_client)

    assert len(copies(fake_google, TEAM)) == 1
    assert copies(fake_google) == []


def test_nothing_is_copied_when_the_owner_keeps_meetings_out_of_google(owner_client, user, fake_google, committed):
    connect_google(user, target_calendar="")

    with committed():
        create(owner_client)

    assert fake_google.requests == []


def test_nothing_is_copied_without_a_connection(owner_client, fake_google, committed):
    with committed():
        create(owner_client)

    assert fake_google.requests == []


def test_editing_an_event_updates_its_copy(owner_client, connection, fake_google, committed):
    with committed():
        create(owner_client)
    event = Event.objects.get()

    with committed():
        owner_client.post(
            reverse("scheduling:event_edit", args=[event.pk]),
            event_data(start="2026-12-03T15:00", end="2026-12-03T16:30", title="Design review (moved)"),
        )

    [copy] = copies(fake_google)
    assert copy["summary"] == "Design review (moved)"
    assert copy["start"]["dateTime"] == "2026-12-03T15:00:00+01:00"
    assert len(fake_google.calls("PATCH", "/events/")) == 1


def test_deleting_an_event_deletes_its_copy(owner_client, connection, fake_google, committed):
    with committed():
        create(owner_client)
    event = Event.objects.get()

    with committed():
        owner_client.post(reverse("scheduling:event_delete", args=[event.pk]))

    assert copies(fake_google) == []
    event.refresh_from_db()
    assert (event.status, event.google_event_id) == (Event.Status.CANCELLED, "")


def test_a_weekly_series_is_one_recurring_copy_and_a_deleted_occurrence_an_exception(
    owner_client, connection, fake_google, committed
):
    with committed():
        create(owner_client, title="Standup", start="2027-03-01T09:00", end="2027-03-01T09:30",
               timezone="America/New_York", repeat="weekly", ends="after", count="4")  # fmt: skip
    series = Event.objects.get()
    [copy] = copies(fake_google)
    assert copy["recurrence"] == ["RRULE:FREQ=WEEKLY;INTERVAL=1;COUNT=4"]
    assert copy["start"]["timeZone"] == "America/New_York"  # Google keeps 09:00 across DST

    with committed():
        owner_client.post(reverse("scheduling:event_delete", args=[series.pk]),
                          {"scope": "this", "occurrence": "20270308T140000Z"})  # fmt: skip

    [copy] = copies(fake_google)
    assert copy["recurrence"] == ["RRULE:FREQ=WEEKLY;INTERVAL=1;COUNT=4", "EXDATE:20270308T140000Z"]


def test_a_booking_is_copied_rescheduled_and_removed(user, connection, fake_google, committed):
    event_type = EventTypeFactory(owner=user, slug="intro", title="Intro call")
    start = datetime(2026, 12, 2, 9, tzinfo=UTC)

    with committed():
        [booking] = book_slot(
            event_type=event_type,
            start=start,
            booker=Booker(name="Bea Booker", email="bea@example.org", timezone="UTC"),
        )
    [copy] = copies(fake_google)
    assert copy["summary"] == "Intro call with Bea Booker"
    assert copy["attendees"] == [{"email": "bea@example.org", "displayName": "Bea Booker"}]

    with committed():
        reschedule_booking(booking=booking, start=start + timedelta(hours=2))
    [copy] = copies(fake_google)
    assert copy["start"]["dateTime"] == "2026-12-02T12:00:00+01:00"

    booking.refresh_from_db()
    with committed():
        cancel_booking(booking=booking, by="booker")
    assert copies(fake_google) == []


def test_a_finalized_poll_meeting_is_copied(user, connection, fake_google, committed):
    poll = PollFactory(owner=user, title="Kick-off")
    ann = InvitationFactory(poll=poll, name="Ann", email="ann@example.org")
    start = datetime(2026, 12, 7, 8, tzinfo=UTC)

    with committed():
        finalize_poll(
            poll=poll, meetings=[PlannedMeeting(start=start, end=start + timedelta(hours=1), invitations=(ann,))]
        )

    [copy] = copies(fake_google)
    assert copy["summary"] == "Kick-off"
    assert copy["attendees"] == [{"email": "ann@example.org", "displayName": "Ann"}]


def test_google_down_raises_for_the_task_to_retry_and_a_retry_copies_once(owner_client, connection, fake_google):
    create(owner_client)  # on-commit tasks do not run: the test calls the sync itself
    event = Event.objects.get()
    fake_google.failure = (503, "backendError")

    with pytest.raises(GoogleUnavailable):
        google_sync.sync_event(event.pk)

    fake_google.failure = None
    google_sync.sync_event(event.pk)
    assert len(copies(fake_google)) == 1


def test_two_pushes_racing_to_create_the_copy_make_one(owner_client, connection, fake_google):
    create(owner_client)
    event = Event.objects.get()
    google_sync.sync_event(event.pk)
    Event.objects.filter(pk=event.pk).update(google_event_id="")  # the other task read the event before

    google_sync.sync_event(event.pk)

    assert len(copies(fake_google)) == 1
    event.refresh_from_db()
    assert event.google_event_id == google_sync.google_id_for(event)


def test_the_copy_gmail_made_from_the_invitation_is_adopted(owner_client, connection, fake_google):
    create(owner_client)
    event = Event.objects.get()
    fake_google.events[PRIMARY] = {"gmailcopy": {"id": "gmailcopy", "iCalUID": event.uid, "summary": "Invitation"}}

    google_sync.sync_event(event.pk)

    [copy] = copies(fake_google)
    assert (copy["id"], copy["summary"]) == ("gmailcopy", "Design review")
    event.refresh_from_db()
    assert event.google_event_id == "gmailcopy"


def test_a_copy_deleted_in_google_is_made_again_when_the_meeting_changes(owner_client, connection, fake_google):
    create(owner_client)
    event = Event.objects.get()
    google_sync.sync_event(event.pk)
    fake_google.events[PRIMARY].clear()

    google_sync.sync_event(event.pk)

    assert len(copies(fake_google)) == 1


def test_a_revoked_grant_is_not_retried_and_reconnecting_copies_what_was_missed(
    owner_client, user, connection, fake_google, committed
):
    fake_google.token_revoked = True
    connection.account.socialtoken_set.update(expires_at=datetime(2026, 11, 30, tzinfo=UTC))
    with committed():
        create(owner_client)
    connection.refresh_from_db()
    assert connection.needs_reconnect
    assert copies(fake_google) == []

    fake_google.token_revoked = False
    connection.account.socialtoken_set.update(token="ya29.new", expires_at=datetime(2026, 12, 2, tzinfo=UTC))
    with committed():
        connection.problem = GoogleCalendarConnection.Problem.NONE
        connection.save()  # what reconnecting does (accounts.google.connect_from_login)

    assert len(copies(fake_google)) == 1


def test_changes_made_while_google_was_unreachable_reach_it_after_reconnecting(
    owner_client, user, connection, fake_google, committed
):
    with committed():
        create(owner_client, title="Moved later")
        create(owner_client, title="Cancelled later", start="2026-12-04T10:00", end="2026-12-04T11:00")
    moved, cancelled = Event.objects.order_by("start")
    connection.problem = GoogleCalendarConnection.Problem.RECONNECT
    connection.save(update_fields=["problem"])
    with committed():
        moved_later = event_data(title="Moved later", start="2026-12-03T15:00", end="2026-12-03T16:00")
        owner_client.post(reverse("scheduling:event_edit", args=[moved.pk]), moved_later)
        owner_client.post(reverse("scheduling:event_delete", args=[cancelled.pk]))
    assert len(copies(fake_google)) == 2  # Google still shows the old state

    with committed():
        connection.problem = GoogleCalendarConnection.Problem.NONE
        connection.save()  # what reconnecting does

    [copy] = copies(fake_google)
    assert copy["start"]["dateTime"] == "2026-12-03T15:00:00+01:00"


def test_a_second_seat_on_a_group_event_joins_the_copys_guest_list(user, connection, fake_google, committed):
    group = EventTypeFactory(owner=user, slug="workshop", kind="group", seats=3)
    start = datetime(2026, 12, 2, 9, tzinfo=UTC)
    for name in ("Ann", "Ben"):
        with committed():
            book_slot(event_type=group, start=start,
                      booker=Booker(name=name, email=f"{name.lower()}@example.org", timezone="UTC"))  # fmt: skip

    [copy] = copies(fake_google)
    assert [guest["email"] for guest in copy["attendees"]] == ["ann@example.org", "ben@example.org"]


def test_the_hourly_repair_pushes_what_a_task_gave_up_on(owner_client, connection, fake_google):
    from scheduling.tasks import repair_google_copies

    create(owner_client)  # its push never ran (think: six retries during a long outage)
    fake_google.failure = (503, "backendError")
    assert repair_google_copies.call_local() == 0

    fake_google.failure = None
    assert repair_google_copies.call_local() == 1
    assert len(copies(fake_google)) == 1
    calls = len(fake_google.requests)
    assert repair_google_copies.call_local() == 0  # in step now: Google is not asked again
    assert len(fake_google.requests) == calls
