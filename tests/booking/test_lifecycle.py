"""A booked meeting has one lifecycle, its Event's: whatever changes it (the booker's link, the
host's booking list, the host's calendar), the booking, the booker's emails, the reminders and
the calendar copies follow. And busy time is every occurrence of every meeting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from booking.book import Booker, SlotUnavailable, book_slot, reschedule_booking
from booking.models import Booking
from scheduling import finalize
from scheduling.models import Attendee, Event, Poll, ReminderSent
from scheduling.poll_pages import PollData
from scheduling.reminders import send_due
from tests.booking.pages import offered_times
from tests.booking.test_public_booking import assert_page_and_partial_queries
from tests.calendars import calendar_part
from tests.factories import EventTypeFactory, InvitationFactory, PollFactory, UserFactory, connect_google
from tests.google_fake import PRIMARY
from tests.scheduling.test_calendar import create, event_data

pytestmark = pytest.mark.django_db

# Wednesday 2 December 2026, 10:00 in Berlin is 09:00 UTC.
WEDNESDAY_10 = datetime(2026, 12, 2, 9, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
        yield


@pytest.fixture
def event_type(user):
    return EventTypeFactory(owner=user, slug="intro", title="Intro call", duration=60)


def day_slots(client, event_type, day="2026-12-02", tz="Europe/Berlin") -> list[str]:
    response = client.get(event_type.get_absolute_url(), {"tz": tz, "date": day})
    return offered_times(response)


def weekly_wednesday_series(owner_client, **changes):
    """A weekly Wednesday 10:00 Berlin series starting 18 November, made in the calendar."""
    fields = {"title": "Team sync", "start": "2026-11-18T10:00", "end": "2026-11-18T11:00", "repeat": "weekly"}
    create(owner_client, **{**fields, **changes})
    return Event.objects.get(title="Team sync")


def book(event_type, start=WEDNESDAY_10, **booker) -> Booking:
    details = {"name": "Bea Booker", "email": "bea@example.org", "timezone": "America/New_York", **booker}
    [booking] = book_slot(event_type=event_type, start=start, booker=Booker(**details))
    return booking


def edit_in_calendar(owner_client, booking, *, start="2026-12-03T14:00", end="2026-12-03T15:00", **changes):
    """The owner saves the booked meeting's calendar form (the booker kept unless told)."""
    data = {"title": booking.event.title, "other_attendees": "bea@example.org", **changes}
    return owner_client.post(
        reverse("scheduling:event_edit", args=[booking.event_id]), event_data(start=start, end=end, **data)
    )


def to(address: str):
    return [message for message in mail.outbox if message.to == [address]]


# --- Busy time is every occurrence ---------------------------------------------------------------


def test_a_weekly_series_blocks_each_week_on_the_booking_page(owner_client, client, event_type):
    weekly_wednesday_series(owner_client)
    assert "10:00" not in day_slots(client, event_type)
    assert "10:00" not in day_slots(client, event_type, day="2026-12-09")
    assert "11:00" in day_slots(client, event_type)


def test_the_recheck_under_the_lock_sees_the_series_too(owner_client, event_type):
    weekly_wednesday_series(owner_client)
    with pytest.raises(SlotUnavailable):
        book(event_type)
    assert not Booking.objects.exists()


def test_a_deleted_occurrence_frees_its_time_and_a_moved_one_blocks_its_new_time(owner_client, client, event_type):
    from scheduling import events as workflows

    series = weekly_wednesday_series(owner_client)
    owner_client.post(
        reverse("scheduling:event_delete", args=[series.pk]), {"scope": "this", "occurrence": "20261202T090000Z"}
    )
    assert "10:00" in day_slots(client, event_type)
    moved = workflows.detach_occurrence(series=series, original=datetime(2026, 12, 9, 9, tzinfo=UTC))
    moved.start, moved.end = datetime(2026, 12, 9, 13, tzinfo=UTC), datetime(2026, 12, 9, 14, tzinfo=UTC)
    workflows.save_event(event=moved, attendees=[])
    assert "10:00" in day_slots(client, event_type, day="2026-12-09")
    assert "14:00" not in day_slots(client, event_type, day="2026-12-09")


def test_a_cancelled_series_blocks_nothing(owner_client, client, event_type):
    series = weekly_wednesday_series(owner_client)
    owner_client.post(reverse("scheduling:event_delete", args=[series.pk]))
    assert "10:00" in day_slots(client, event_type)


