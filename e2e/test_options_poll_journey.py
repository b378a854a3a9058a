"""A poll of options, Doodle style: the owner offers five times, one of them a whole day; three
invitees answer yes / if need be / no (one on a 375 px phone in another timezone); the owner's
page ranks the options; the owner finalizes the best one and everyone with an email gets the .ics."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from django.core import mail
from playwright.sync_api import expect

from accounts.models import Contact
from e2e.conftest import field
from scheduling.models import Event, Invitation, OptionAnswer, Poll
from tests.factories import UserFactory

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")


def day_words(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def timed(day: date, hour: int, zone: ZoneInfo, *, hour12: bool = False) -> str:
    """An option's words as a viewer in ``zone`` reads them (the option is at ``hour`` in Berlin)."""
    start = datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN).astimezone(zone)
    end = start + timedelta(hours=1)

    def clock(moment):
        if not hour12:
            return f"{moment:%H:%M}"
        return f"{moment.hour % 12 or 12}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"

    return f"{day_words(start.date())}, {clock(start)}–{clock(end)}"


def eventually(condition, seconds: float = 5.0) -> None:
    """Saving as people tap sends a request per change; the last one may still be on its way."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the answers did not arrive"
        time.sleep(0.1)


def answer(page, label: str, choice: str) -> None:
    page.get_by_role("radio", name=f"{choice}: {label}", exact=True).check()


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_options_poll_from_creation_to_invitations(page, browser, live_server, login):
    owner = UserFactory(username="olivia", email="olivia@example.com", name="Olivia Owner", timezone="Europe/Berlin")
    for first, last in (("Ann", "Archer"), ("Ben", "Baker"), ("Cy", "Cooper")):
        Contact.objects.create(owner=owner, first_name=first, last_name=last, email=f"{first.lower()}@example.org")
    first_day = date.today() + timedelta(days=7)
    whole_day, third_day = first_day + timedelta(days=1), first_day + timedelta(days=2)
    login(owner)

    # The owner offers four times by typing them, and a whole day with the picker.
    page.goto("/polls/new/")
    field(page, "Title").fill("Team offsite")
    page.get_by_label("Pick from a list of times (or whole days)").check()
    expect(field(page, "Each day from")).to_be_hidden()
    field(page, "Options").fill(f"{first_day} 10:00\n{first_day} 14:00\n{third_day} 09:00\n{third_day} 16:00")
    page.get_by_label("Date", exact=True).fill(whole_day.isoformat())
    page.get_by_role("button", name="Add to the list").click()
    expect(field(page, "Options")).to_have_value(re.compile(rf"{whole_day}$"))
    field(page, "Answer by").fill(f"{first_day - timedelta(days=2)}T18:00")
    page.get_by_role("button", name="Create poll").click()
    expect(page.get_by_role("heading", name="Team offsite")).to_be_visible()
    poll = Poll.objects.get()
    assert poll.mode == Poll.Mode.OPTIONS
    assert poll.options.count() == 5
    assert poll.options.filter(day=whole_day).exists()

    # They invite three contacts by email.
    for name in ("Ann Archer", "Ben Baker", "Cy Cooper"):
        page.get_by_label(name).check()
    page.get_by_role("button", name="Send invitations").click()
    expect(page.get_by_text("Invitation sent to")).to_be_visible()

    def link_for(email: str) -> str:
        message = next(m for m in mail.outbox if m.to == [email])
        return re.search(r"https?://\S+/p/\S+/", message.body).group(0)

    whole = f"{day_words(whole_day)} (all day)"

    # Ann, in Berlin on a desktop, answers without waiting for anything but the form.
    ann = browser.new_context(timezone_id="Europe/Berlin", locale="de-DE", viewport={"width": 1280, "height": 900})
    ann_page = ann.new_page()
    ann_page.goto(link_for("ann@example.org"))  # her browser's timezone and clock are the organiser's
    ann_page.wait_for_load_state("load")
    answer(ann_page, whole, "Yes")
    answer(ann_page, timed(first_day, 10, BERLIN), "If need be")
    answer(ann_page, timed(first_day, 14, BERLIN), "No")
    with ann_page.expect_response(lambda response: response.request.method == "POST" and response.ok):
        ann_page.get_by_role("button", name="Save my answers").click()  # its own answer, not an earlier change's
    expect(ann_page.get_by_test_id("answer-status")).to_contain_text("Saved. Olivia Owner can see your answers")

    # Ben, in New York on a phone: a list of cards, nothing to scroll sideways, 12-hour times.
    ben = browser.new_context(
        timezone_id="America/New_York", locale="en-US", viewport={"width": 375, "height": 740}, is_mobile=True,
        has_touch=True,
    )  # fmt: skip
    ben_page = ben.new_page()
    ben_page.goto(link_for("ben@example.org"))
    ben_page.wait_for_url(re.compile(r"tz=America%2FNew_York"))
    expect(ben_page.get_by_text(timed(first_day, 14, NEW_YORK, hour12=True).split(", ")[1])).to_be_visible()
    assert fits(ben_page)
    expect(ben_page.locator("thead").first).to_be_hidden()
    ben_page.get_by_role("radio", name=f"Yes: {whole}").tap()
    expect(ben_page.get_by_test_id("answer-status")).to_contain_text("Saved.")  # saved as he taps
    answer(ben_page, timed(first_day, 14, NEW_YORK, hour12=True), "Yes")
    answer(ben_page, timed(third_day, 9, NEW_YORK, hour12=True), "If need be")
    with ben_page.expect_response(lambda response: response.request.method == "POST" and response.ok):
        ben_page.get_by_role("button", name="Save my answers").click()  # its own answer, not an earlier change's
    expect(ben_page.get_by_test_id("answer-status")).to_contain_text("Saved.")
    assert fits(ben_page)

    # Cy answers "if need be" to the whole day and yes to Monday morning.
    cy = browser.new_context(timezone_id="Europe/Berlin", viewport={"width": 1280, "height": 900})
    cy_page = cy.new_page()
    cy_page.goto(link_for("cy@example.org") + "?tz=Europe/Berlin&clock=24")
    answer(cy_page, whole, "If need be")
    answer(cy_page, timed(first_day, 10, BERLIN), "Yes")
    with cy_page.expect_response(lambda response: response.request.method == "POST" and response.ok):
        cy_page.get_by_role("button", name="Save my answers").click()  # its own answer, not an earlier change's
    expect(cy_page.get_by_test_id("answer-status")).to_contain_text("Saved.")

    def levels(name: str) -> set[tuple[str, int]]:
        answers = OptionAnswer.objects.filter(invitation__name__startswith=name)
        return {(str(a.option.day) if a.option.day else f"{a.option.start:%m-%d %H}", a.level) for a in answers}

    utc = lambda day, hour: f"{datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN).astimezone(UTC):%m-%d %H}"  # noqa: E731
    eventually(lambda: levels("Ann") == {(str(whole_day), 2), (utc(first_day, 10), 1)})
    eventually(lambda: levels("Ben") == {(str(whole_day), 2), (utc(first_day, 14), 2), (utc(third_day, 9), 1)})
    eventually(lambda: levels("Cy") == {(str(whole_day), 1), (utc(first_day, 10), 2)})
    assert set(Invitation.objects.values_list("status", flat=True)) == {"responded"}

    # The owner's page: everyone's answers, and the whole day ranked first.
    page.reload()
    table = page.get_by_test_id("option-table")
    whole_row = table.locator("tbody tr", has_text="All day")
    expect(whole_row).to_contain_text("3 yes · 1 if need be")
    expect(whole_row).to_contain_text("Yes: Olivia Owner (you), Ann Archer, Ben Baker")
    expect(whole_row).to_contain_text("If need be: Cy Cooper")
    expect(whole_row.get_by_test_id("best")).to_be_visible()
    suggestions = page.get_by_test_id("group-suggestions")
    expect(suggestions.locator("li").first).to_contain_text(f"#1 {whole}")
    expect(suggestions.locator("li").first).to_contain_text("4 can come: 3 yes")
    expect(suggestions.locator("li").nth(1)).to_contain_text(timed(first_day, 10, BERLIN))

    # Finalize the best option for everyone who can come.
    suggestions.get_by_role("link", name="Use this time").first.click()
    preview = page.locator("#preview")
    expect(preview.get_by_test_id("preview-meetings")).to_contain_text(f"{whole_day:%a} {whole_day.day}")
    expect(preview.get_by_test_id("preview-meetings")).to_contain_text("all day")
    page.get_by_role("button", name="Finalize and send invitations").click()
    expect(page.get_by_text("Finalized: 1 meeting created and invitations sent.")).to_be_visible()

    event = Event.objects.get(poll=poll)
    assert event.all_day
    for email in ("ann@example.org", "ben@example.org", "cy@example.org"):
        message = next(m for m in mail.outbox if m.to == [email] and m.subject.startswith("Invitation:"))
        calendar = icalendar.Calendar.from_ical(
            next(a for a in message.attachments if a.filename == "invite.ics").content
        )
        vevent = calendar.walk("VEVENT")[0]
        assert calendar["METHOD"] == "REQUEST"
        assert vevent.decoded("DTSTART") == whole_day
        assert vevent.decoded("DTEND") == whole_day + timedelta(days=1)
        assert f"mailto:{email}" in str(vevent["ATTENDEE"])

    # Ben's page now shows the meeting and no more choices.
    ben_page.reload()
    expect(ben_page.get_by_test_id("final-time")).to_be_visible()
    expect(ben_page.get_by_role("radio")).to_have_count(0)
