"""An owner connects their CalDAV calendar (a real Radicale asking for a password) on the
Calendars page, ticks the calendar that counts, and a booker no longer sees the hour that is busy
there; then meetings go to that calendar."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from accounts.models import CalDAVAccount
from e2e.conftest import field
from tests import caldav_fixtures
from tests.caldav_fixtures import PASSWORD, USERNAME
from tests.factories import EventTypeFactory, UserFactory

authenticated_caldav_servers = caldav_fixtures.authenticated_caldav_servers
radicale_server = caldav_fixtures.radicale_server


def busy_hour(start: datetime) -> bytes:
    stamp = start.strftime("%Y%m%dT%H%M%SZ")
    finish = (start + timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ")
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Another app//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uuid.uuid4()}\r\nDTSTAMP:{stamp}\r\nDTSTART:{stamp}\r\nDTEND:{finish}\r\n"
        "SUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def test_owner_connects_a_caldav_account_and_its_busy_hour_leaves_the_booking_page(
    page, browser, live_server, login, radicale_server
):
    owner = UserFactory(username="carla", name="Carla Host", email="carla@example.com", timezone="UTC")
    EventTypeFactory(owner=owner, slug="chat", title="Chat", duration=60, minimum_notice=0)
    work = radicale_server.new_calendar("Work", color="#3b82f6")
    day = (datetime.now(UTC) + timedelta(days=8)).date()
    while day.weekday() > 3:  # a Monday to Thursday: the factory's hours are weekdays
        day += timedelta(days=1)
    radicale_server.store(work, busy_hour(datetime(day.year, day.month, day.day, 10, tzinfo=UTC)))

    login(owner)
    page.get_by_role("link", name="Profile").first.click()
    page.get_by_role("link", name="Connect a calendar").click()
    page.get_by_label("Provider").select_option("other")
    field(page, "Server address").fill(radicale_server.url)
    field(page, "User name").fill(USERNAME)
    field(page, "App password").fill("not the password")
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(page.get_by_text("The server refused that username or password")).to_be_visible()
    field(page, "App password").fill(PASSWORD)
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(page.get_by_text("Connected 127.0.0.1: 1 calendar found.", exact=False)).to_be_visible()

    account = page.get_by_test_id("caldav-account")
    for box in account.get_by_role("checkbox").all():
        box.uncheck()
    account.get_by_label("Work").last.check()
    account.get_by_role("button", name="Save").click()
    expect(page.get_by_text("count as busy")).to_be_visible()
    page.get_by_label("127.0.0.1: Work").last.check()
    page.get_by_role("button", name="Save").first.click()
    expect(page.get_by_text("New meetings go to 127.0.0.1: Work")).to_be_visible()
    page.screenshot(path="/tmp/calendars-page.png", full_page=True)
    assert CalDAVAccount.objects.get().busy_calendars == [work]

    booker = browser.new_context(timezone_id="UTC", locale="en-GB", base_url=live_server.url).new_page()
    booker.goto(f"/carla/chat/?tz=UTC&clock=24&week=0&date={day.isoformat()}")
    slots = booker.get_by_test_id("slot-list")
    expect(slots).to_contain_text("09:00")
    expect(slots).to_contain_text("11:00")
    expect(slots.get_by_text("10:00", exact=True)).to_have_count(0)
