"""One searchable timezone picker on every page (issue 19): typed words filter the zones, picked
with the keyboard or the mouse; the browser's zone is preselected under its current IANA name
(Chromium in India says "Asia/Calcutta"; the pages say Asia/Kolkata)."""

from __future__ import annotations

import re
from datetime import time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from scheduling import polls
from tests.factories import EventTypeFactory, PollFactory, ScheduleFactory, UserFactory

# What is checked here does not depend on the database engine: CI runs it once, on SQLite.
pytestmark = pytest.mark.engine_neutral


@pytest.fixture
def host(live_server):
    return UserFactory(username="hanna", email="hanna@example.com", name="Hanna Host", timezone="Europe/Berlin")


@pytest.fixture
def link(host):
    every_day = [(weekday, time(8), time(20)) for weekday in range(7)]
    schedule = ScheduleFactory(owner=host, is_default=True, hours=every_day)
    return EventTypeFactory(owner=host, slug="intro", title="Intro call", schedule=schedule)


@pytest.fixture
def invitation(host):
    poll = PollFactory(owner=host)
    (invitation,) = polls.invite(poll=poll, people=[polls.Invitee("Ivy", "ivy@example.org")])
    return invitation


def search(page):
    return page.get_by_role("combobox", name="Find a zone")


def active_option(page):
    return page.locator('[role=option][aria-selected="true"]')


def test_booker_finds_a_zone_by_city_and_by_abbreviation_with_the_keyboard(page, link):
    page.goto(link.get_absolute_url())
    page.wait_for_url(re.compile(r"[?&]tz=America%2FChicago"))  # the browser's zone, detected
    box = search(page)
    box.fill("new york")
    expect(active_option(page)).to_contain_text("New York — United States")
    with page.expect_response(re.compile(r"[?&]tz=America%2FNew_York")):
        box.press("Enter")
    expect(page.locator("#booker-timezone")).to_have_value("America/New_York")

    box = search(page)  # the widget was swapped in again
    box.fill("CET")
    expect(active_option(page)).to_contain_text("Paris")  # common zones first
    box.press("ArrowDown")
    expect(active_option(page)).to_contain_text("Berlin")
    with page.expect_response(re.compile(r"[?&]tz=Europe%2FBerlin")):
        box.press("Enter")
    expect(page.locator("#booker-timezone")).to_have_value("Europe/Berlin")


def test_invitee_finds_a_zone_by_typing_and_picks_it(page, invitation):
    page.goto(invitation.get_absolute_url())
    page.wait_for_url(re.compile(r"[?&]tz=America%2FChicago"))
    search(page).fill("new york")
    with page.expect_navigation(url=re.compile(r"[?&]tz=America%2FNew_York")):
        search(page).press("Enter")
    expect(page.get_by_label("Times shown in")).to_have_value("America/New_York")
    search(page).fill("CET")
    search(page).press("ArrowDown")
    expect(active_option(page)).to_contain_text("Berlin")
    with page.expect_navigation(url=re.compile(r"[?&]tz=Europe%2FBerlin")):
        search(page).press("Enter")
    # The mouse, and a legacy name the browser might use.
    search(page).fill("calcutta")
    with page.expect_navigation(url=re.compile(r"[?&]tz=Asia%2FKolkata")):
        page.get_by_role("listbox").get_by_role("option", name=re.compile("Kolkata — India")).click()


def test_a_browser_in_india_gets_asia_kolkata_preselected(browser, live_server, link):
    context = browser.new_context(base_url=live_server.url, timezone_id="Asia/Kolkata", locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") in {"Asia/Calcutta", "Asia/Kolkata"}
    page.goto(link.get_absolute_url())
    page.wait_for_url(re.compile(r"[?&]tz=Asia%2FKolkata"))
    expect(page.locator("#booker-timezone")).to_have_value("Asia/Kolkata")
    page.goto(reverse("account_signup"))
    expect(page.get_by_label("Timezone")).to_have_value("Asia/Kolkata")
    context.close()
