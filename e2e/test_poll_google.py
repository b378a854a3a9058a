from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from scheduling.models import AvailabilitySpan
from tests.factories import PollFactory, UserFactory, connect_google
from tests.google_fake import PRIMARY

BERLIN = ZoneInfo("Europe/Berlin")


def key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M")


def cells_where(grid, selector: str) -> set[str]:
    return set(grid.locator(f"td[data-cell]{selector}").evaluate_all("cells => cells.map(c => c.dataset.cell)"))


def test_owner_sees_google_busy_times_and_fills_the_free_ones(page, login, fake_google):
    owner = UserFactory(username="gina", name="Gina Google", timezone="Europe/Berlin")
    connect_google(owner)
    days = [date.today() + timedelta(days=offset) for offset in (2, 3, 4)]
    poll = PollFactory(owner=owner, title="Design review", dates=[day.isoformat() for day in days],
                       deadline=datetime.now(UTC) + timedelta(days=1))  # fmt: skip
    # Busy 10:00–11:00 (Berlin) on the first day; 09:00 painted "preferred" by hand already.
    busy_start = datetime.combine(days[0], time(10), tzinfo=BERLIN)
    fake_google.add_busy(PRIMARY, busy_start, busy_start + timedelta(hours=1))
    painted = datetime.combine(days[0], time(9), tzinfo=BERLIN)
    AvailabilitySpan.objects.create(poll=poll, start=painted, end=painted + timedelta(minutes=30), level=3)
    busy = {key(busy_start), key(busy_start + timedelta(minutes=30))}

    login(owner)
    page.goto(poll.get_absolute_url() + "?tz=Europe/Berlin")
    mine = page.locator("[data-poll-grid][data-editable]")
    assert cells_where(mine, "[data-busy]") == busy
    expect(mine.locator(f'td[data-cell="{key(busy_start)}"]')).to_have_attribute("title", "Busy in your calendar")
    expect(page.get_by_test_id("calendar-busy-legend")).to_be_visible()
    page.evaluate("window.__sameDocument = true")

    page.get_by_role("button", name="Fill from my calendar").click()

    expect(page.get_by_text("Filled 15 free times (7.5 hours) as “fine”.")).to_be_visible()
    mine = page.locator("[data-poll-grid][data-editable]")
    assert len(cells_where(mine, '[data-level="2"]')) == 15
    assert cells_where(mine, '[data-level="0"]') == busy
    assert cells_where(mine, '[data-level="3"]') == {key(painted)}
    expect(page.locator("#heat-map td[data-heat]:not([data-heat='0'])")).to_have_count(16)  # refreshed too
    assert page.evaluate("window.__sameDocument") is True
    page.screenshot(path="/tmp/poll_google.png", full_page=True)

    # The swapped-in grid still paints, over a busy time too: the owner decides.
    mine.locator(f'td[data-cell="{key(busy_start)}"]').click()
    expect(mine.locator("[data-save-status]")).to_contain_text("Saved ✓")
    assert AvailabilitySpan.objects.filter(poll=poll, start__lte=busy_start, end__gt=busy_start, level=3).exists()
