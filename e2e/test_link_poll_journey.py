"""A poll shared by link: two people on phones join by name (one in New York), answer, one comes
back later by their personal link; the owner sees both, narrows the heat map to one, finalizes;
the one with an address gets the .ics, the other sees the time on their page."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import icalendar
from django.core import mail
from playwright.sync_api import expect

from e2e.conftest import field
from e2e.test_poll_journey import cell, drag, painted, saved
from scheduling import polls
from scheduling.models import Invitation, Poll
from tests.factories import PollFactory, UserFactory

PHONE = {"width": 375, "height": 800}


def test_two_people_answer_by_link_on_phones_and_the_owner_finalizes(page, browser, live_server, login):
    owner = UserFactory(username="olivia", email="olivia@example.com", name="Olivia Owner", timezone="Europe/Berlin")
    day = date.today() + timedelta(days=4)
    poll = PollFactory(
        owner=owner,
        title="Band rehearsal",
        dates=[day.isoformat(), (day + timedelta(days=1)).isoformat()],
        deadline=datetime.now(UTC) + timedelta(days=2),
    )  # fmt: skip  (09:00–12:00 Berlin)
    cells = poll.cells()
    polls.save_availability(poll=poll, invitation=None, levels=dict.fromkeys(range(len(cells)), 3), cells=cells)

    # The owner turns the link on and lets participants see everyone's answers.
    login(owner)
    page.goto(poll.get_absolute_url())
    share = page.get_by_test_id("share-panel")
    share.get_by_label("Anyone with the link can join and answer").check()
    share.get_by_label("Participants see everyone's answers", exact=True).check()
    share.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved who can join and who sees the answers.")).to_be_visible()
    link = page.locator("#share-url").input_value()
    assert re.fullmatch(rf"{re.escape(live_server.url)}/p/join/[\w-]+/", link)

    # Ana, on a phone in Berlin, joins by name only and paints two hours on the first day.
    ana = browser.new_context(timezone_id="Europe/Berlin", viewport=PHONE).new_page()
    ana.goto(link)
    expect(ana.get_by_text("Olivia Owner is finding a time to meet")).to_be_visible()
    field(ana, "Your name").fill("Ana")
    ana.get_by_role("button", name="Join and answer").click()
    expect(ana.get_by_test_id("joined")).to_contain_text("You're in, Ana.")
    personal = ana.locator("#personal-url").input_value()
    grid = ana.locator("[data-poll-grid][data-editable]")
    drag(ana, cell(grid, 0, 0), cell(grid, 3, 0))  # 09:00–11:00 on the first day
    saved(grid)
    _no_sideways_scroll(ana)

    # Bo, on a phone in New York, joins with an address; the grid is in New York time.
    bo = browser.new_context(timezone_id="America/New_York", viewport=PHONE).new_page()
    bo.goto(link)
    field(bo, "Your name").fill("Bo")
    field(bo, "Email (optional)").fill("bo@example.org")
    bo.get_by_role("button", name="Join and answer").click()
    expect(bo.get_by_test_id("joined")).to_contain_text("we have emailed it to bo@example.org")
    expect(bo.locator("#viewer-tz")).to_have_value("America/New_York")
    grid = bo.locator("[data-poll-grid][data-editable]")
    expect(grid.locator("tbody tr").first).to_contain_text("3:00")  # 09:00 Berlin is 03:00 in New York
    drag(bo, cell(grid, 2, 0), cell(grid, 5, 0))  # 10:00–12:00 Berlin
    saved(grid)
    # Everyone's answers are visible: the heat map names Ana at 10:00 Berlin.
    bo.reload()
    bo.locator("#heat-map").locator("tbody tr").nth(2).locator("td").first.hover()
    expect(bo.locator("#heat-detail")).to_contain_text("Ana")
    expect(bo.locator("#heat-detail")).to_contain_text("Bo (you)")
    expect(bo.get_by_test_id("roster")).to_contain_text("Ana")
    _no_sideways_scroll(bo)
    bo_email = next(m for m in mail.outbox if m.to == ["bo@example.org"])
    assert "/p/" in bo_email.body

    # Later, on another device, Ana opens her personal link and adds the second day.
    later = browser.new_context(timezone_id="Europe/Berlin", viewport=PHONE).new_page()
    later.goto(personal)
    grid = later.locator("[data-poll-grid][data-editable]")
    assert len(painted(grid)) == 4
    drag(later, cell(grid, 0, 1), cell(grid, 1, 1))
    saved(grid)
    assert len(painted(grid)) == 6

    # The owner sees both, narrows the heat map to Bo, and finalizes the time both can make.
    page.goto(poll.get_absolute_url())
    board = page.locator("#status-board")
    expect(board).to_contain_text("2 responded")
    expect(board).to_contain_text("Ana")
    heat = page.locator("#heat-map")
    heat.get_by_text("Show only some people").click()
    bo_id = Invitation.objects.get(name="Bo").pk
    heat.locator(f'input[name="people"][value="{bo_id}"]').check()
    expect(page.get_by_test_id("heat-filtered")).to_be_visible()
    first_row = page.locator("#heat-map tbody tr").first.locator("td").first
    expect(first_row).to_have_attribute("aria-label", re.compile(r", 0 available$"))  # Bo is not free at 09:00

    page.get_by_test_id("group-suggestions").get_by_role("link", name="Use this time").first.click()
    preview = page.locator("#preview")
    expect(preview.get_by_test_id("preview-meetings")).to_contain_text("Bo")
    page.get_by_role("button", name="Finalize and send invitations").click()
    expect(page.get_by_text(re.compile("Finalized: 1 meeting"))).to_be_visible()
    assert Poll.objects.get().status == Poll.Status.FINALIZED

    # Bo gets the invitation with an .ics; Ana, without an address, sees the time on her page.
    invite = next(m for m in mail.outbox if m.to == ["bo@example.org"] and m.attachments)
    calendar = icalendar.Calendar.from_ical(next(a for a in invite.attachments if a.filename == "invite.ics").content)
    start = calendar.walk("VEVENT")[0].decoded("DTSTART")
    assert start == cells[2]  # 10:00 Berlin, the first hour both can make
    later.goto(personal)
    expect(later.get_by_test_id("final-time")).to_contain_text(
        f"{day:%A} {day.day} {day:%B %Y}, 10:00 AM–11:00 AM"
    )  # en-US: a 12-hour clock


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
