"""An owner with many bookings finds one: the list comes a page at a time, the search and the link
filter narrow it as they type (htmx) and keep themselves in the address, and the same filters
work as a plain form with JavaScript off."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from scheduling.models import Event
from tests.factories import EventTypeFactory, UserFactory, bulk_booked


def many_bookings(owner) -> None:
    intro = EventTypeFactory(owner=owner, slug="intro", title="Intro call")
    demo = EventTypeFactory(owner=owner, slug="demo", title="Demo")
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    events = Event.objects.bulk_create(
        Event(owner=owner, title="Booked", origin="booking", start=start + timedelta(hours=2 * n),
              end=start + timedelta(hours=2 * n, minutes=30))
        for n in range(60)
    )  # fmt: skip
    bulk_booked(intro, events[:50], email="bea@example.org")
    bulk_booked(demo, events[50:], email="cy@example.org")


def test_finding_a_booking_among_many(page, login, live_server):
    owner = UserFactory(username="busy", timezone="UTC")
    many_bookings(owner)
    login(owner)
    page.goto("/booking-links/bookings/")
    expect(page.get_by_test_id("booking-count")).to_have_text("60 bookings · page 1 of 3")
    expect(page.locator("[data-booking]")).to_have_count(25)
    page.get_by_role("link", name="Later →").click()
    expect(page.get_by_test_id("booking-count")).to_contain_text("page 2 of 3")

    with page.expect_response(re.compile(r"q=cy")):
        page.get_by_label("Booker’s name or email").fill("cy")
    expect(page.locator("[data-booking]")).to_have_count(10)
    expect(page).to_have_url(re.compile(r"q=cy"))
    page.screenshot(path="test-results/bookings-filtered.png", full_page=True)

    with page.expect_response(re.compile(r"link=")):
        page.get_by_label("Booking link").select_option(label="Intro call")
    expect(page.get_by_text("No bookings match.")).to_be_visible()
    page.reload()  # the filters are in the address: a reload keeps them
    expect(page.get_by_label("Booker’s name or email")).to_have_value("cy")
    expect(page.get_by_text("No bookings match.")).to_be_visible()


def test_the_filters_work_without_javascript(browser, live_server):
    from tests.factories import PASSWORD

    owner = UserFactory(username="nojs", timezone="UTC")
    many_bookings(owner)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username or email").fill("nojs")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.goto("/booking-links/bookings/")
    page.get_by_label("Booker’s name or email").fill("bea")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"q=bea"))
    expect(page.get_by_test_id("booking-count")).to_have_text("50 bookings · page 1 of 2")
    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(path="test-results/bookings-375.png", full_page=True)
    context.close()
