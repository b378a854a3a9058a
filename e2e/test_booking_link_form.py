"""A new owner's first booking link: a title is enough, the rest waits under "More settings",
and a form sent back with a problem shows it where the eye and the keyboard already are."""

from __future__ import annotations

from playwright.sync_api import expect

from booking.models import EventType
from e2e.conftest import field
from tests.factories import UserFactory


def test_a_first_link_saves_on_its_defaults_and_problems_are_focused(page, login):
    owner = UserFactory(username="nora", email="nora@example.com", name="Nora New", timezone="Europe/Berlin")
    login(owner)
    page.get_by_role("link", name="Booking links").first.click()
    page.get_by_role("link", name="New booking link").first.click()
    expect(page.locator("#more-settings")).not_to_have_attribute("open", "")
    expect(field(page, "Minimum notice (minutes)")).to_be_hidden()
    expect(field(page, "Address, phone number or video link")).to_be_hidden()  # no place chosen yet
    page.set_viewport_size({"width": 375, "height": 700})

    # A video link without its URL: sent back, the message read and the field focused.
    field(page, "Title").fill("Intro call")
    field(page, "Location").select_option(label="Video link")
    page.get_by_role("button", name="Save booking link").click()
    expect(page.get_by_text("Paste the video meeting link")).to_be_visible()
    expect(field(page, "Address, phone number or video link")).to_be_focused()
    expect(field(page, "Title")).to_have_value("Intro call")  # nothing typed is lost

    # A problem under "More settings": they open by themselves, at the field.
    field(page, "Location").select_option(label="Not set yet")
    page.get_by_text("More settings").click()
    field(page, "Booking window").select_option(label="Only on chosen dates")
    page.get_by_text("More settings").click()  # closed again before saving
    page.get_by_role("button", name="Save booking link").click()
    expect(page.locator("#more-settings")).to_have_attribute("open", "")
    expect(field(page, "Bookable dates")).to_be_focused()
    expect(field(page, "Bookable dates")).to_be_in_viewport()

    # Back to the defaults: the title alone saves the link.
    field(page, "Booking window").select_option(label="Rolling: the next N days")
    page.get_by_role("button", name="Save booking link").click()
    expect(page.get_by_text("Saved “Intro call”")).to_be_visible()
    link = EventType.objects.get(owner=owner)
    assert (link.slug, link.duration, link.location_kind) == ("intro-call", 30, "none")
