"""A team from nothing: the owner creates it, invites a colleague who accepts, makes a round-robin
link, and two bookers in different timezones book the same time: each meeting lands on a
different member, and the team's meetings page shows who hosts which."""

from __future__ import annotations

import re
import zoneinfo
from urllib.parse import quote

from django.core import mail
from playwright.sync_api import expect

from booking.models import Booking
from e2e.conftest import field
from e2e.test_booking_journey import booker_page, open_booking_page, pick_first_free_time, slot_start
from tests.factories import PASSWORD, UserFactory


def test_a_team_shares_a_round_robin_link_and_two_bookers_get_two_hosts(page, browser, live_server, login):
    olivia = UserFactory(username="olivia", email="olivia@example.com", name="Olivia Owner", timezone="Europe/Berlin")
    mia = UserFactory(username="mia", email="mia@example.com", name="Mia Member", timezone="Europe/Berlin")
    login(olivia)

    # Olivia creates the team and invites Mia by email.
    page.get_by_role("link", name="Teams").first.click()
    page.get_by_role("link", name="New team").first.click()
    field(page, "Team name").fill("Support")
    page.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("heading", name="Support", exact=True)).to_be_visible()
    field(page, "Email address").fill("mia@example.com")
    page.get_by_role("button", name="Send invitation").click()
    invitation = next(m for m in mail.outbox if m.to == ["mia@example.com"])
    link = re.search(r"https?://\S+/teams/join/\S+/", invitation.body).group(0)

    # Mia opens the link, signs in, and joins.
    colleague = browser.new_context(base_url=live_server.url, timezone_id="Europe/Berlin").new_page()
    colleague.goto(link)
    field(colleague, "Username or email").fill(mia.username)
    field(colleague, "Password").fill(PASSWORD)
    colleague.get_by_role("button", name="Sign In").click()
    colleague.get_by_role("button", name="Join the team").click()
    expect(colleague.get_by_text("Mia Member (you)")).to_be_visible()

    # Olivia makes a round-robin link hosted by both.
    page.reload()
    expect(page.locator("#members-heading").locator("..")).to_contain_text("Mia Member")
    page.get_by_test_id("team-links").get_by_role("link", name="Booking links").click()
    page.get_by_role("link", name="New team link").first.click()
    field(page, "Title").fill("Support call")
    field(page, "URL slug").fill("support-call")
    page.get_by_label("Round-robin: whichever host is free").check()
    page.get_by_label("Olivia Owner hosts").check()
    page.get_by_label("Mia Member hosts").check()
    field(page, "Location").select_option(label="Video link")
    field(page, "Address, phone number or video link").fill("https://meet.example.com/support")
    field(page, "Minimum notice (minutes)").fill("0")
    page.get_by_role("button", name="Save team link").click()
    expect(page.get_by_text(re.compile("Saved “Support call”"))).to_be_visible()
    expect(page.get_by_test_id("team-link")).to_contain_text("Hosts: Mia Member, Olivia Owner")

    # A booker in Tokyo picks the first free time and is told who they will meet.
    tokyo = booker_page(browser, live_server)
    tokyo.goto("/team/support/")
    expect(tokyo.get_by_role("link", name=re.compile("Support call"))).to_contain_text("with one of 2 hosts")
    open_booking_page(tokyo, tokyo.get_by_role("link", name=re.compile("Support call")).get_attribute("href"))
    slot = pick_first_free_time(tokyo)
    start = slot_start(slot)
    slot.click()
    first_host = tokyo.get_by_test_id("team-hosts").inner_text().removeprefix("With ")
    field(tokyo, "Your name").fill("Taro Tokyo")
    field(tokyo, "Email").fill("taro@example.org")
    tokyo.get_by_role("button", name="Confirm booking").click()
    expect(tokyo.get_by_role("heading", name=f"You are booked with {first_host}")).to_be_visible()

    # A booker in Los Angeles asks for the very same time: the other member takes it.
    los_angeles = booker_page(browser, live_server, timezone_id="America/Los_Angeles", locale="en-US")
    los_angeles.goto(f"/team/support/support-call/book/?start={quote(start.isoformat())}&tz=America/Los_Angeles")
    local = start.astimezone(zoneinfo.ZoneInfo("America/Los_Angeles"))
    expect(los_angeles.get_by_test_id("chosen-time")).to_contain_text(f"{local.day} {local:%B %Y}")
    second_host = los_angeles.get_by_test_id("team-hosts").inner_text().removeprefix("With ")
    assert second_host != first_host
    field(los_angeles, "Your name").fill("Lia Angeles")
    field(los_angeles, "Email").fill("lia@example.org")
    los_angeles.get_by_role("button", name="Confirm booking").click()
    expect(los_angeles.get_by_role("heading", name=f"You are booked with {second_host}")).to_be_visible()

    bookings = {booking.name: booking.event.owner for booking in Booking.objects.select_related("event__owner")}
    assert {bookings["Taro Tokyo"], bookings["Lia Angeles"]} == {olivia, mia}
    assert all(booking.event.start == start for booking in Booking.objects.select_related("event"))

    # The team's meetings page says who hosts which; each host has theirs in their own list.
    page.get_by_role("link", name="Team bookings").click()
    rows = page.get_by_test_id("team-bookings")
    expect(rows.locator("li", has_text="Taro Tokyo")).to_contain_text(f"with {first_host}")
    expect(rows.locator("li", has_text="Lia Angeles")).to_contain_text(f"with {second_host}")
    colleague.goto("/booking-links/bookings/")
    mine = "Taro Tokyo" if first_host == "Mia Member" else "Lia Angeles"
    expect(colleague.get_by_text(mine)).to_be_visible()
