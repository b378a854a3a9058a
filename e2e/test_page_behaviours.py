"""Behaviours declared in markup (static/js/behaviours.js), which replaced inline handlers."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PollFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_choosing_a_zone_redraws_the_poll_in_it_and_a_message_can_be_dismissed(page, login):
    owner = UserFactory(username="olivia", email="olivia@example.com", timezone="Europe/Berlin")
    poll = PollFactory(owner=owner)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(owner)
    page.goto("/profile/")
    page.get_by_role("button", name="Save profile").click()
    flash = page.get_by_role("button", name="Dismiss message")
    expect(flash).to_be_visible()
    flash.click()
    expect(flash).to_have_count(0)
    page.goto(f"/polls/{poll.pk}/")
    page.get_by_label("Shown in").select_option("Asia/Kolkata")
    page.wait_for_url(re.compile(r"tz=Asia%2FKolkata"))
    expect(page.get_by_label("Shown in")).to_have_value("Asia/Kolkata")
    assert errors == []


def test_the_picked_day_and_the_open_bookings_tab_are_marked_current(page, login):
    from e2e.test_booking_journey import open_booking_page
    from tests.factories import EventTypeFactory

    owner = UserFactory(username="olivia", email="olivia@example.com", timezone="Europe/Berlin")
    EventTypeFactory(owner=owner, slug="intro", title="Intro call")
    open_booking_page(page, "/olivia/intro/")
    days = page.locator("a[data-day]")
    days.nth(1).click()
    expect(days.nth(1)).to_have_attribute("aria-current", "date")
    expect(page.locator("a[data-day][aria-current]")).to_have_count(1)

    login(owner)
    page.goto("/booking-links/bookings/")
    page.get_by_role("link", name="Cancelled").click()
    expect(page.get_by_role("link", name="Cancelled")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name="Upcoming")).not_to_have_attribute("aria-current", "page")
    expect(page).to_have_url(re.compile(r"tab=cancelled"))