def test_series_cost_no_extra_queries_on_the_booking_page(client, user, event_type, django_assert_max_num_queries):
    Event.objects.bulk_create(
        Event(owner=user, title=f"Series {n}", start=datetime(2026, 11, 2 + n % 20, 7 + n % 9, tzinfo=UTC),
              end=datetime(2026, 11, 2 + n % 20, 7 + n % 9, 30, tzinfo=UTC), timezone="Europe/Berlin",
              rrule="FREQ=WEEKLY;INTERVAL=1")
        for n in range(100)
    )  # fmt: skip
    assert_page_and_partial_queries(client, event_type, django_assert_max_num_queries)


def test_finalize_warns_of_a_later_occurrence_of_a_series(owner_client, user):
    weekly_wednesday_series(owner_client, start="2026-11-18T09:30", end="2026-11-18T10:30")
    poll = PollFactory(owner=user)  # 7-11 December, 09:00-12:00 Berlin
    invitation = InvitationFactory(poll=poll, name="Ana")
    start = datetime(2026, 12, 9, 9, tzinfo=UTC)  # Wednesday 9 December, 10:00 Berlin
    preview = finalize.check(
        PollData.load(poll), [finalize.PlannedMeeting(start, start + timedelta(hours=1), (invitation,))], []
    )
    assert "You already have “Team sync” at Wed 09 Dec, 09:30." in preview.warnings


def test_the_poll_grid_marks_series_occurrences_busy(owner_client, user):
    weekly_wednesday_series(owner_client, start="2026-11-18T10:00", end="2026-11-18T11:00")
    poll = PollFactory(owner=user)
    content = owner_client.get(reverse("scheduling:poll_detail", args=[poll.pk]), {"tz": "Europe/Berlin"}).content
    assert 'data-label="Wednesday 9 December, 10:00, busy in your calendar"' in content.decode()
    assert 'data-label="Wednesday 9 December, 11:00, busy in your calendar"' not in content.decode()


# --- Changes made in the calendar run the booking's lifecycle -------------------------------------


def test_deleting_a_booked_meeting_in_the_calendar_cancels_the_booking(owner_client, client, event_type, committed):
    with committed():
        booking = book(event_type)
    mail.outbox.clear()
    with committed():
        owner_client.post(reverse("scheduling:event_delete", args=[booking.event_id]))
    booking.refresh_from_db()
    assert booking.is_cancelled
    assert booking.cancellation.by_host
    [to_booker] = to("bea@example.org")
    assert to_booker.subject.startswith("Cancelled: Intro call with Olivia Owner")
    method, document = calendar_part(to_booker)
    vevent = icalendar.Calendar.from_ical(document).walk("VEVENT")[0]
    assert (method, str(vevent["UID"]), int(vevent["SEQUENCE"])) == ("CANCEL", booking.event.uid, 1)
    page = client.get(reverse("booking:manage", args=[booking.token])).content.decode()
    assert "This meeting was cancelled" in page
    assert "Olivia Owner cancelled it" in page
    assert reverse("booking:reschedule", args=[booking.token]) not in page


def test_no_reminder_for_a_booked_meeting_deleted_in_the_calendar(owner_client, event_type):
    booking = book(event_type)
    owner_client.post(reverse("scheduling:event_delete", args=[booking.event_id]))
    with time_machine.travel(WEDNESDAY_10 - timedelta(days=1), tick=False):
        assert send_due(timezone.now()) == 0


def test_moving_a_booked_meeting_in_the_calendar_updates_the_booker(owner_client, event_type, committed):
    with committed():
        booking = book(event_type)
    mail.outbox.clear()
    with committed():
        edit_in_calendar(owner_client, booking, location=booking.event.location)
    booking.refresh_from_db()
    assert booking.event.start == datetime(2026, 12, 3, 13, tzinfo=UTC)
    assert booking.event.sequence == 1
    [to_booker] = to("bea@example.org")
    assert to_booker.subject.startswith("Updated: Intro call with Olivia Owner is now Thu 03 Dec 2026, 08:00")
    assert "(Olivia Owner changed it)" in to_booker.body
    assert reverse("booking:manage", args=[booking.token]) in to_booker.body
    method, document = calendar_part(to_booker)
    vevent = icalendar.Calendar.from_ical(document).walk("VEVENT")[0]
    assert (method, int(vevent["SEQUENCE"])) == ("REQUEST", 1)
    assert vevent.decoded("DTSTART") == datetime(2026, 12, 3, 13, tzinfo=UTC)


