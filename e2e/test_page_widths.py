"""Every page fits a phone (375 px) and a desktop (1280 px) without scrolling sideways.

The calendar's own views are checked with their layouts in e2e/test_calendar_layout.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from booking.book import Booker, book_slot
from tests.factories import ContactFactory, EventTypeFactory, InvitationFactory, PollFactory, UserFactory

# What is checked here does not depend on the database engine: CI runs it once, on SQLite.
pytestmark = pytest.mark.engine_neutral

WIDTHS = (375, 1280)


def _fits(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


@pytest.fixture
def owner_with_everything(db):
    owner = UserFactory(username="wide", email="wide@example.com", name="Wilhelmina Wide-Margins")
    event_type = EventTypeFactory(
        owner=owner, slug="a-rather-long-booking-link-name", title="A rather long booking link title to wrap",
        description="Bring your questions. " * 20,
    )  # fmt: skip
    start = (datetime.now(UTC) + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    booking = book_slot(
        event_type=event_type, start=start,
        booker=Booker(name="Bea Booker-With-A-Long-Name", email="bea.booker.with.a.long.address@example.org",
                      timezone="America/Los_Angeles"),
    )[0]  # fmt: skip
    poll = PollFactory(owner=owner, title="Quarterly planning with everyone in the wider team")
    invitation = InvitationFactory(poll=poll, name="Ivy Invitee", email="ivy.invitee@example.org")
    contact = ContactFactory(owner=owner)
    return {"owner": owner, "event_type": event_type, "booking": booking, "poll": poll,
            "invitation": invitation, "contact": contact}  # fmt: skip


def _owner_pages(data) -> list[str]:
    event_type, booking, poll, contact = data["event_type"], data["booking"], data["poll"], data["contact"]
    schedule = event_type.schedule
    return [
        reverse("dashboard"),
        reverse("accounts:profile"),
        reverse("accounts:google"),
        reverse("accounts:calendars"),
        reverse("contacts:list"),
        reverse("contacts:detail", args=[contact.pk]),
        reverse("booking:event_type_list"),
        reverse("booking:event_type_create"),
        reverse("booking:event_type_edit", args=[event_type.pk]),
        reverse("booking:schedule_list"),
        reverse("booking:schedule_edit", args=[schedule.pk]),
        reverse("booking:booking_list"),
        reverse("booking:booking_cancel", args=[booking.pk]),
        reverse("scheduling:poll_list"),
        reverse("scheduling:poll_create"),
        reverse("scheduling:poll_detail", args=[poll.pk]),
        reverse("scheduling:poll_edit", args=[poll.pk]),
        reverse("scheduling:poll_finalize", args=[poll.pk]),
    ]


def _public_pages(data) -> list[str]:
    booking, event_type, invitation = data["booking"], data["event_type"], data["invitation"]
    attendee = booking.event.attendees.first()
    return [
        "/",
        reverse("account_login"),
        reverse("account_signup"),
        reverse("account_reset_password"),
        reverse("booking:public_profile", args=[event_type.owner.username]),
        event_type.get_absolute_url(),
        reverse("booking:book", args=[event_type.owner.username, event_type.slug])
        + f"?start={(booking.event.start + timedelta(hours=2)).isoformat().replace('+', '%2B')}",
        reverse("booking:manage", args=[booking.token]),
        reverse("booking:cancel", args=[booking.token]),
        reverse("booking:reschedule", args=[booking.token]),
        reverse("scheduling:respond", args=[invitation.token]),
        reverse("scheduling:rsvp", args=[attendee.token]),
    ]


def _overflowing(page, paths: list[str]) -> list[str]:
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for path in paths:
            response = page.goto(path)
            assert response.status < 400, (path, response.status)
            page.wait_for_load_state("networkidle")
            scroll_width, inner_width = _fits(page)
            if scroll_width > inner_width:
                found.append(f"{path} at {width} px: {scroll_width} > {inner_width}")
    return found


def test_public_pages_fit_phones_and_desktops(page, owner_with_everything):
    assert _overflowing(page, _public_pages(owner_with_everything)) == []


def test_owner_pages_fit_phones_and_desktops(page, login, owner_with_everything):
    login(owner_with_everything["owner"])
    assert _overflowing(page, _owner_pages(owner_with_everything)) == []
