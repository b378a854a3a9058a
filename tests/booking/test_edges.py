"""What hand-made URLs and stale pages do at the edges of the public booking pages: a date the
pages cannot compute with is malformed (400 or ignored), never a 500; a change sent from a page
that no longer shows the booking as it is (another tab moved or cancelled it) is a 409 that
changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from booking.book import reschedule_booking
from tests.booking.test_lifecycle import WEDNESDAY_10, book
from tests.factories import EventTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
        yield


@pytest.fixture
def link(user):
    return EventTypeFactory(owner=user, slug="intro", title="Intro call", duration=60)


@pytest.fixture
def booking(link):
    return book(link, timezone="UTC")


@pytest.mark.parametrize("start", ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+00:00", "2026-12-02T09:00"])
def test_a_start_out_of_range_or_without_offset_is_a_malformed_link(client, link, start):
    response = client.get(reverse("booking:book", args=["owner", "intro"]), {"start": start, "tz": "UTC"})
    assert response.status_code == 400
    assert "The meeting time is missing or malformed" in response.content.decode()


@pytest.mark.parametrize(("name", "value"), [("month", "9999-12"), ("month", "0001-01"), ("date", "9999-12-31"),
                                             ("date", "0001-01-01"), ("month", "2026-13")])  # fmt: skip
def test_a_month_or_day_out_of_range_shows_the_current_month(client, link, name, value):
    response = client.get(link.get_absolute_url(), {name: value, "tz": "UTC"})
    assert response.status_code == 200
    assert "December 2026" in response.content.decode()


def test_the_calendar_ignores_a_day_it_cannot_show(owner_client):
    assert (
        owner_client.get(reverse("scheduling:calendar_view", args=["month"]), {"date": "9999-12-31"}).status_code == 200
    )
    assert owner_client.get(reverse("scheduling:event_create"), {"start": "9999-12-31T23:30"}).status_code == 200


def test_a_reschedule_to_a_time_out_of_range_is_a_400(client, booking):
    response = client.post(reverse("booking:reschedule", args=[booking.token]), {"start": "9999-12-31T23:59:59+00:00"})
    assert response.status_code == 400


def test_a_cancel_sent_from_a_page_showing_the_old_time_changes_nothing(client, booking, committed):
    seen = booking.version
    reschedule_booking(booking=booking, start=WEDNESDAY_10 + timedelta(hours=2))  # the other tab
    response = client.post(reverse("booking:cancel", args=[booking.token]), {"seen": seen, "reason": "Late"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "This booking was just changed" in page
    assert "Wednesday 2 December 2026, 11:00" in page  # how it stands now
    booking.refresh_from_db()
    assert not booking.is_cancelled


def test_a_second_cancel_from_another_tab_is_told_it_changed(client, booking):
    cancel_url = reverse("booking:cancel", args=[booking.token])
    seen = booking.version
    assert client.post(cancel_url, {"seen": seen}).status_code == 302
    response = client.post(cancel_url, {"seen": seen})
    assert response.status_code == 409
    assert "The meeting is now" in response.content.decode()


def test_a_new_time_chosen_on_a_page_showing_the_old_one_is_refused(client, booking):
    seen = booking.version
    reschedule_booking(booking=booking, start=WEDNESDAY_10 + timedelta(hours=2))
    response = client.post(reverse("booking:reschedule", args=[booking.token]),
                           {"seen": seen, "start": (WEDNESDAY_10 + timedelta(hours=4)).isoformat()})  # fmt: skip
    assert response.status_code == 409
    booking.refresh_from_db()
    assert booking.event.start == WEDNESDAY_10 + timedelta(hours=2)


def test_the_pages_send_the_version_they_show(client, booking):
    cancel_page = client.get(reverse("booking:cancel", args=[booking.token])).content.decode()
    assert f'name="seen" value="{booking.version}"' in cancel_page
    reschedule_page = client.get(reverse("booking:reschedule", args=[booking.token]),
                                 {"tz": "UTC", "date": "2026-12-03"}).content.decode()  # fmt: skip
    assert f'name="seen" value="{booking.version}"' in reschedule_page


def test_a_cancel_from_a_page_made_before_versions_still_works(client, booking):
    assert client.post(reverse("booking:cancel", args=[booking.token]), {"reason": ""}).status_code == 302
    booking.refresh_from_db()
    assert booking.is_cancelled


def test_a_cancel_sent_after_the_meeting_started_is_closed_not_changed(client, booking):
    seen = booking.version
    with time_machine.travel("2026-12-02T09:30:00Z"):  # it started while the page was open
        response = client.post(reverse("booking:cancel", args=[booking.token]), {"seen": seen})
    assert response.status_code == 410
