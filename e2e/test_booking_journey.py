from __future__ import annotations

import re
import zoneinfo
from datetime import datetime
from urllib.parse import parse_qs, urlparse

import icalendar
from django.core import mail
from playwright.sync_api import expect

from booking.models import Booking, EventType
from e2e.conftest import field
from tests.factories import EventTypeFactory, UserFactory

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def slot_start(link) -> datetime:
    return datetime.fromisoformat(parse_qs(urlparse(link.get_attribute("href")).query)["start"][0])


def open_booking_page(page, path: str) -> None:
    page.goto(path)
    # The page switches to the browser's timezone with an htmx swap; wait for it to land.
    page.wait_for_url(re.compile(r"[?&]tz="))
    page.wait_for_load_state("networkidle")


def pick_first_free_time(page):
    page.locator("a[data-day]").first.click()
    expect(page.get_by_test_id("slot-list")).to_be_visible()
    return page.get_by_test_id("slot-list").locator("a, button").first


def booker_page(browser, live_server, *, timezone_id="Asia/Tokyo", locale="ja-JP"):
    context = browser.new_context(timezone_id=timezone_id, locale=locale, base_url=live_server.url)
    return context.new_page()


def test_owner_publishes_a_link_and_a_booker_in_tokyo_books_reschedules_and_cancels(page, browser, live_server, login):
    owner = UserFactory(username="hanna", email="hanna@example.com", name="Hanna Host", timezone="Europe/Berlin")
    login(owner)

    # The owner sets weekly hours and creates a booking link.
    page.get_by_role("link", name="Booking links").first.click()
    page.get_by_role("link", name="Availability").click()
    page.get_by_role("link", name="Edit hours").click()
    page.get_by_label("Saturday").fill("10:00-12:00")
    page.get_by_role("button", name="Save hours").click()
    expect(page.get_by_text("Saved the “Working hours” hours.")).to_be_visible()
    page.get_by_role("link", name="Booking links").first.click()
    page.get_by_role("link", name="New booking link").first.click()
    field(page, "Title").fill("Intro call")
    field(page, "URL slug").fill("intro")
    field(page, "Location").select_option(label="Video link")
    field(page, "Address, phone number or video link").fill("https://meet.example.com/hanna")
    page.get_by_text("More settings").click()
    field(page, "Minimum notice (minutes)").fill("0")
    page.get_by_role("button", name="Save booking link").click()
    expect(page.get_by_role("heading", name="Intro call")).to_be_visible()

    # A booker in Tokyo picks a time on the month calendar.
    booker = booker_page(browser, live_server)
    open_booking_page(booker, "/hanna/intro/")
    expect(booker.locator("#booker-timezone")).to_have_value("Asia/Tokyo")
    slot = pick_first_free_time(booker)
    start = slot_start(slot)
    local = start.astimezone(TOKYO)
    slot.click()
    expect(booker.get_by_test_id("chosen-time")).to_contain_text(f"{local:%H:%M}")
    field(booker, "Your name").fill("Bea Booker")
    field(booker, "Email").fill("bea@example.org")
    booker.get_by_role("button", name="Confirm booking").click()
    expect(booker.get_by_role("heading", name="You are booked with Hanna Host")).to_be_visible()
    expect(booker.get_by_test_id("booking-time")).to_contain_text(f"{local:%A} {local.day} {local:%B %Y, %H:%M}")

    # The confirmation email carries an invitation at the same instant, shown in Tokyo time.
    confirmation = next(m for m in mail.outbox if m.to == ["bea@example.org"])
    assert f"{local:%a %d %b %Y, %H:%M} (Asia/Tokyo)" in confirmation.subject
    invite = icalendar.Calendar.from_ical(
        next(a for a in confirmation.attachments if a.filename == "invite.ics").content
    )
    assert invite.walk("VEVENT")[0].decoded("DTSTART") == start
    manage_link = re.search(r"Reschedule or cancel: (\S+)", confirmation.body).group(1)

    # The owner sees it.
    page.goto("/booking-links/bookings/")
    expect(page.locator("[data-booking]")).to_contain_text("Bea Booker")

    # The booker reschedules from the email link to another day.
    mail.outbox.clear()
    booker.goto(manage_link)
    booker.get_by_role("link", name="Reschedule").click()
    expect(booker.get_by_test_id("rescheduling")).to_be_visible()
    booker.locator("a[data-day]").nth(1).click()
    expect(booker.get_by_test_id("slot-list")).to_be_visible()
    booker.get_by_test_id("slot-list").get_by_role("button").first.click()
    expect(booker.get_by_test_id("booking-time")).to_be_visible()
    booking = Booking.objects.get()
    assert booking.event.start != start
    assert booking.event.sequence == 1
    assert any(message.subject.startswith("Updated:") for message in mail.outbox)
    new_local = booking.event.start.astimezone(zoneinfo.ZoneInfo("Europe/Berlin"))
    page.goto("/booking-links/bookings/")
    expect(page.locator("[data-booking]")).to_contain_text(f"{new_local:%H:%M}")

    # ... and then cancels.
    booker.goto(manage_link)
    booker.get_by_role("link", name="Cancel booking").click()
    field(booker, "Reason (optional)").fill("Plans changed")
    booker.get_by_role("button", name="Cancel the meeting").click()
    expect(booker.get_by_role("heading", name="This meeting was cancelled")).to_be_visible()
    page.goto("/booking-links/bookings/")
    page.get_by_role("link", name="Cancelled").click()
    expect(page.locator("[data-booking]")).to_contain_text("Plans changed")


