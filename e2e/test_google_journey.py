"""Google Calendar in a real browser, with Google's answers coming from the fake (tests/google_fake.py)."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta

from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import GoogleCalendarConnection
from tests.factories import EventTypeFactory, UserFactory, connect_google
from tests.google_fake import PRIMARY

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def next_weekday(days_ahead: int = 3):
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def test_the_booking_page_hides_a_time_busy_in_google(page, fake_google):
    owner = UserFactory(username="hanna", name="Hanna Host", timezone="Europe/Berlin")
    EventTypeFactory(owner=owner, slug="intro", title="Intro call")
    connect_google(owner)
    day = next_weekday()
    busy_from = datetime.combine(day, time(11), tzinfo=BERLIN)
    fake_google.add_busy(PRIMARY, busy_from, busy_from + timedelta(hours=1))

    page.goto(f"/hanna/intro/?date={day.isoformat()}&tz=Europe/Berlin")

    slots = page.get_by_test_id("slot-list")
    expect(slots.get_by_text("10:30", exact=True)).to_be_visible()
    expect(slots.get_by_text("12:00", exact=True)).to_be_visible()
    expect(slots.get_by_text("11:00", exact=True)).to_have_count(0)
    expect(slots.get_by_text("11:30", exact=True)).to_have_count(0)
    page.screenshot(path="/tmp/google-booking-page.png", full_page=True)


def test_owner_picks_calendars_and_disconnects(page, login, fake_google):
    owner = UserFactory(username="olivia", name="Olivia Owner", timezone="Europe/Berlin")
    connect_google(owner)
    login(owner)

    page.get_by_role("link", name="Profile").first.click()
    page.get_by_role("link", name="Calendar settings").click()
    page.get_by_role("link", name="Google Calendar settings").click()
    expect(page.get_by_role("heading", name="Connected")).to_be_visible()
    page.get_by_label("Team").check()
    page.get_by_label("Add new meetings to").select_option(label="Team")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Your Google Calendar settings were saved.")).to_be_visible()
    page.screenshot(path="/tmp/google-settings.png", full_page=True)
    connection = GoogleCalendarConnection.objects.get(user=owner)
    assert connection.target_calendar != PRIMARY
    assert len(connection.busy_calendars) == 2

    page.get_by_role("button", name="Disconnect Google Calendar").click()
    expect(page.get_by_text("Google Calendar is disconnected.")).to_be_visible()
    expect(page.get_by_role("button", name="Connect Google Calendar")).to_be_visible()
    assert not GoogleCalendarConnection.objects.filter(user=owner).exists()
    page.screenshot(path="/tmp/google-connect.png", full_page=True)
