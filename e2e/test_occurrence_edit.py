"""Editing one occurrence of a repeating event: opening the form and cancelling changes nothing;
saving splits that occurrence off, and the rest of the series stays."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.sync_api import expect

from e2e.conftest import field
from scheduling.models import Event
from tests.factories import UserFactory


def test_opening_an_occurrence_to_edit_and_cancelling_changes_nothing(page, login):
    owner = UserFactory(username="olga", timezone="Europe/Berlin")
    series = Event.objects.create(
        owner=owner, title="Standup", start=datetime(2027, 3, 1, 8, tzinfo=UTC),
        end=datetime(2027, 3, 1, 8, 30, tzinfo=UTC), timezone="Europe/Berlin", rrule="FREQ=WEEKLY",
    )  # fmt: skip
    login(owner)
    page.goto(f"/calendar/events/{series.pk}/?occurrence=20270315T080000Z")
    page.get_by_role("link", name="Edit this occurrence").click()
    expect(page.get_by_test_id("occurrence-note")).to_be_visible()
    expect(field(page, "Start")).to_have_value("2027-03-15T09:00")
    page.get_by_role("link", name="Cancel").click()
    assert not Event.objects.filter(series=series).exists()
    series.refresh_from_db()
    assert series.exdates == []

    page.goto(f"/calendar/events/{series.pk}/?occurrence=20270315T080000Z")
    page.get_by_role("link", name="Edit this occurrence").click()
    field(page, "Title").fill("Standup (moved)")
    page.get_by_role("button", name="Save event").click()
    expect(page.get_by_role("heading", name="Standup (moved)")).to_be_visible()
    single = Event.objects.get(series=series)
    assert single.original_start == datetime(2027, 3, 15, 8, tzinfo=UTC)
    series.refresh_from_db()
    assert series.exdates == ["2027-03-15T08:00:00+00:00"]


def test_an_occurrence_opened_from_the_calendar_shows_its_own_date(page, login):
    """The 24 December occurrence of a weekly series begun on 10 December says 24 December."""
    owner = UserFactory(username="otto", timezone="Europe/Berlin")
    series = Event.objects.create(
        owner=owner, title="Review", start=datetime(2026, 12, 10, 9, tzinfo=UTC),
        end=datetime(2026, 12, 10, 10, tzinfo=UTC), timezone="Europe/Berlin", rrule="FREQ=WEEKLY",
    )  # fmt: skip
    login(owner)
    page.goto("/calendar/week/?date=2026-12-24")
    page.get_by_role("link", name="Review").first.click()
    expect(page).to_have_url(re.compile(r"occurrence=20261224T090000Z"))
    expect(page.get_by_test_id("event-time")).to_contain_text("Thursday 24 December 2026, 10:00–11:00")
    page.goto(f"/calendar/events/{series.pk}/?occurrence=20261225T090000Z")  # not an occurrence
    expect(page.get_by_test_id("event-time")).to_contain_text("Thursday 10 December 2026")
    expect(page.get_by_role("link", name="Edit this occurrence")).to_have_count(0)
