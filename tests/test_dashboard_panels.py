"""The dashboard's "Today and next" and "Bookings" panels are kept in each process's memory and
checked against the owner's versions at every read: a booking, a cancellation, a meeting saved in
the calendar or a renamed link shows at the next request, and so does time passing (a meeting
that ends, the day that turns) without any change at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from booking.book import Booker, book_slot, cancel_booking, reschedule_booking
from scheduling.events import save_event
from scheduling.models import Event
from tests.factories import EventTypeFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 8, tzinfo=UTC)  # a Tuesday; 09:00 in Berlin


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def intro(user):
    return EventTypeFactory(owner=user, slug="intro", title="Intro call")


def panels(client) -> tuple[str, str]:
    """The text of the "Today and next" and "Bookings" panels."""
    page = client.get(reverse("dashboard")).content.decode()
    meetings = page[page.index('id="meetings-panel"') :]
    bookings = page[page.index('id="bookings-panel"') :]
    return meetings[: meetings.index("</section>")], bookings[: bookings.index("</section>")]


def book(event_type, start: datetime, name: str = "Bea"):
    booker = Booker(name=name, email=f"{name.lower()}@example.org", timezone="UTC")
    return book_slot(event_type=event_type, start=start, booker=booker)[0]


def test_a_second_visit_reuses_the_panels_and_makes_fewer_queries(owner_client, user, intro, clock):
    book(intro, datetime(2026, 12, 1, 13, tzinfo=UTC))
    with CaptureQueriesContext(connection) as cold:
        owner_client.get(reverse("dashboard"))
    with CaptureQueriesContext(connection) as warm:
        owner_client.get(reverse("dashboard"))
    assert len(warm) == len(cold) - 2  # neither panel asked the database again
    assert len(cold) <= 6


def test_a_booking_and_its_cancellation_show_at_the_next_visit(owner_client, user, intro, clock):
    meetings, bookings = panels(owner_client)
    assert "Nothing else today." in meetings
    assert "No upcoming bookings." in bookings

    booking = book(intro, datetime(2026, 12, 1, 13, tzinfo=UTC))
    meetings, bookings = panels(owner_client)
    assert "Intro call with Bea" in meetings  # 14:00 in Berlin, today
    assert "14:00" in meetings
    assert "Intro call with Bea" in bookings
    assert "Bea booked Intro call" in bookings

    reschedule_booking(booking=booking, start=datetime(2026, 12, 3, 10, tzinfo=UTC))
    meetings, bookings = panels(owner_client)
    assert "Nothing else today." in meetings
    assert "Thu 3 Dec, 11:00" in meetings
    assert "Thu 3 Dec, 11:00" in bookings

    cancel_booking(booking=booking, by=Event.By.ATTENDEE)
    meetings, bookings = panels(owner_client)
    assert "Intro call" not in meetings
    assert "No upcoming bookings." in bookings
    assert "Bea cancelled Intro call" in bookings


def test_a_meeting_saved_in_the_calendar_and_a_renamed_link_show_at_the_next_visit(owner_client, user, intro, clock):
    book(intro, datetime(2026, 12, 2, 13, tzinfo=UTC))
    panels(owner_client)
    save_event(
        event=Event(owner=user, title="Dentist", start=datetime(2026, 12, 1, 15, tzinfo=UTC),
                    end=datetime(2026, 12, 1, 16, tzinfo=UTC), timezone="Europe/Berlin"),
        attendees=[],
    )  # fmt: skip
    intro.title = "First chat"
    intro.save()
    meetings, bookings = panels(owner_client)
    assert "Dentist" in meetings
    assert "First chat with Bea" in bookings


def test_time_passing_ends_meetings_and_turns_the_day_without_any_change(owner_client, user, intro, clock):
    book(intro, datetime(2026, 12, 1, 8, 30, tzinfo=UTC))  # today, 09:30–10:00 in Berlin
    book(intro, datetime(2026, 12, 2, 9, tzinfo=UTC), name="Cy")  # tomorrow, 10:00
    clock.move_to(datetime(2026, 12, 1, 8, 50, tzinfo=UTC))  # each step is well within a panel's lifetime
    meetings, bookings = panels(owner_client)
    today, later = meetings.split("Coming up")
    assert "with Bea" in today
    assert "with Cy" in later
    assert "Intro call with Bea" in bookings

    clock.move_to(datetime(2026, 12, 1, 9, 1, tzinfo=UTC))  # Bea's meeting is over
    meetings, bookings = panels(owner_client)
    assert "with Bea" not in meetings
    assert "Intro call with Bea" not in bookings.split("Latest activity")[0]

    clock.move_to(datetime(2026, 12, 1, 22, 50, tzinfo=UTC))
    meetings, _ = panels(owner_client)
    assert "Nothing else today." in meetings
    clock.move_to(datetime(2026, 12, 1, 23, 1, tzinfo=UTC))  # 00:01 on Wednesday in Berlin
    meetings, _ = panels(owner_client)
    assert "Coming up" not in meetings
    assert "with Cy" in meetings


def test_the_panels_follow_the_owner_to_another_timezone(owner_client, user, clock):
    late = datetime(2026, 12, 1, 22, tzinfo=UTC)  # 23:00 today in Berlin
    save_event(event=Event(owner=user, title="Late call", start=late, end=late + timedelta(minutes=30)), attendees=[])
    meetings, _ = panels(owner_client)
    assert "Late call" in meetings
    assert "Coming up" not in meetings
    user.timezone = "Asia/Tokyo"  # 07:00 tomorrow there
    user.save()
    meetings, _ = panels(owner_client)
    assert "Nothing else today." in meetings
    assert "Wed 2 Dec, 07:00" in meetings
