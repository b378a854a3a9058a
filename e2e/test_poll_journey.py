from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import Contact
from e2e.conftest import field
from scheduling.models import AvailabilitySpan, Invitation, Poll
from tests.factories import PollFactory, UserFactory


def painted(grid) -> set[str]:
    return set(
        grid.locator('td[data-cell]:not([data-level="0"])').evaluate_all("cells => cells.map(c => c.dataset.cell)")
    )


def drag(page, start, end) -> None:
    page.wait_for_load_state("networkidle")  # a grid swapped in by htmx (the viewer's timezone) has landed
    start.scroll_into_view_if_needed()  # as a person would, before pressing
    first, last = start.bounding_box(), end.bounding_box()
    page.mouse.move(first["x"] + first["width"] / 2, first["y"] + first["height"] / 2)
    page.mouse.down()
    page.mouse.move(last["x"] + last["width"] / 2, last["y"] + last["height"] / 2, steps=6)
    page.mouse.up()


def cell(grid, row: int, column: int):
    return grid.locator("tbody tr").nth(row).locator("td").nth(column)


def saved(grid) -> None:
    expect(grid.locator("[data-save-status]")).to_contain_text("Saved ✓")


def test_owner_paints_invites_and_watches_answers_arrive(page, browser, live_server, login):
    owner = UserFactory(username="olivia", email="olivia@example.com", name="Olivia Owner", timezone="Europe/Berlin")
    Contact.objects.create(owner=owner, first_name="Ina", last_name="Invitee", email="ina@example.org")
    Contact.objects.create(owner=owner, first_name="Dan", last_name="Decliner", email="dan@example.org")
    login(owner)
    first = date.today() + timedelta(days=3)

    page.get_by_role("link", name="Polls").first.click()
    page.get_by_role("link", name="New poll").first.click()
    field(page, "Title").fill("Quarterly planning")
    field(page, "From").fill(first.isoformat())
    field(page, "To").fill((first + timedelta(days=2)).isoformat())
    field(page, "Each day from").fill("09:00")
    field(page, "until").fill("13:00")
    field(page, "Answer by").fill(f"{first - timedelta(days=1)}T18:00")
    page.get_by_role("button", name="Create poll").click()
    expect(page.get_by_role("heading", name="Quarterly planning")).to_be_visible()
    poll = Poll.objects.get()

    # Paint a 3 x 2 block by dragging with the mouse.
    mine = page.locator("[data-poll-grid][data-editable]")
    drag(page, cell(mine, 1, 0), cell(mine, 2, 2))
    saved(mine)
    assert len(painted(mine)) == 6
    page.reload()
    mine = page.locator("[data-poll-grid][data-editable]")
    assert len(painted(mine)) == 6
    assert AvailabilitySpan.objects.filter(poll=poll, invitation=None).count() == 3  # one merged span a day

    # Invite two contacts.
    page.get_by_label("Ina Invitee").check()
    page.get_by_label("Dan Decliner").check()
    page.get_by_role("button", name="Send invitations").click()
    expect(page.get_by_text("Invitation sent to")).to_be_visible()
    board = page.locator("#status-board")
    expect(board).to_contain_text("0 responded · 2 pending · 0 declined")
    page.evaluate("window.__sameDocument = true")

    # Ina opens the link from her email, paints by dragging, and is done.
    email = next(message for message in mail.outbox if message.to == ["ina@example.org"])
    link = re.search(r"https?://\S+/p/\S+/", email.body).group(0)
    ina = browser.new_context(timezone_id="Europe/Berlin").new_page()
    ina.goto(link)
    expect(ina.get_by_text("Olivia Owner asks when you can meet")).to_be_visible()
    theirs = ina.locator("[data-poll-grid][data-editable]")
    drag(ina, cell(theirs, 2, 1), cell(theirs, 3, 2))
    saved(theirs)
    ina.get_by_test_id("done").click()
    expect(ina.get_by_test_id("thanks")).to_contain_text("Thanks!")

    # Dan declines.
    dan_invitation = Invitation.objects.get(email="dan@example.org")
    dan = browser.new_context(timezone_id="Europe/Berlin").new_page()
    dan.goto(live_server.url + dan_invitation.get_absolute_url())
    dan.get_by_text("Can't make any of these times?").click()
    dan.get_by_label("Note for the organiser (optional)").fill("On holiday")
    dan.get_by_role("button", name="Decline").click()
    expect(dan.get_by_test_id("declined")).to_contain_text("On holiday")

    # The owner's board updates by itself.
    expect(board).to_contain_text("1 responded · 0 pending · 1 declined", timeout=15_000)
    expect(page.locator('[data-invitee="dan@example.org"]')).to_contain_text("On holiday")
    assert page.evaluate("window.__sameDocument") is True

    # The heat map says who can come at a time both painted.
    page.reload()
    page.locator("#heat-map").locator("tbody tr").nth(2).locator("td").nth(1).hover()
    detail = page.locator("#heat-detail")
    expect(detail).to_contain_text("Olivia Owner (you) — preferred")
    expect(detail).to_contain_text("Ina Invitee — preferred")


