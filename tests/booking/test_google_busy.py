"""Busy times from the owner's Google Calendar keep booking pages and bookings clear of them."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.google import BUSY_CACHE_SECONDS, FAILURE_BACKOFF_SECONDS
from accounts.models import GoogleCalendarConnection
from booking.models import Booking, EventType
from scheduling.models import Event
from tests.booking.pages import offered_times
from tests.booking.test_public_booking import SLOT, post_booking
from tests.factories import EventTypeFactory, UserFactory, connect_google
from tests.google_fake import PRIMARY, TEAM

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False) as traveller:
        yield traveller


@pytest.fixture
def host(db):
    return UserFactory(username="hanna", email="hanna@example.com", name="Hanna Host", timezone="Europe/Berlin")


@pytest.fixture
def connection(host, fake_google):
    return connect_google(host)


@pytest.fixture
def event_type(host):
    return EventTypeFactory(owner=host, slug="intro", title="Intro call", questions=[])


def day_labels(client, event_type, date="2026-12-02") -> list[str]:
    response = client.get(event_type.get_absolute_url(), {"tz": "Europe/Berlin", "date": date})
    assert response.status_code == 200
    return offered_times(response)


def freebusy_calls(fake_google) -> int:
    return len(fake_google.calls("POST", "/freeBusy"))


def test_a_time_busy_in_google_is_not_offered(client, event_type, connection, fake_google):
    # 10:00–11:00 in Berlin on Wednesday 2 December.
    fake_google.add_busy(PRIMARY, SLOT, SLOT + timedelta(hours=1))

    labels = day_labels(client, event_type)

    assert "09:30" in labels
    assert {"10:00", "10:30"}.isdisjoint(labels)
    assert "11:00" in labels


def test_busy_times_in_calendars_not_chosen_do_not_block(client, event_type, connection, fake_google):
    fake_google.add_busy(TEAM, SLOT, SLOT + timedelta(hours=1))

    assert "10:00" in day_labels(client, event_type)


def test_busy_times_of_every_chosen_calendar_block(client, event_type, host, fake_google):
    connect_google(host, busy_calendars=[PRIMARY, TEAM])
    fake_google.add_busy(TEAM, SLOT, SLOT + timedelta(minutes=30))
    fake_google.add_busy(PRIMARY, SLOT + timedelta(hours=2), SLOT + timedelta(hours=3))

    labels = day_labels(client, event_type)

    assert {"10:00", "12:00", "12:30"}.isdisjoint(labels)
    assert "10:30" in labels


def test_free_busy_answers_are_reused_briefly(client, event_type, connection, fake_google, clock):
    day_labels(client, event_type)
    day_labels(client, event_type)
    assert freebusy_calls(fake_google) == 1

    clock.shift(timedelta(seconds=BUSY_CACHE_SECONDS + 1))
    day_labels(client, event_type)
    assert freebusy_calls(fake_google) == 2


def test_a_time_that_becomes_busy_in_google_leaves_the_cached_page_with_the_next_answer(
    client, host, connection, fake_google, clock
):
    # With 20 minutes' notice, nothing else would change the page for the next ten minutes.
    event_type = EventTypeFactory(owner=host, slug="noticed", minimum_notice=20)
    assert "10:00" in day_labels(client, event_type)
    fake_google.add_busy(PRIMARY, SLOT, SLOT + timedelta(hours=1))
    assert "10:00" in day_labels(client, event_type)  # Google's answer is reused briefly, and so is the page
    clock.shift(timedelta(seconds=BUSY_CACHE_SECONDS + 1))
    assert "10:00" not in day_labels(client, event_type)


def test_booking_asks_google_again_and_refuses_a_time_that_just_became_busy(
    client, event_type, connection, fake_google
):
    assert "10:00" in day_labels(client, event_type)  # cached as free
    fake_google.add_busy(PRIMARY, SLOT, SLOT + timedelta(minutes=30))

    response = post_booking(client, event_type)

    assert response.status_code == 409
    assert "That time was just taken" in response.content.decode()
    assert not Booking.objects.exists()


def test_a_booking_goes_through_when_google_is_free(client, event_type, connection, fake_google):
    assert post_booking(client, event_type).status_code == 302
    assert Booking.objects.count() == 1


def test_when_google_fails_pages_and_bookings_fall_back_to_convene_meetings(
    client, event_type, connection, fake_google, caplog
):
    fake_google.failure = (503, "backendError")
    fake_google.add_busy(PRIMARY, SLOT, SLOT + timedelta(hours=1))

    with caplog.at_level(logging.WARNING, logger="accounts.google"):
        labels = day_labels(client, event_type)

    assert "10:00" in labels
    assert "Google busy times of user" in caplog.text
    connection.refresh_from_db()
    assert connection.problem == GoogleCalendarConnection.Problem.UNAVAILABLE
    assert post_booking(client, event_type).status_code == 302


def test_after_a_failure_pages_stop_asking_google_for_a_while(client, event_type, connection, fake_google, clock):
    fake_google.failure = (429, "rateLimitExceeded")
    day_labels(client, event_type)
    day_labels(client, event_type)
    assert freebusy_calls(fake_google) == 1

    fake_google.failure = None
    clock.shift(timedelta(seconds=FAILURE_BACKOFF_SECONDS + 1))
    day_labels(client, event_type)
    assert freebusy_calls(fake_google) == 2
    connection.refresh_from_db()
    assert connection.problem == ""  # Google answered again: the notice goes


def test_a_revoked_grant_asks_the_owner_to_reconnect_and_stops_calling_google(
    client, event_type, connection, fake_google, clock
):
    fake_google.token_revoked = True

    assert "10:00" in day_labels(client, event_type)

    connection.refresh_from_db()
    assert connection.needs_reconnect
    calls = len(fake_google.requests)
    clock.shift(timedelta(minutes=10))
    assert "10:00" in day_labels(client, event_type)
    assert len(fake_google.requests) == calls


def test_the_owner_is_emailed_once_when_the_grant_is_lost(client, event_type, connection, fake_google, committed):
    fake_google.token_revoked = True

    with committed():
        day_labels(client, event_type)
        day_labels(client, event_type, date="2026-12-03")

    [message] = mail.outbox
    assert message.to == ["hanna@example.com"]
    assert message.subject == "Reconnect Google Calendar to Convene"
    assert "http://testserver/profile/google-calendar/" in message.body


def test_an_expired_access_token_is_refreshed_and_stored(client, event_type, connection, fake_google, clock):
    clock.shift(timedelta(hours=2))  # the stored access token expired an hour ago

    day_labels(client, event_type, date="2026-12-03")

    token = connection.account.socialtoken_set.get()
    assert token.token == "ya29.fresh-access-token"
    assert token.token_secret == "1//stored-refresh-token"


def test_googles_copy_of_a_group_event_does_not_fill_its_seats(client, host, connection, fake_google):
    group = EventTypeFactory(owner=host, slug="workshop", kind=EventType.Kind.GROUP, seats=3, questions=[])
    assert post_booking(client, group, email="one@example.org").status_code == 302
    event = Event.objects.get()
    event.google_event_id, event.google_calendar_id = "convene0001", PRIMARY
    event.save(update_fields=["google_event_id", "google_calendar_id"])
    fake_google.add_busy(PRIMARY, event.start, event.end)  # the copy Convene pushed

    assert post_booking(client, group, email="two@example.org").status_code == 302


def test_a_booking_can_move_onto_its_own_google_copy(client, host, connection, fake_google):
    hour_long = EventTypeFactory(owner=host, slug="hour", duration=60, increment=30, questions=[])
    post_booking(client, hour_long)
    booking = Booking.objects.get()
    booking.event.google_event_id = "convene0002"
    booking.event.save(update_fields=["google_event_id"])
    fake_google.add_busy(PRIMARY, SLOT, SLOT + timedelta(hours=1))  # the copy Convene pushed

    later = SLOT + timedelta(minutes=30)  # overlaps the booking's own time, and only that
    response = client.post(reverse("booking:reschedule", args=[booking.token]), {"start": later.isoformat()})

    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.event.start == datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