def test_the_reminder_follows_a_meeting_moved_in_the_calendar(owner_client, event_type, committed):
    booking = book(event_type)
    edit_in_calendar(owner_client, booking, reminder_choices=["1440"])
    with time_machine.travel(WEDNESDAY_10 - timedelta(days=1), tick=False), committed():
        assert send_due(timezone.now()) == 0  # the old time's reminder is gone
    with time_machine.travel(datetime(2026, 12, 2, 13, tzinfo=UTC), tick=False), committed():
        assert send_due(timezone.now()) == 1
    assert ReminderSent.objects.get().occurrence_start == datetime(2026, 12, 3, 13, tzinfo=UTC)
    reminders = [m for m in mail.outbox if m.subject.startswith("Reminder:")]
    assert {m.to[0] for m in reminders} == {"bea@example.org", "owner@example.com"}
    assert (
        reverse("booking:manage", args=[booking.token])
        in next(m for m in reminders if m.to == ["bea@example.org"]).body
    )


def test_removing_the_booker_in_the_calendar_cancels_their_booking(owner_client, event_type, committed):
    with committed():
        booking = book(event_type)
    mail.outbox.clear()
    with committed():
        edit_in_calendar(owner_client, booking, start="2026-12-02T10:00", end="2026-12-02T11:00", other_attendees="")
    booking.refresh_from_db()
    assert booking.is_cancelled
    [to_booker] = to("bea@example.org")
    assert calendar_part(to_booker)[0] == "CANCEL"


def test_emails_say_what_was_true_when_the_change_was_made_not_when_the_worker_got_to_them(
    event_type, committed, worker_backlog
):
    """Behind a busy worker, a booking and its reschedule are both still queued: the "Confirmed"
    email keeps the booked time and the "Updated" one the new time, each with its own SEQUENCE."""
    with committed():
        booking = book(event_type)
    with committed():
        reschedule_booking(booking=booking, start=WEDNESDAY_10 + timedelta(days=1))
    assert mail.outbox == []
    assert worker_backlog() > 0
    confirmed, updated = to("bea@example.org")
    assert confirmed.subject == "Confirmed: Intro call with Olivia Owner on Wed 02 Dec 2026, 04:00 (America/New_York)"
    assert updated.subject == "Updated: Intro call with Olivia Owner is now Thu 03 Dec 2026, 04:00 (America/New_York)"
    documents = [icalendar.Calendar.from_ical(calendar_part(m)[1]).walk("VEVENT")[0] for m in (confirmed, updated)]
    assert [d.decoded("DTSTART") for d in documents] == [WEDNESDAY_10, WEDNESDAY_10 + timedelta(days=1)]
    assert [d.get("SEQUENCE") for d in documents] == [0, 1]


# --- Group slots -----------------------------------------------------------------------------------


@pytest.fixture
def group(user):
    return EventTypeFactory(owner=user, slug="workshop", title="Workshop", kind="group", seats=5, duration=60)


def test_a_group_reschedule_moves_the_bookers_whole_party(group, committed):
    with committed():
        bea = book(group, guests=["gus@example.org", "gia@example.org"])
        book(group, name="Cy", email="cy@example.org")
    mail.outbox.clear()
    later = WEDNESDAY_10 + timedelta(hours=3)
    with committed():
        reschedule_booking(booking=bea, start=later)
    bea.refresh_from_db()
    assert bea.event.start == later
    assert sorted(bea.event.attendees.values_list("email", flat=True)) == [
        "bea@example.org", "gia@example.org", "gus@example.org",
    ]  # fmt: skip
    old = Event.objects.get(start=WEDNESDAY_10)
    assert list(old.attendees.values_list("email", flat=True)) == ["cy@example.org"]
    assert old.sequence == 1
    # The party hears of the old slot's end (CANCEL) and of the new one (REQUEST); Cy hears nothing.
    assert [calendar_part(m)[0] for m in to("gus@example.org")] == ["CANCEL", "REQUEST"]
    assert [calendar_part(m)[0] for m in to("bea@example.org")] == ["CANCEL", "REQUEST"]
    assert to("cy@example.org") == []