def test_keyboard_only_painting(page, login):
    owner = UserFactory(username="keys", timezone="Europe/Berlin")
    login(owner)
    poll = PollFactory(owner=owner, title="Keyboard poll", dates=_upcoming_days(), deadline=_tomorrow())
    page.goto(poll.get_absolute_url() + "?tz=Europe/Berlin")
    mine = page.locator("[data-poll-grid][data-editable]")
    page.get_by_role("radio", name="Fine").focus()
    page.keyboard.press("Space")  # choose the brush from the keyboard too
    first = mine.locator("td[data-cell]").first
    first.focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    saved(mine)
    cells = mine.locator('td[data-cell]:not([data-level="0"])')
    expect(cells).to_have_count(3)
    expect(cells.first).to_have_attribute("aria-label", re.compile(r", fine$"))
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert re.match(r"\w+day \d+ \w+, 09:30, fine", focused)
    assert AvailabilitySpan.objects.filter(poll=poll).count() == 2  # the second day's two cells merge


@pytest.fixture
def touch_page(browser, live_server):
    context = browser.new_context(
        viewport={"width": 390, "height": 740}, has_touch=True, is_mobile=True, timezone_id="Europe/Berlin"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def swipe(cdp, start, end) -> None:
    """A real touch gesture (Chromium's input pipeline), from one cell to another."""
    cdp.send(
        "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": start["x"] + 5, "y": start["y"] + 5}]}
    )
    cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": end["x"] + 5, "y": end["y"] + 5}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_touch_taps_paint_cells_and_paint_mode_drags_paint_a_block(touch_page, live_server):
    invitation = _invitation_for_touch()
    page = touch_page
    page.goto(live_server.url + invitation.get_absolute_url() + "?tz=Europe/Berlin")
    grid = page.locator("[data-poll-grid][data-editable]")

    # A tap paints one cell.
    cell(grid, 0, 1).tap()
    saved(grid)
    assert len(painted(grid)) == 1

    # A quick swipe scrolls instead of painting.
    cdp = page.context.new_cdp_session(page)
    swipe(cdp, cell(grid, 2, 1).bounding_box(), cell(grid, 4, 1).bounding_box())
    page.wait_for_timeout(300)
    assert len(painted(grid)) == 1

    # In paint mode, a drag paints a block.
    page.get_by_role("button", name="Paint mode: off").tap()
    cell(grid, 4, 1).scroll_into_view_if_needed()  # as a person would: the block must be on screen
    swipe(cdp, cell(grid, 2, 1).bounding_box(), cell(grid, 3, 1).bounding_box())
    expect(grid.locator('td[data-cell]:not([data-level="0"])')).to_have_count(3)
    saved(grid)
    assert invitation.spans.count() == 2


def _tomorrow() -> datetime:
    return datetime.now(UTC) + timedelta(days=1)


def _upcoming_days() -> list[str]:
    return [(date.today() + timedelta(days=days)).isoformat() for days in (2, 3)]


def _invitation_for_touch() -> Invitation:
    owner = UserFactory(username="toucher", timezone="Europe/Berlin")
    poll = PollFactory(owner=owner, dates=_upcoming_days(), deadline=_tomorrow())
    return Invitation.objects.create(poll=poll, name="Tess Touch", email="tess@example.org")
