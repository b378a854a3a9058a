"""An attendee in Los Angeles invited to a Berlin meeting: the RSVP page shows their own time and
says so, the email's "Yes" answers in one click (with an undo), and a time they propose is read
in the zone the page shows. Mail scanners that only open the link answer nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core import mail
from playwright.sync_api import expect

from e2e.conftest import field
from scheduling.events import save_event
from scheduling.models import Attendee, Event, TimeProposal
from tests.factories import UserFactory


def invited(live_server) -> tuple[Attendee, str]:
    owner = UserFactory(username="berta", name="Berta Berlin", timezone="Europe/Berlin")
    start = (datetime.now(UTC) + timedelta(days=7)).replace(hour=17, minute=0, second=0, microsecond=0)
    event = save_event(
        event=Event(owner=owner, title="Design review", start=start, end=start + timedelta(hours=1),
                    timezone="Europe/Berlin"),
        attendees=[("Lou", "lou@example.org")],
    )  # fmt: skip
    [message] = [m for m in mail.outbox if m.to == ["lou@example.org"]]
    yes = re.search(r"Yes: (\S+)", message.body).group(1)
    return event.attendees.get(), yes.replace("http://testserver", live_server.url)


def test_the_attendee_answers_in_one_click_in_their_own_zone_and_can_undo(browser, live_server):
    attendee, yes_link = invited(live_server)
    context = browser.new_context(timezone_id="America/Los_Angeles", locale="en-US")
    page = context.new_page()
    page.goto(yes_link)
    expect(page.get_by_text("Thanks, your answer was sent.")).to_be_visible()
    expect(page.get_by_test_id("my-status")).to_have_text("Accepted")
    start = attendee.event.start.astimezone(ZoneInfo("America/Los_Angeles"))
    expect(page.get_by_test_id("rsvp-time")).to_contain_text(f"{start:%-I}:00 AM")
    expect(page.get_by_label("Times shown in")).to_have_value("America/Los_Angeles")
    attendee.refresh_from_db()
    assert attendee.status == Attendee.Status.ACCEPTED

    page.get_by_test_id("undo").get_by_role("button", name="Undo").click()
    expect(page.get_by_text("Undone: your earlier answer stands.")).to_be_visible()
    expect(page.get_by_test_id("my-status")).to_have_text("Pending")

    # A "No" with another time, typed in Los Angeles time.
    page.get_by_role("radio", name="No").check()
    page.get_by_text("Can't make it? Propose another time").click()
    proposed = start.replace(hour=9) + timedelta(days=1)
    field(page, "Propose another time").fill(f"{proposed:%Y-%m-%dT%H:%M}")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_text("Your proposed time too.")).to_be_visible()
    assert TimeProposal.objects.get().start == proposed.astimezone(UTC)
    context.close()


def test_opening_the_link_without_a_browser_answers_nothing(client, live_server):
    attendee, yes_link = invited(live_server)
    response = client.get(yes_link.replace(live_server.url, ""))
    assert response.status_code == 200
    attendee.refresh_from_db()
    assert attendee.status == Attendee.Status.PENDING
