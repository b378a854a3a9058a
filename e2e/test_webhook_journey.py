"""An owner subscribes a URL to their bookings, a booker books on the public page, and the
receiver (a local HTTP server) gets the signed event; the owner sees it in the delivery log."""

from __future__ import annotations

import pytest
import standardwebhooks
from playwright.sync_api import expect

from e2e.conftest import field
from e2e.test_booking_journey import booker_page, open_booking_page, pick_first_free_time
from tests.factories import EventTypeFactory, UserFactory
from tests.local_http import Receiver, running


@pytest.fixture
def receiver():
    yield from running(Receiver())


def test_a_booking_reaches_the_owners_webhook_signed_and_shows_in_the_log(page, browser, live_server, login, receiver):
    owner = UserFactory(username="hanna", email="hanna@example.com", name="Hanna Host", timezone="Asia/Tokyo")
    EventTypeFactory(owner=owner, title="Intro call", slug="intro", minimum_notice=0)
    login(owner)
    page.goto("/profile/")
    page.get_by_role("link", name="Webhooks").click()
    field(page, "URL").fill(receiver.url("/convene"))
    field(page, "Description (optional)").fill("CRM")
    page.get_by_label("A booking is made").check()
    page.get_by_role("button", name="Add webhook").click()
    expect(page.get_by_role("heading", name=receiver.url("/convene"))).to_be_visible()
    secret = page.locator("#webhook-secret").input_value()

    booker = booker_page(browser, live_server)
    open_booking_page(booker, "/hanna/intro/")
    pick_first_free_time(booker).click()
    field(booker, "Your name").fill("Bea Booker")
    field(booker, "Email").fill("bea@example.org")
    booker.get_by_role("button", name="Confirm booking").click()
    expect(booker.get_by_role("heading", name="You are booked with Hanna Host")).to_be_visible()

    [(path, headers, body)] = receiver.received
    event = standardwebhooks.Webhook(secret).verify(body, headers)
    assert (path, event["type"], event["data"]["name"]) == ("/convene", "booking.created", "Bea Booker")

    page.reload()
    row = page.get_by_role("row").filter(has_text="booking.created")
    expect(row).to_contain_text("Delivered")
    expect(row).to_contain_text("200")
    page.get_by_role("button", name="Send test event").click()
    expect(page.get_by_role("row").filter(has_text="ping")).to_contain_text("Delivered")
    assert [payload["type"] for payload in receiver.payloads()] == ["booking.created", "ping"]
