from __future__ import annotations

import re
from datetime import date, timedelta

from django.core import mail
from playwright.sync_api import expect

from e2e.conftest import field
from scheduling.models import Attendee, Event
from tests.factories import UserFactory


def test_create_from_the_week_view_invite_and_watch_the_rsvp_arrive(page, browser, live_server, login):
    owner = UserFactory(username="olivia", email="olivia@example.com", name="Olivia Owner", timezone="Europe/Berlin")
    login(owner)
    page.get_by_role("link", name="Calendar").first.click()
    page.wait_for_url("**/calendar/")

    # Navigate by HTMX: the document is never reloaded and the URL follows.
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("link", name="Next").click()
    next_monday = date.today() - timedelta(days=date.today().weekday()) + timedelta(days=7)
    expect(page.get_by_test_id("calendar-title")).to_contain_text(f"{next_monday:%d %b}")
    page.get_by_role("link", name="Month").click()
    expect(page.get_by_test_id("calendar-title")).to_contain_text(f"{next_monday:%B}")
    assert "/calendar/month/" in page.url
    page.go_back()
    expect(page.get_by_test_id("calendar-title")).to_contain_text(f"{next_monday:%d %b}")
    page.get_by_role("link", name="Week").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("link", name="Week")).to_have_attribute("aria-current", "page")
    assert page.evaluate("window.__sameDocument") is True

    # Click an empty slot: Wednesday next week at 14:00.
    wednesday = next_monday + timedelta(days=2)
    page.get_by_label(f"New event on {wednesday:%A} {wednesday.day} {wednesday:%B} at 14:00").click()
    expect(field(page, "Start")).to_have_value(f"{wednesday.isoformat()}T14:00")
    field(page, "Title").fill("Planning session")
    field(page, "Other attendees").fill("ana@example.org")
    page.get_by_role("button", name="Save event").click()
    expect(page.get_by_role("heading", name="Planning session")).to_be_visible()
    status = page.locator('[data-attendee="ana@example.org"] [data-testid="attendee-status"]')
    expect(status).to_have_text("Pending")

    # Ana answers from the link in her email.
    invitation = next(message for message in mail.outbox if message.to == ["ana@example.org"])
    link = re.search(r"Yes: (\S+)", invitation.body).group(1)
    ana = browser.new_context().new_page()
    ana.goto(link)
    ana.get_by_role("button", name="Send my answer").click()
    expect(ana.get_by_test_id("my-status")).to_have_text("Accepted")

    # The owner's page updates by itself.
    expect(status).to_have_text("Accepted", timeout=15_000)
    assert Attendee.objects.get().status == "accepted"
    assert Event.objects.get().start.astimezone(owner.tzinfo).hour == 14


def test_choosing_weekly_ticks_the_start_day(page, login):
    owner = UserFactory(username="wendy", timezone="Europe/Berlin")
    login(owner)
    page.goto("/calendar/events/new/?start=2027-03-04T09:00")  # a Thursday
    page.get_by_label("Repeat").select_option("weekly")
    expect(page.get_by_role("checkbox", name="Thu")).to_be_checked()
    expect(page.locator("input[name=weekdays]:checked")).to_have_count(1)
    page.get_by_role("checkbox", name="Mon").check()  # the owner's own choice then stands
    page.get_by_label("Repeat").select_option("daily")
    page.get_by_label("Repeat").select_option("weekly")
    expect(page.locator("input[name=weekdays]:checked")).to_have_count(2)
