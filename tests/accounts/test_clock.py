"""12- or 24-hour clock and the first day of the week follow the person reading (accounts/clock.py):
the owner's profile, a booker's or invitee's browser, an email's recipient."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.clock import Clock
from booking.book import Booker, book_slot
from tests.booking.pages import offered_times
from tests.factories import EventTypeFactory, InvitationFactory, PollFactory, UserFactory

TWELVE = Clock(hour12=True)


@pytest.mark.parametrize(
    ("moment", "on_24", "on_12"),
    [(time(0, 5), "00:05", "12:05 AM"), (time(9, 30), "09:30", "9:30 AM"), (time(12, 0), "12:00", "12:00 PM"),
     (time(23, 59), "23:59", "11:59 PM")],
)  # fmt: skip
def test_times_on_either_clock(moment, on_24, on_12):
    assert Clock().time(moment) == on_24
    assert TWELVE.time(moment) == on_12


def test_weeks_start_on_the_chosen_day():
    sunday_first = Clock(week_start=6)
    assert sunday_first.weekdays[0] == (6, "Sunday")
    assert sunday_first.weeks(2026, 12)[0][0] == datetime(2026, 11, 29).date()  # a Sunday
    assert Clock().weeks(2026, 12)[0][0] == datetime(2026, 11, 30).date()  # a Monday


@pytest.mark.parametrize(
    ("params", "expected"),
    [({}, Clock(True, 6)), ({"clock": "24"}, Clock(False, 6)), ({"clock": "13", "week": "3"}, Clock(True, 6)),
     ({"week": "0"}, Clock(True, 0)), ({"week": "5"}, Clock(True, 5))],
)  # fmt: skip
def test_a_url_asks_for_a_clock_and_bad_values_fall_back(params, expected):
    assert Clock.from_query(params, Clock(True, 6)) == expected


@pytest.fixture
def clock_now():
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
        yield


pytestmark = pytest.mark.django_db


def test_the_owners_pages_use_their_clock(owner_client, user, clock_now):
    user.hour12 = True
    user.save()
    assert "9:00 AM" in owner_client.get(reverse("dashboard")).content.decode()  # 08:00 UTC in Berlin


def test_the_owner_chooses_a_clock_and_a_week_on_the_profile(owner_client, user):
    data = {"name": user.name, "username": user.username, "timezone": user.timezone}
    data.update(hour12="True", week_start="6", answer_notices="digest")
    owner_client.post(reverse("accounts:profile"), data)
    user.refresh_from_db()
    assert (user.hour12, user.week_start) == (True, 6)


def test_the_booking_page_follows_the_bookers_clock_and_week(client, clock_now):
    event_type = EventTypeFactory(owner=UserFactory(username="hanna", timezone="Europe/Berlin"), slug="intro")
    url = event_type.get_absolute_url()
    query = {"tz": "Europe/Berlin", "date": "2026-12-02"}
    twelve = client.get(url, {**query, "clock": "12", "week": "6"})
    assert offered_times(twelve)[:2] == ["9:00 AM", "9:30 AM"]
    assert twelve.content.decode().index('title="Sunday"') < twelve.content.decode().index('title="Monday"')
    assert offered_times(client.get(url, {**query, "clock": "24"}))[:2] == ["09:00", "09:30"]  # cached apart


def test_a_booking_page_starts_on_the_hosts_clock_until_the_browser_says(client, clock_now):
    host = UserFactory(username="sam", timezone="America/New_York", hour12=True, week_start=6)
    event_type = EventTypeFactory(owner=host, slug="chat")
    assert offered_times(client.get(event_type.get_absolute_url(), {"date": "2026-12-02"}))[0] == "9:00 AM"


def test_emails_are_written_on_their_recipients_clock(clock_now, committed):
    host = UserFactory(username="hanna", email="hanna@example.com", timezone="Europe/Berlin")  # 24-hour
    event_type = EventTypeFactory(owner=host, slug="intro")
    booker = Booker(name="Bea", email="bea@example.org", timezone="America/New_York", hour12=True)
    with committed():
        book_slot(event_type=event_type, start=datetime(2026, 12, 2, 14, 0, tzinfo=UTC), booker=booker)
    to_booker = next(message for message in mail.outbox if message.to == ["bea@example.org"])
    to_host = next(message for message in mail.outbox if message.to == ["hanna@example.com"])
    assert "9:00 AM" in to_booker.subject
    assert "9:00 AM" in to_booker.body
    assert "15:00" in to_host.subject
    assert "15:00" in to_host.body


def test_the_invitee_page_follows_their_clock(client, clock_now):
    invitation = InvitationFactory(poll=PollFactory(owner=UserFactory()))
    page = client.get(invitation.get_absolute_url(), {"tz": "Europe/Berlin", "clock": "12"}).content.decode()
    assert "9:00 AM" in page  # the first row of the grid
    assert 'data-label="Monday 7 December, 9:00 AM"' in page


def test_the_calendar_follows_the_owners_clock_and_week(owner_client, user, clock_now):
    from scheduling.models import Event

    user.hour12, user.week_start = True, 6
    user.save()
    Event.objects.create(owner=user, title="Review", start=datetime(2026, 12, 2, 13, tzinfo=UTC),
                         end=datetime(2026, 12, 2, 14, tzinfo=UTC))  # fmt: skip
    week = owner_client.get(reverse("scheduling:calendar_view", args=["week"]), {"date": "2026-12-02"})
    page = week.content.decode()
    assert "2:00 PM–3:00 PM" in page  # 13:00 UTC in Berlin
    assert "New event on Sunday 29 November at 1:00 PM" in page  # the week starts on Sunday
    month = owner_client.get(reverse("scheduling:calendar_view", args=["month"]), {"date": "2026-12-02"})
    assert month.context["weeks"][0][0]["date"].isoformat() == "2026-11-29"