def test_a_group_bookers_documents_list_their_own_party_only(group, committed):
    with committed():
        book(group, name="Cy", email="cy@example.org")
        book(group, guests=["gus@example.org"])
    document = calendar_part(to("bea@example.org")[-1])[1]
    attendees = [str(a) for a in icalendar.Calendar.from_ical(document).walk("VEVENT")[0].get("ATTENDEE")]
    assert attendees == ["mailto:bea@example.org", "mailto:gus@example.org"]


def test_leaving_a_group_slot_frees_the_party_and_raises_the_sequence(client, group, committed):
    with committed():
        bea = book(group, guests=["gus@example.org"])
        book(group, name="Cy", email="cy@example.org")
    mail.outbox.clear()
    with committed():
        client.post(reverse("booking:cancel", args=[bea.token]), {"reason": "Clash"})
    bea.refresh_from_db()
    assert bea.is_cancelled
    assert bea.cancellation.reason == "Clash"
    event = Event.objects.get()
    assert event.status == Event.Status.CONFIRMED
    assert list(event.attendees.values_list("email", flat=True)) == ["cy@example.org"]
    for email in ("bea@example.org", "gus@example.org"):
        method, document = calendar_part(to(email)[0])
        assert (method, int(icalendar.Calendar.from_ical(document).walk("VEVENT")[0]["SEQUENCE"])) == ("CANCEL", 1)


# --- Side effects once per transaction -------------------------------------------------------------


def test_a_booking_with_three_guests_is_one_calendar_push(user, event_type, fake_google, committed):
    connect_google(user)
    with committed():
        book(event_type, guests=["g1@example.org", "g2@example.org", "g3@example.org"])
    assert len(fake_google.calls("POST", "/events")) == 1
    assert fake_google.calls("PATCH", "/events") == []
    assert fake_google.calls("PUT", "/events") == []
    [copy] = fake_google.events[PRIMARY].values()
    assert len(copy["attendees"]) == 4


def test_each_person_gets_one_email_per_booking(event_type, committed):
    with committed():
        book(event_type, guests=["g1@example.org", "g2@example.org"])
    assert sorted(m.to[0] for m in mail.outbox) == [
        "bea@example.org", "g1@example.org", "g2@example.org", "owner@example.com",
    ]  # fmt: skip


def test_a_rolled_back_workflow_sends_nothing(owner_client, event_type, committed, fake_google, user):
    connect_google(user)
    weekly_wednesday_series(owner_client)
    mail.outbox.clear()
    pushes = len(fake_google.calls("POST", "/events"))
    with committed(), pytest.raises(SlotUnavailable):
        book(event_type)
    assert mail.outbox == []
    assert len(fake_google.calls("POST", "/events")) == pushes


def test_logging_in_keeps_the_cached_booking_page(client, user, event_type, django_assert_max_num_queries):
    client.get(event_type.get_absolute_url(), {"tz": "UTC"})  # cached now
    from tests.factories import PASSWORD

    other = UserFactory()
    assert other.pk
    owner_browser = type(client)()
    assert owner_browser.login(username=user.username, password=PASSWORD)  # saves last_login
    with django_assert_max_num_queries(3):  # the busy times and the bookings; no event type, no rules
        client.get(event_type.get_absolute_url(), {"tz": "UTC"})


def test_renaming_the_owner_refreshes_the_cached_booking_page(owner_client, client, user, event_type):
    client.get(event_type.get_absolute_url(), {"tz": "UTC"})
    data = {"name": "Olivia Renamed", "username": user.username, "timezone": user.timezone, "answer_notices": "each"}
    owner_client.post(reverse("accounts:profile"), {**data, "hour12": "False", "week_start": "0"})
    assert "Olivia Renamed" in client.get(event_type.get_absolute_url(), {"tz": "UTC"}).content.decode()


def test_poll_meetings_and_bookings_keep_their_attendee_rows(user, event_type):
    booking = book(event_type)
    assert booking.attendee == Attendee.objects.get(email="bea@example.org")
    assert Poll.objects.count() == 0


def test_the_host_hears_once_per_group_booking_with_its_seats(group, committed):
    with committed():
        book(group, guests=["gus@example.org", "gia@example.org"])
    [to_host] = to("owner@example.com")
    assert to_host.subject.startswith("New booking: Bea Booker (3 seats) — Workshop")
    assert "Seats: 3 for this booking; 3 of 5 taken now" in to_host.body
