"""The calendar's layout in a real browser: no page scrolls sideways on a phone or a desktop,
entries at the same time sit side by side, and a phone shows the month as day numbers with the
picked day's entries below."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from scheduling.models import Event
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

DAY = date(2031, 3, 12)  # a Wednesday
BERLIN = ZoneInfo("Europe/Berlin")
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def _at(hour: int, minute: int = 0, *, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


@pytest.fixture
def owner(login):
    olivia = UserFactory(username="olivia", email="olivia@example.com", name="Olivia Owner", timezone="Europe/Berlin")
    for title, start, end in [
        ("Design review", _at(9), _at(10)),
        ("Budget call with the whole finance team about next year", _at(9), _at(10, 30)),
        ("Standup", _at(9, 30), _at(9, 45)),
        ("Lunch", _at(12), _at(13)),
    ]:
        Event.objects.create(owner=olivia, title=title, start=start, end=end, timezone="Europe/Berlin")
    Event.objects.create(
        owner=olivia,
        title="Offsite",
        start=_at(0),
        end=_at(0, day=DAY + timedelta(days=1)),
        all_day=True,
        timezone="Europe/Berlin",
    )
    login(olivia)
    return olivia


def _overflows(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375px", "1280px"])
def test_calendar_pages_never_scroll_sideways(page, owner, viewport):
    page.set_viewport_size(viewport)
    event = Event.objects.get(title="Design review")
    paths = [
        f"/calendar/week/?date={DAY}",
        f"/calendar/day/?date={DAY}",
        f"/calendar/month/?date={DAY}",
        f"/calendar/agenda/?date={DAY}",
        event.get_absolute_url(),
        f"/calendar/events/{event.pk}/edit/",
        "/calendar/events/new/",
    ]
    too_wide = []
    for path in paths:
        page.goto(path)
        if _overflows(page):
            too_wide.append(path)
    assert too_wide == []


@pytest.mark.parametrize("view", ["day", "month", "agenda"])
def test_on_a_phone_only_the_week_scrolls_sideways_inside_the_page(page, owner, view):
    page.set_viewport_size(PHONE)
    page.goto(f"/calendar/{view}/?date={DAY}")
    scrolling = page.evaluate(
        """[...document.querySelectorAll("#calendar *")].filter((box) => box.checkVisibility()
             && ["auto", "scroll"].includes(getComputedStyle(box).overflowX)
             && box.scrollWidth > box.clientWidth).length"""
    )
    assert scrolling == 0


def _box(page, title: str) -> dict:
    return page.locator(f'[data-day="{DAY}"] [data-event]', has_text=title).bounding_box()


def _side_by_side(one: dict, other: dict) -> bool:
    return one["x"] + one["width"] <= other["x"] or other["x"] + other["width"] <= one["x"]


@pytest.mark.parametrize("view", ["week", "day"])
def test_entries_at_the_same_time_sit_side_by_side(page, owner, view):
    page.set_viewport_size(DESKTOP)
    page.goto(f"/calendar/{view}/?date={DAY}")
    review, budget, standup = _box(page, "Design review"), _box(page, "Budget call"), _box(page, "Standup")
    assert _side_by_side(review, budget)
    assert _side_by_side(standup, budget)
    column = page.locator(f'[data-day="{DAY}"]').bounding_box()
    assert _box(page, "Lunch")["width"] > column["width"] * 0.9  # overlaps nothing: the whole column
    expect(page.locator(f'[data-day="{DAY}"] [data-event]', has_text="Offsite")).to_have_count(0)  # all day: on top


def test_month_on_a_phone_shows_dots_and_lists_the_picked_day(page, owner):
    page.set_viewport_size(PHONE)
    page.goto(f"/calendar/month/?date={DAY:%Y-%m}-01")
    compact = page.get_by_test_id("month-compact")
    expect(compact).to_be_visible()
    expect(page.get_by_role("link", name="Design review")).to_have_count(0)  # no titles in the grid
    day = compact.get_by_role("link", name=f"{DAY:%A} {DAY.day} {DAY:%B}: 5 events")
    expect(day.locator("[data-dot]")).to_have_count(1)

    page.evaluate("window.__sameDocument = true")
    day.click()
    expect(page).to_have_url(f"{page.url.split('?')[0]}?date={DAY}")
    picked = page.get_by_test_id("picked-day")
    expect(picked.get_by_role("heading")).to_have_text(f"{DAY:%A} {DAY.day} {DAY:%B}")
    expect(picked.get_by_role("link", name="Design review")).to_be_visible()
    expect(picked.get_by_role("link", name="Offsite")).to_be_visible()
    expect(compact.locator('[aria-current="date"]')).to_have_attribute("data-day", str(DAY))
    assert page.evaluate("window.__sameDocument") is True


def test_month_on_a_desktop_keeps_the_titles_in_the_grid(page, owner):
    page.set_viewport_size(DESKTOP)
    page.goto(f"/calendar/month/?date={DAY}")
    expect(page.get_by_test_id("month-compact")).to_be_hidden()
    expect(page.get_by_role("link", name="09:00 Design review")).to_be_visible()
