"""The public pages are cached whole (booking/page.py): what a booker sees must still be what the
database and the clock say, at once, whatever changed and wherever it was changed."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from booking import links
from booking.book import Booker, book_slot
from scheduling.admin import EventAdmin
from scheduling.models import Event
from tests.booking.pages import offered_times
from tests.factories import EventTypeFactory, UserFactory

pytestmark = pytest.mark.django_db

# Tuesday 1 December 2026, 08:00 UTC (09:00 in Berlin, where the host works 09:00–17:00).
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def host(db):
    return UserFactory(username="hanna", name="Hanna Host", timezone="Europe/Berlin")


@pytest.fixture
def event_type(host):
    return EventTypeFactory(owner=host, slug="intro", title="Intro call", minimum_notice=60)


def times(client, event_type, day="2026-12-01", tz="Europe/Berlin"):
    return offered_times(client.get(event_type.get_absolute_url(), {"tz": tz, "date": day}))


def test_a_cached_page_drops_a_time_as_it_comes_within_the_notice(client, event_type, clock):
    assert times(client, event_type)[:2] == ["10:00", "10:30"]  # an hour's notice from 09:00
    clock.move_to(NOW + timedelta(minutes=1))
    assert times(client, event_type)[:2] == ["10:30", "11:00"]


def test_a_cached_partial_drops_it_too(client, event_type, htmx_headers, clock):
    url = event_type.get_absolute_url()
    query = {"tz": "Europe/Berlin", "date": "2026-12-01", "month": "2026-12"}
    assert offered_times(client.get(url, query, headers=htmx_headers("day-slots")))[0] == "10:00"
    clock.move_to(NOW + timedelta(minutes=1))
    assert offered_times(client.get(url, query, headers=htmx_headers("day-slots")))[0] == "10:30"


def test_a_new_day_for_the_host_moves_the_rolling_window(client, host, clock):
    event_type = EventTypeFactory(owner=host, slug="soon", rolling_days=1)
    # A booker in New York, where it is still the same day when it is midnight in Berlin.
    clock.move_to(datetime(2026, 12, 1, 22, 58, tzinfo=UTC))
    assert times(client, event_type, day="2026-12-03", tz="America/New_York") == []  # beyond the host's tomorrow
    clock.move_to(datetime(2026, 12, 1, 23, 0, tzinfo=UTC))
    assert times(client, event_type, day="2026-12-03", tz="America/New_York")[0] == "03:00"


def test_a_booking_takes_its_time_off_every_cached_page_at_once(client, event_type, clock):
    assert "11:00" in times(client, event_type)
    book_slot(
        event_type=event_type, start=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
        booker=Booker(name="Bea", email="bea@example.org", timezone="UTC"),
    )  # fmt: skip
    assert "11:00" not in times(client, event_type)


def test_a_meeting_saved_in_the_admin_blocks_the_cached_page(client, event_type, host, clock):
    assert "11:00" in times(client, event_type)
    meeting = Event(owner=host, title="Dentist", start=NOW + timedelta(hours=2), end=NOW + timedelta(hours=3))
    EventAdmin(Event, admin.site).save_model(RequestFactory().post("/"), meeting, form=None, change=False)
    assert "11:00" not in times(client, event_type)


def test_changing_the_hours_reaches_the_cached_page_at_once(owner_client, client, user, clock):
    event_type = EventTypeFactory(owner=user, slug="hours")
    assert times(client, event_type, day="2026-12-02")
    owner_client.post(reverse("booking:override_add", args=[event_type.schedule.pk]), {"date": "2026-12-02"})
    assert times(client, event_type, day="2026-12-02") == []


def test_a_renamed_host_leaves_their_old_name_free_for_someone_else(owner_client, client, user, clock):
    EventTypeFactory(owner=user, slug="intro", title="Olivia's intro")
    assert client.get("/owner/intro/").status_code == 200
    owner_client.post(reverse("accounts:profile"), {
        "name": user.name, "username": "olivia", "timezone": user.timezone, "answer_notices": "each", "hour12": "False",
        "week_start": "0",
    })  # fmt: skip
    assert client.get("/owner/intro/").status_code == 404
    assert client.get("/owner/").status_code == 404
    assert "Olivia&#x27;s intro" in client.get("/olivia/intro/").content.decode()
    newcomer = UserFactory(username="owner", email="newcomer@example.com", name="New Owner")
    EventTypeFactory(owner=newcomer, slug="intro", title="Newcomer's intro")
    assert "Newcomer&#x27;s intro" in client.get("/owner/intro/").content.decode()
    assert "New Owner" in client.get("/owner/").content.decode()


def test_a_deactivated_host_has_no_pages(client, event_type, host, clock):
    assert client.get("/hanna/").status_code == 200
    host.is_active = False
    host.save()
    assert client.get("/hanna/").status_code == 404
    assert client.get("/hanna/intro/").status_code == 404


def test_the_cached_page_is_the_same_for_a_signed_in_visitor(owner_client, client, user, clock):
    event_type = EventTypeFactory(owner=user, slug="same")
    query = {"tz": "UTC", "date": "2026-12-02"}
    seen_by_owner = owner_client.get(event_type.get_absolute_url(), query)
    seen_by_stranger = client.get(event_type.get_absolute_url(), query)
    assert seen_by_owner.content == seen_by_stranger.content
    assert not seen_by_stranger.cookies  # no CSRF token, no session: nothing to tell visitors apart


def _shape_of(inner_fields) -> str:
    inner = dataclasses.make_dataclass("Inner", inner_fields, frozen=True)
    return links._shape(dataclasses.make_dataclass("Outer", [("inner", tuple[inner, ...] | None)], frozen=True))


def test_the_cache_key_follows_the_shape_of_the_cached_data():
    assert _shape_of([("minutes", int)]) == _shape_of([("minutes", int)])
    assert _shape_of([("minutes", int)]) != _shape_of([("minutes", int), ("seconds", int)])
    assert _shape_of([("minutes", int)]) != _shape_of([("minutes", str)])
