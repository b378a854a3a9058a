"""An invitee in New York answers a Berlin poll from their browser, and the outcome's email tells
them the time in New York, named, on their browser's clock (issue 19)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core import mail
from playwright.sync_api import expect

from accounts.clock import Clock
from e2e.test_poll_journey import cell, drag, saved
from scheduling.finalize import PlannedMeeting, finalize_poll
from scheduling.models import Invitation
from scheduling.tasks import send_invitation
from tests.factories import PollFactory, UserFactory

NEW_YORK = "America/New_York"


def test_an_invitee_answering_from_new_york_hears_the_outcome_in_new_york_time(page, browser, live_server):
    owner = UserFactory(username="olivia", email="olivia@example.com", name="Olivia Owner", timezone="Europe/Berlin")
    day = date.today() + timedelta(days=3)
    poll = PollFactory(owner=owner, timezone="Europe/Berlin", dates=[day.isoformat()],
                       deadline=datetime.now(UTC) + timedelta(days=1))  # fmt: skip
    nia = Invitation.objects.create(poll=poll, name="Nia", email="nia@example.org")
    send_invitation(nia.pk)
    invitation = next(message for message in mail.outbox if message.to == ["nia@example.org"])
    link = re.search(r"https?://\S+/p/\S+/", invitation.body).group(0)

    context = browser.new_context(timezone_id=NEW_YORK, locale="en-US")  # a 12-hour clock
    theirs = context.new_page()
    theirs.goto(link)
    expect(theirs.locator("#viewer-tz")).to_have_value(NEW_YORK)  # the page took the browser's zone
    grid = theirs.locator("[data-poll-grid][data-editable]")
    drag(theirs, cell(grid, 0, 0), cell(grid, 1, 0))
    saved(grid)
    context.close()

    start = poll.cells()[0]  # 09:00 in Berlin
    finalize_poll(poll=poll, meetings=[PlannedMeeting(start=start, end=start + timedelta(hours=1), invitations=(nia,))])
    *_, outcome = (message for message in mail.outbox if message.to == ["nia@example.org"])
    shown = Clock(hour12=True).when(start.astimezone(ZoneInfo(NEW_YORK)))
    assert outcome.subject == f"Invitation: {poll.title} — {shown} ({NEW_YORK})"
    assert f"({NEW_YORK})" in outcome.body
