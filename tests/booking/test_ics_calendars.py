"""An ICS link (a published calendar) behind a booking page: subscribed on the Calendars page, read
again by the worker with conditional requests, its busy times blocking the booking page. The link is
served by a local HTTP server started here, never the network."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.urls import reverse

from accounts.models import ICSSubscription
from accounts.tasks import refresh_ics_subscriptions
from tests.booking.pages import offered_times
from tests.factories import EventTypeFactory

pytestmark = pytest.mark.django_db


def calendar(*lines: str) -> bytes:
    body = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Outlook//EN", "BEGIN:VEVENT", "UID:standup@outlook",
            "DTSTAMP:20261001T000000Z", *lines, "END:VEVENT", "END:VCALENDAR"]  # fmt: skip
    return "\r\n".join(body).encode() + b"\r\n"


# Tuesday 13 October 2026, 10:00–11:00 in Berlin (08:00 UTC).
STANDUP = calendar("SUMMARY:Stand-up", "DTSTART:20261013T080000Z", "DTEND:20261013T090000Z")
MOVED = calendar("SUMMARY:Stand-up", "DTSTART:20261013T120000Z", "DTEND:20261013T130000Z")  # 14:00 Berlin


@dataclass
class Feed:
    """What the link answers, and what it was asked."""

    body: bytes = STANDUP
    etag: str = '"v1"'
    requests: list[dict[str, str]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def feed() -> Iterator[Feed]:
    served = Feed()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            served.requests.append(dict(self.headers))
            if self.headers.get("If-None-Match") == served.etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            self.send_header("ETag", served.etag)
            self.send_header("Content-Length", str(len(served.body)))
            self.end_headers()
            self.wfile.write(served.body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    served.url = f"http://127.0.0.1:{server.server_address[1]}/calendar.ics"
    yield served
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel("2026-10-12T06:00:00Z", tick=False) as traveller:
        yield traveller


@pytest.fixture
def event_type(user):
    return EventTypeFactory(owner=user, slug="intro", duration=60, minimum_notice=0)


def times(client, event_type) -> list[str]:
    return offered_times(client.get(event_type.get_absolute_url(), {"tz": "Europe/Berlin", "date": "2026-10-13"}))


def subscribe(owner_client, url: str, name: str = "Work (Outlook)"):
    return owner_client.post(reverse("accounts:ics_subscribe"), {"url": url, "name": name})


def test_a_subscribed_link_blocks_its_busy_times(owner_client, client, event_type, feed):
    assert "10:00" in times(client, event_type)
    assert subscribe(owner_client, feed.url).status_code == 302
    assert "10:00" not in times(client, event_type)
    assert "Work (Outlook)" in owner_client.get(reverse("accounts:calendars")).content.decode()


def test_the_worker_asks_again_conditionally_and_follows_changes(owner_client, client, event_type, feed, clock):
    subscribe(owner_client, feed.url)
    clock.shift(31 * 60)
    refresh_ics_subscriptions.call_local()
    assert feed.requests[-1].get("If-None-Match") == '"v1"'  # answered 304: nothing to read again
    assert "10:00" not in times(client, event_type)

    feed.body, feed.etag = MOVED, '"v2"'
    clock.shift(31 * 60)
    refresh_ics_subscriptions.call_local()
    assert "10:00" in times(client, event_type)
    assert "14:00" not in times(client, event_type)


def test_a_link_that_is_not_a_calendar_is_explained_and_not_kept(owner_client, feed):
    feed.body = b"<!doctype html><title>Sign in to Outlook</title>"
    response = subscribe(owner_client, feed.url)
    assert response.status_code == 400
    assert "The link leads to a web page, not to a calendar file." in response.content.decode()
    assert not ICSSubscription.objects.exists()


def test_a_link_that_breaks_later_keeps_its_busy_times_and_says_why(owner_client, client, event_type, feed, clock):
    subscribe(owner_client, feed.url)
    feed.body, feed.etag = b"BEGIN:VCALENDAR\r\nthis is not", '"v3"'
    clock.shift(31 * 60)
    refresh_ics_subscriptions.call_local()
    subscription = ICSSubscription.objects.get()
    assert "does not lead to a calendar file that can be read" in subscription.last_error
    assert "10:00" not in times(client, event_type)  # the last good answer still counts
    assert (
        "does not lead to a calendar file that can be read"
        in owner_client.get(reverse("accounts:calendars")).content.decode()
    )


def test_a_private_address_is_refused_in_production(owner_client, feed, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    response = subscribe(owner_client, feed.url)
    assert response.status_code == 400
    assert "private or local address" in response.content.decode()
    assert feed.requests == []


def test_turning_a_link_off_frees_its_times(owner_client, client, event_type, feed):
    subscribe(owner_client, feed.url)
    subscription = ICSSubscription.objects.get()
    owner_client.post(reverse("accounts:ics_toggle", args=[subscription.pk]), {})
    assert "10:00" in times(client, event_type)