def test_one_off_link_expires_after_use(browser, live_server, page, login):
    owner = UserFactory(username="solo", timezone="UTC")
    one_off = EventTypeFactory(owner=owner, slug="once", title="Just once", kind=EventType.Kind.ONE_OFF)
    now = datetime.now(zoneinfo.ZoneInfo("UTC")).replace(minute=0, second=0, microsecond=0)
    from datetime import timedelta

    for days in (2, 3):
        one_off.offered_slots.create(start=now + timedelta(days=days))
    booker = booker_page(browser, live_server)
    open_booking_page(booker, "/solo/once/")
    pick_first_free_time(booker).click()
    field(booker, "Your name").fill("First")
    field(booker, "Email").fill("first@example.org")
    booker.get_by_role("button", name="Confirm booking").click()
    expect(booker.get_by_role("heading", name="You are booked with")).to_be_visible()

    booker.goto("/solo/once/")
    expect(booker.get_by_role("heading", name="This link has expired")).to_be_visible()

    # The owner's list says so too, beside the links still open.
    EventTypeFactory(owner=owner, slug="open", title="Still open", kind=EventType.Kind.ONE_OFF)
    login(owner)
    page.goto("/booking-links/")
    expect(page.locator(f"#event-type-{one_off.pk}").get_by_test_id("one-off-state")).to_have_text("Used")
    expect(page.get_by_test_id("one-off-state")).to_have_count(1)


def test_group_event_fills_its_seats(browser, live_server):
    owner = UserFactory(username="teacher", timezone="UTC")
    EventTypeFactory(owner=owner, slug="class", title="Class", kind=EventType.Kind.GROUP, seats=2)
    first_start = None
    for name in ("Ann", "Ben"):
        booker = booker_page(browser, live_server)
        open_booking_page(booker, "/teacher/class/")
        slot = pick_first_free_time(booker)
        first_start = first_start or slot_start(slot)
        assert slot_start(slot) == first_start
        expect(slot).to_contain_text("left")
        slot.click()
        field(booker, "Your name").fill(name)
        field(booker, "Email").fill(f"{name.lower()}@example.org")
        booker.get_by_role("button", name="Confirm booking").click()
        expect(booker.get_by_role("heading", name="You are booked with")).to_be_visible()

    booker = booker_page(browser, live_server)
    open_booking_page(booker, "/teacher/class/")
    slot = pick_first_free_time(booker)
    assert slot_start(slot) != first_start  # the full slot is no longer offered
    assert Booking.objects.filter(event__start=first_start).count() == 2
    # The teacher hears once per booking, with the seats it took and how full the class is.
    to_teacher = [message for message in mail.outbox if message.to == [owner.email]]
    assert [message.subject.split(" — ")[0] for message in to_teacher] == ["New booking: Ann", "New booking: Ben"]
    assert "Seats: 1 for this booking; 1 of 2 taken now" in to_teacher[0].body
    assert "Seats: 1 for this booking; 2 of 2 taken now" in to_teacher[1].body


def test_a_booker_in_new_york_reads_a_12_hour_clock_and_sunday_weeks_and_can_switch(browser, live_server):
    owner = UserFactory(username="berlin", timezone="Europe/Berlin")  # 24-hour, Monday weeks
    EventTypeFactory(owner=owner, slug="chat", title="Chat")
    booker = booker_page(browser, live_server, timezone_id="America/New_York", locale="en-US")
    open_booking_page(booker, "/berlin/chat/")
    expect(booker.locator("thead abbr").first).to_have_attribute("title", "Sunday")
    slot = pick_first_free_time(booker)
    local = slot_start(slot).astimezone(zoneinfo.ZoneInfo("America/New_York"))
    expect(slot).to_have_text(re.compile(rf"^{local.hour % 12 or 12}:{local:%M} (AM|PM)"))

    booker.locator("summary", has_text="Time format").click()
    booker.get_by_label("Clock").select_option("24")
    expect(booker.get_by_test_id("slot-list").locator("a").first).to_have_text(re.compile(r"^\d\d:\d\d"))
    booker.locator("summary", has_text="Time format: 24-hour").click()
    booker.get_by_label("Weeks start on").select_option("0")
    expect(booker.locator("thead abbr").first).to_have_attribute("title", "Monday")
    slot = (
        booker.get_by_test_id("slot-list").locator("a").first
        if booker.get_by_test_id("slot-list").count()
        else pick_first_free_time(booker)
    )
    slot.click()
    expect(booker.get_by_test_id("chosen-time")).to_contain_text(f"{local:%H:%M}")
