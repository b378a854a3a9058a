"""The subscription feed as calendar apps poll it: conditional requests, HEAD, refresh hints, and
links on the site's public address."""

from __future__ import annotations

import icalendar
import pytest
import time_machine
from django.urls import reverse

from scheduling.calendar_views import feed_urls
from scheduling.models import Event
from tests.scheduling.test_calendar import create, event_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
        yield


@pytest.fixture
def feed_path(owner_client, user):
    create(owner_client, title="Design review")
    return "/" + feed_urls(user)["https"].split("/", 3)[3]


def test_links_use_the_sites_address_in_both_forms(user, settings):
    settings.SITE_URL = "https://convene.example.com"
    links = feed_urls(user)
    assert links["https"].startswith("https://convene.example.com/calendar/feed/")
    assert links["webcal"] == "webcal://" + links["https"].removeprefix("https://")


def test_profile_shows_the_links_on_the_sites_address(owner_client, settings):
    settings.SITE_URL = "https://convene.example.com"
    page = owner_client.get(reverse("accounts:profile"), HTTP_HOST="internal:8000").content.decode()
    assert "webcal://convene.example.com/calendar/feed/" in page
    assert "internal:8000" not in page


def test_the_feed_tells_clients_how_often_to_refresh(client, feed_path):
    calendar = icalendar.Calendar.from_ical(client.get(feed_path).content)
    assert calendar["REFRESH-INTERVAL"].to_ical() == b"PT1H"
    assert calendar["X-PUBLISHED-TTL"].to_ical() == b"PT1H"
    assert calendar["METHOD"] == "PUBLISH"


def test_an_unchanged_feed_answers_304_to_its_etag_and_date(client, feed_path):
    first = client.get(feed_path)
    assert first.status_code == 200
    assert client.get(feed_path, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert client.get(feed_path, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304


def test_a_change_gives_a_new_etag(owner_client, client, feed_path):
    first = client.get(feed_path)
    event = Event.objects.get()
    with time_machine.travel("2026-12-01T09:00:00Z", tick=False):
        owner_client.post(reverse("scheduling:event_edit", args=[event.pk]), event_data(title="Moved review"))
        changed = client.get(feed_path, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
    assert b"Moved review" in changed.content


def test_a_deleted_meeting_changes_the_feed_too(owner_client, client, feed_path):
    first = client.get(feed_path)
    with time_machine.travel("2026-12-01T09:00:00Z", tick=False):
        owner_client.post(reverse("scheduling:event_delete", args=[Event.objects.get().pk]))
        changed = client.get(feed_path, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert icalendar.Calendar.from_ical(changed.content).walk("VEVENT") == []


def test_head_answers_the_headers_without_the_body(client, feed_path):
    whole = client.get(feed_path)
    head = client.head(feed_path)
    assert head.status_code == 200
    assert head.content == b""
    assert head["ETag"] == whole["ETag"]
    assert head["Content-Length"] == str(len(whole.content))
    assert head["Content-Type"] == "text/calendar; charset=utf-8"


def test_other_methods_are_refused(client, feed_path):
    assert client.post(feed_path).status_code == 405
