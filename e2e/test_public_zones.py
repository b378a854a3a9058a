"""Each public page names one timezone, the one its times are shown in, also after the viewer
switches zone on it (issue 18).

The host is in Berlin; the browser is in Los Angeles, Kolkata (+05:30) or Lord Howe (+10:30, and
+11 in its summer: a half-hour clock change). On each page the zone named, wherever a reader sees
it (text, or the zone field of the switcher), is one zone, and a known meeting or slot is shown at
its wall-clock time in that zone, worked out here with zoneinfo.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime, time, timedelta
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts import teams
from accounts.timezones import canonical_timezone, known_timezones
from booking.book import Booker, book_slot
from booking.models import TeamHost
from scheduling import events, options, participants, polls
from scheduling.finalize import PlannedMeeting, finalize_poll
from scheduling.models import Event, Poll
from tests.factories import EventTypeFactory, PollFactory, ScheduleFactory, UserFactory

# What is checked here does not depend on the database engine: CI runs it once, on SQLite.
pytestmark = pytest.mark.engine_neutral

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
BROWSER_ZONES = ("America/Los_Angeles", "Asia/Kolkata", "Australia/Lord_Howe")

# Any zone's name as a reader may see it: "America/Los_Angeles", or "America/Los Angeles" in a
# picker's label. Longest first, so "America/Indiana/Indianapolis" is not read as a shorter one.
ZONE_NAME = re.compile(
    r"(?<![\w/])("
    + "|".join(re.escape(name).replace("_", "[_ ]") for name in sorted(known_timezones(), key=len, reverse=True))
    + r")(?![\w/])"
)

# What a reader sees: the text of every visible element (screen-reader text too) but the lists
# of a picker, and the value of every visible field.
SEEN_TEXT = """() => {
    const texts = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const element = walker.currentNode.parentElement;
        if (element.closest("select, datalist, script, style, template, noscript")) continue;
        if (element.checkVisibility()) texts.push(walker.currentNode.textContent);
    }
    for (const field of document.querySelectorAll("input:not([type=hidden]), select")) {
        if (field.checkVisibility()) texts.push(field.value);
    }
    return texts;
}"""


@pytest.fixture(params=BROWSER_ZONES)
def browser_timezone_id(request) -> str:
    return request.param


@pytest.fixture
def browser_context_args(browser_context_args, browser_timezone_id):
    # A 24-hour clock with weeks from Monday, like the host's: only the zone differs.
    return {**browser_context_args, "timezone_id": browser_timezone_id, "locale": "en-GB"}


@pytest.fixture
def browser_zone(page) -> str:
    """The browser's zone under its current IANA name, which the pages take: Chromium says
    "Asia/Calcutta" for Asia/Kolkata, the pages say Asia/Kolkata."""
    return canonical_timezone(page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone"))


def berlin(day, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=BERLIN)


@pytest.fixture
def host(live_server):
    return UserFactory(username="hanna", email="hanna@example.com", name="Hanna Host", timezone="Europe/Berlin")


@pytest.fixture
def day(host):
    """The day everything is on: ten days on, so it is the same date in every zone here."""
    return timezone.now().astimezone(BERLIN).date() + timedelta(days=10)


@pytest.fixture
def bookable(host, day):
    """A booking link (booked once, by someone in New York) and a team link, open every day."""
    every_day = [(weekday, time(8), time(20)) for weekday in range(7)]
    schedule = ScheduleFactory(owner=host, is_default=True, hours=every_day)
    link = EventTypeFactory(owner=host, slug="intro", title="Intro call", schedule=schedule)
    booker = Booker(name="Bea Booker", email="bea@example.org", timezone="America/New_York")
    (booking,) = book_slot(event_type=link, start=berlin(day, 12), booker=booker)
    team = teams.create_team(user=host, name="Sales", slug="sales")
    demo = EventTypeFactory(owner=host, team=team, hosting="round_robin", slug="demo", schedule=schedule)
    TeamHost.objects.create(event_type=demo, user=host)
    return SimpleNamespace(link=link, demo=demo, booking=booking, free_slot=berlin(day, 10))


@pytest.fixture
def invited(host, day):
    """A poll of times (its link shared), a poll of options, a finalized poll and a calendar
    event, each with someone invited."""
    deadline = timezone.now() + timedelta(days=3)
    poll = PollFactory(owner=host, dates=[day.isoformat()], deadline=deadline)  # 09:00–12:00 in Berlin
    participants.share(poll, enabled=True)
    (ivy,) = polls.invite(poll=poll, people=[polls.Invitee("Ivy", "ivy@example.org")])
    choosing = PollFactory(owner=host, mode=Poll.Mode.OPTIONS, dates=[], deadline=deadline)
    options.add_options(poll=choosing, choices=[options.Choice(start=berlin(day, 15))])
    (olga,) = polls.invite(poll=choosing, people=[polls.Invitee("Olga", "olga@example.org")])
    decided = PollFactory(owner=host, dates=[day.isoformat()], deadline=deadline)
    (fay,) = polls.invite(poll=decided, people=[polls.Invitee("Fay", "fay@example.org")])
    meeting = PlannedMeeting(start=berlin(day, 11), end=berlin(day, 12), invitations=(fay,))
    finalize_poll(poll=decided, meetings=[meeting])
    event = events.save_event(
        event=Event(owner=host, title="Planning", start=berlin(day, 16), end=berlin(day, 17), timezone="Europe/Berlin"),
        attendees=[("Ann", "ann@example.org")],
    )
    return SimpleNamespace(
        poll=poll, ivy=ivy, olga=olga, option_start=berlin(day, 15), fay=fay, meeting_start=berlin(day, 11),
        attendee=event.attendees.get(), event_start=berlin(day, 16),
    )  # fmt: skip


# --- What a page says -----------------------------------------------------------------------------


def zones_named(page) -> list[str]:
    return [name.replace(" ", "_") for text in page.evaluate(SEEN_TEXT) for name in ZONE_NAME.findall(text)]


def shown_zone(page) -> zoneinfo.ZoneInfo:
    """The zone the page says its times are in: it names that one zone, once, in its statement
    ("Times shown in" and the switcher's zone, or the zone beside a time)."""
    statement = page.get_by_test_id("shown-zone")
    field = statement.locator("select[name=tz], input[name=tz]")
    stated = field.input_value() if field.count() else statement.inner_text().strip("() ")
    assert zones_named(page) == [stated], page.url
    return zoneinfo.ZoneInfo(stated)


def hm(moment: datetime) -> str:
    return f"{moment:%H:%M}"


def long_date(moment: datetime) -> str:
    return f"{moment:%A} {moment.day} {moment:%B}"


def switch_zone(page, zone: str) -> None:
    """The zone switcher of an invitee's, attendee's or booking's page reloads it in ``zone``."""
    with page.expect_navigation(url=re.compile(rf"[?&]tz={re.escape(quote(zone, safe=''))}")):
        page.get_by_label("Times shown in").select_option(zone)


def other_than(zone: str) -> str:
    """Another of the three zones, to switch to."""
    return next(other for other in BROWSER_ZONES if other != zone)


# --- Booking ---------------------------------------------------------------------------------------


def shows_free_slot(page, slot: datetime):
    """The booking page names one zone and offers ``slot`` at its time there, on its day there."""
    local = slot.astimezone(shown_zone(page))
    with page.expect_response(re.compile(r"[?&]date=")):
        page.locator(f'a[data-day="{local.date().isoformat()}"]').click()
    button = page.get_by_test_id("slot-list").get_by_text(hm(local), exact=True)
    expect(button).to_be_visible()
    shown_zone(page)  # the day's times name no zone of their own
    return button


def open_booking_page(page, path: str, zone: str) -> None:
    """On a first visit the page moves to the browser's zone (an htmx swap that puts it in the URL)."""
    page.goto(f"{path}?month={datetime.now(zoneinfo.ZoneInfo(zone)):%Y-%m}")
    page.wait_for_url(re.compile(r"[?&]tz="))
    expect(page.get_by_label("Times shown in")).to_have_value(zone)


def switch_booking_zone(page, zone: str) -> None:
    """The booking page's zone is the timezone picker; a change reloads the slots."""
    field = page.get_by_label("Times shown in")
    with page.expect_response(re.compile(rf"[?&]tz={re.escape(quote(zone, safe=''))}")):
        field.select_option(zone)
    expect(field).to_have_value(zone)


def test_booking_pages_name_the_zone_their_times_are_in(page, bookable, browser_zone):
    # The booking page, in the browser's zone, then in the one the booker switches to.
    open_booking_page(page, bookable.link.get_absolute_url(), browser_zone)
    shows_free_slot(page, bookable.free_slot)
    switch_booking_zone(page, other_than(browser_zone))
    slot = shows_free_slot(page, bookable.free_slot)
    # Picking the time: the confirmation page names the zone beside it.
    slot.click()
    local = bookable.free_slot.astimezone(shown_zone(page))
    assert str(local.tzinfo) == other_than(browser_zone)
    expect(page.get_by_test_id("chosen-time")).to_contain_text(f"{long_date(local)} {local.year}")
    expect(page.get_by_test_id("chosen-time")).to_contain_text(f"{hm(local)} – ")
    # A team's link is the same page.
    open_booking_page(page, bookable.demo.get_absolute_url(), browser_zone)
    shows_free_slot(page, bookable.free_slot)


def test_booking_management_pages_name_the_zone_their_time_is_in(page, bookable, browser_zone):
    start = bookable.booking.event.start

    def shows_booking() -> str:
        local = start.astimezone(shown_zone(page))
        expect(page.get_by_test_id("booking-time")).to_contain_text(f"{long_date(local)} {local.year}, {hm(local)} – ")
        return str(local.tzinfo)

    # From the confirmation email: in the zone it was booked in, until the booker switches.
    page.goto(f"/booking/{bookable.booking.token}/")
    assert shows_booking() == "America/New_York"
    switch_zone(page, browser_zone)
    assert shows_booking() == browser_zone
    # Cancelling and rescheduling go on in the zone switched to.
    page.get_by_role("link", name="Cancel booking").click()
    local = start.astimezone(shown_zone(page))
    assert str(local.tzinfo) == browser_zone
    expect(page.get_by_text(f"{long_date(local)} {local.year}, {hm(local)} ({browser_zone})")).to_be_visible()
    page.get_by_role("link", name="Keep it").click()
    page.get_by_role("link", name="Reschedule").click()
    local = start.astimezone(shown_zone(page))
    assert str(local.tzinfo) == browser_zone
    expect(page.get_by_test_id("rescheduling")).to_contain_text(f"{long_date(local)}, {hm(local)}.")
    shows_free_slot(page, bookable.free_slot)


# --- Polls and invitations -----------------------------------------------------------------------


def open_invitation(page, path: str, zone: str) -> None:
    """An invitation link reloads itself in the browser's zone on a first visit."""
    page.goto(path)
    page.wait_for_url(re.compile(rf"[?&]tz={re.escape(quote(zone, safe=''))}"))


def test_invitation_pages_name_the_zone_their_times_are_in(page, invited, browser_zone):
    poll, other = invited.poll, other_than(browser_zone)

    def shows_poll() -> str:
        zone = shown_zone(page)
        deadline, first_cell = poll.deadline.astimezone(zone), poll.cells()[0].astimezone(zone)
        expect(page.get_by_test_id("deadline")).to_contain_text(f"answer by {long_date(deadline)}, {hm(deadline)} (")
        expect(page.locator("[data-poll-grid] tbody th").first).to_have_text(hm(first_cell))
        return str(zone)

    # A poll of times: its grid and deadline, in the browser's zone, then in another.
    open_invitation(page, invited.ivy.get_absolute_url(), browser_zone)
    assert shows_poll() == browser_zone
    switch_zone(page, other)
    assert shows_poll() == other

    # A poll of options, and a finalized poll's meeting.
    open_invitation(page, invited.olga.get_absolute_url(), browser_zone)
    local = invited.option_start.astimezone(shown_zone(page))
    assert str(local.tzinfo) == browser_zone
    expect(page.locator("[data-option] th").first).to_contain_text(f"{local:%a} {local.day} {local:%b} {hm(local)}–")
    open_invitation(page, invited.fay.get_absolute_url(), browser_zone)
    switch_zone(page, other)
    local = invited.meeting_start.astimezone(shown_zone(page))
    assert str(local.tzinfo) == other
    expect(page.get_by_test_id("final-time")).to_contain_text(f"{long_date(local)} {local.year}, {hm(local)}–")

    # An invitation to a calendar event.
    def shows_event() -> str:
        local = invited.event_start.astimezone(shown_zone(page))
        end = local + timedelta(hours=1)
        expect(page.get_by_test_id("rsvp-time")).to_have_text(f"{long_date(local)} {local.year}, {hm(local)}–{hm(end)}")
        return str(local.tzinfo)

    open_invitation(page, reverse("scheduling:rsvp", args=[invited.attendee.token]), browser_zone)
    assert shows_event() == browser_zone
    switch_zone(page, other)
    assert shows_event() == other

    # Joining a poll by its link: its deadline in the poll's zone, said beside it.
    page.goto(f"/p/join/{poll.share_token}/")
    deadline = poll.deadline.astimezone(shown_zone(page))
    assert deadline.tzinfo == BERLIN
    expect(page.get_by_text(f"answer by {long_date(deadline)}, {hm(deadline)} (Europe/Berlin)")).to_be_visible()
