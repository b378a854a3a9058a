"""The owner's poll grid shows when their Google Calendar is busy, and fills their free times."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from accounts.models import GoogleCalendarConnection
from scheduling.grid import busy_positions
from scheduling.models import AvailabilitySpan, Event, Invitation, Poll
from tests.factories import InvitationFactory, PollFactory, connect_google
from tests.google_fake import PRIMARY

pytestmark = pytest.mark.django_db

# The poll (tests/factories.py) runs Mon 7 – Fri 11 December 2026, 09:00–12:00 in Berlin (UTC+1):
# 08:00–11:00 UTC, six 30-minute cells a day, 30 in all.
MONDAY_10_BERLIN = datetime(2026, 12, 7, 9, tzinfo=UTC)
FILL_FAILED = "Google Calendar did not answer, so nothing was filled. Try again in a minute."


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel("2026-12-01T08:00:00Z", tick=False):
        yield


@pytest.fixture
def poll(user):
    return PollFactory(owner=user)


@pytest.fixture
def connection(user, fake_google):
    return connect_google(user)


def page(client, poll, tz="Europe/Berlin") -> str:
    response = client.get(poll.get_absolute_url(), {"tz": tz})
    assert response.status_code == 200
    return response.content.decode()


def busy_cells(content: str) -> set[str]:
    return set(re.findall(r'data-cell="(\w+)"[^>]*? data-busy', content))


def fill(client, poll, **kwargs):
    return client.post(reverse("scheduling:poll_fill", args=[poll.pk]), **kwargs)


def owner_levels(poll) -> dict[str, int]:
    """Cell key -> level of the owner's stored availability."""
    step = timedelta(minutes=poll.cell_minutes)
    levels = {}
    for span in AvailabilitySpan.objects.filter(poll=poll, invitation=None):
        moment = span.start
        while moment < span.end:
            levels[moment.strftime("%Y%m%dT%H%M")] = span.level
            moment += step
    return levels


def paint(client, poll, cells: dict[str, int]) -> None:
    url = reverse("scheduling:save_owner_grid", args=[poll.pk])
    assert client.post(url, {"payload": json.dumps({"cells": cells})}).status_code == 200


def freebusy_calls(fake_google) -> int:
    return len(fake_google.calls("POST", "/freeBusy"))


def meeting(owner, start, minutes=60, **fields) -> Event:
    return Event.objects.create(
        owner=owner, title="Dentist", start=start, end=start + timedelta(minutes=minutes), **fields
    )


# --- Which cells are busy ------------------------------------------------------------------------


def test_a_cell_is_busy_when_any_part_of_it_is_and_touching_ends_do_not_count():
    cells = [datetime(2026, 12, 7, 8, tzinfo=UTC) + timedelta(minutes=30 * n) for n in range(6)]
    busy = [(cells[1] + timedelta(minutes=15), cells[2] + timedelta(minutes=15)), (cells[4], cells[5])]
    assert busy_positions(cells, 30, busy) == {1, 2, 4}


# --- The busy layer ------------------------------------------------------------------------------


def test_owner_sees_google_busy_times_on_the_right_cells(owner_client, poll, connection, fake_google):
    fake_google.add_busy(PRIMARY, MONDAY_10_BERLIN, MONDAY_10_BERLIN + timedelta(hours=1))

    content = page(owner_client, poll)

    assert busy_cells(content) == {"20261207T0900", "20261207T0930"}
    assert 'data-label="Monday 7 December, 10:00, busy in your calendar"' in content
    assert 'title="Busy in your calendar"' in content
    assert 'data-testid="calendar-busy-legend"' in content


def test_busy_cells_follow_the_viewers_timezone(owner_client, poll, connection, fake_google):
    fake_google.add_busy(PRIMARY, MONDAY_10_BERLIN, MONDAY_10_BERLIN + timedelta(minutes=30))

    content = page(owner_client, poll, tz="America/New_York")

    assert busy_cells(content) == {"20261207T0900"}
    assert 'data-label="Monday 7 December, 04:00, busy in your calendar"' in content


def test_a_meeting_over_part_of_a_cell_marks_the_whole_cell(owner_client, poll, connection, fake_google):
    fake_google.add_busy(PRIMARY, MONDAY_10_BERLIN + timedelta(minutes=15), MONDAY_10_BERLIN + timedelta(minutes=45))

    assert busy_cells(page(owner_client, poll)) == {"20261207T0900", "20261207T0930"}


def test_the_page_asks_google_once_and_the_heat_map_refresh_not_at_all(
    owner_client, poll, connection, fake_google, htmx_headers
):
    page(owner_client, poll)
    assert freebusy_calls(fake_google) == 1

    owner_client.get(poll.get_absolute_url(), headers=htmx_headers("heat-map"))
    owner_client.post(reverse("scheduling:save_owner_grid", args=[poll.pk]), {"payload": '{"cells": {}}'})
    assert freebusy_calls(fake_google) == 1


def test_invitee_never_sees_the_owners_google_calendar(client, poll, connection, fake_google):
    fake_google.add_busy(PRIMARY, MONDAY_10_BERLIN, MONDAY_10_BERLIN + timedelta(hours=1))
    invitation = InvitationFactory(poll=poll)

    content = client.get(invitation.get_absolute_url(), {"tz": "Europe/Berlin"}).content.decode()

    assert not busy_cells(content)
    assert "Google Calendar" not in content
    assert freebusy_calls(fake_google) == 0


def test_owner_without_a_calendar_is_told_how_to_connect_one(owner_client, poll, fake_google):
    content = page(owner_client, poll)

    assert f'<a href="{reverse("accounts:calendars")}">Connect a calendar</a>' in content
    assert "Fill from my calendar" not in content


def test_the_hint_shows_without_google_sign_in_too(owner_client, poll):
    # CalDAV accounts and ICS links need nothing set up on the server.
    assert 'data-testid="calendar-hint"' in page(owner_client, poll)


def test_google_failing_shows_the_notice_next_to_the_grid(owner_client, poll, connection, fake_google):
    fake_google.failure = (503, "backendError")

    content = page(owner_client, poll)

    assert "Google Calendar is not answering" in content
    assert not busy_cells(content)


def test_a_dead_grant_asks_to_reconnect(owner_client, poll, user, fake_google):
    connect_google(user, problem=GoogleCalendarConnection.Problem.RECONNECT, problem_at=datetime.now(UTC))

    assert "Reconnect Google Calendar" in page(owner_client, poll)
    assert freebusy_calls(fake_google) == 0


def test_poll_page_query_count_with_google_connected(
    owner_client, poll, connection, fake_google, django_assert_max_num_queries
):
    invitations = Invitation.objects.bulk_create(
        Invitation(poll=poll, name=f"Person {n}", email=f"person{n}@example.org") for n in range(50)
    )
    cells = poll.cells()
    AvailabilitySpan.objects.bulk_create(
        AvailabilitySpan(poll=poll, invitation=invitation, start=cells[n % 10], end=cells[n % 10 + 1], level=2)
        for n, invitation in enumerate(invitations)
    )
    page(owner_client, poll)  # Google's answer is cached from here on
    with django_assert_max_num_queries(12):
        page(owner_client, poll)


# --- Filling from the calendar -------------------------------------------------------------------


def test_fill_paints_free_times_fine_and_keeps_what_the_owner_painted(owner_client, poll, connection):
    paint(owner_client, poll, {"20261207T0800": 3, "20261207T0830": 1})

    response = fill(owner_client, poll, follow=True)

    levels = owner_levels(poll)
    assert len(levels) == 30
    assert (levels["20261207T0800"], levels["20261207T0830"], levels["20261207T0900"]) == (3, 1, 2)
    assert AvailabilitySpan.objects.filter(poll=poll, invitation=None).count() == 7  # merged: 3 on Monday, 1 a day
    assert "Filled 28 free times (14 hours) as “fine”." in response.content.decode()


def test_fill_leaves_times_busy_in_google_empty(owner_client, poll, connection, fake_google):
    fake_google.add_busy(PRIMARY, MONDAY_10_BERLIN, MONDAY_10_BERLIN + timedelta(minutes=45))

    fill(owner_client, poll)

    levels = owner_levels(poll)
    assert {"20261207T0900", "20261207T0930"}.isdisjoint(levels)
    assert levels["20261207T1000"] == 2


def test_fill_asks_google_afresh(owner_client, poll, connection, fake_google):
    page(owner_client, poll)  # caches "nothing busy"
    fake_google.add_busy(PRIMARY, MONDAY_10_BERLIN, MONDAY_10_BERLIN + timedelta(minutes=30))

    fill(owner_client, poll)

    assert "20261207T0900" not in owner_levels(poll)


def test_fill_leaves_the_owners_convene_meetings_empty(owner_client, poll, user, other_user, connection):
    meeting(user, datetime(2026, 12, 8, 9, tzinfo=UTC))  # Tuesday 10:00–11:00 in Berlin
    meeting(user, datetime(2026, 12, 9, 9, tzinfo=UTC), status=Event.Status.CANCELLED)
    meeting(other_user, datetime(2026, 12, 10, 9, tzinfo=UTC))
    # Every day 11:30–12:00 in Berlin, from the Monday before the poll.
    meeting(user, datetime(2026, 11, 30, 10, 30, tzinfo=UTC), minutes=30, rrule="FREQ=DAILY", timezone="Europe/Berlin")

    fill(owner_client, poll)

    levels = owner_levels(poll)
    assert {"20261208T0900", "20261208T0930"}.isdisjoint(levels)
    assert {"20261209T0900", "20261210T0900"} <= set(levels)
    assert not {key for key in levels if key.endswith("T1030")}
    assert len(levels) == 30 - 2 - 5


def test_fill_with_nothing_free_says_so(owner_client, poll, connection):
    paint(owner_client, poll, {cell.strftime("%Y%m%dT%H%M"): 3 for cell in poll.cells()})

    response = fill(owner_client, poll, follow=True)

    assert "Nothing to fill" in response.content.decode()
    assert set(owner_levels(poll).values()) == {3}


@pytest.mark.parametrize("status", [Poll.Status.CLOSED, Poll.Status.FINALIZED])
def test_fill_is_refused_once_the_poll_is_closed(owner_client, poll, connection, status):
    Poll.objects.filter(pk=poll.pk).update(status=status)

    response = fill(owner_client, poll, follow=True)

    assert "This poll is closed; your availability can no longer change." in response.content.decode()
    assert not AvailabilitySpan.objects.exists()


def test_fill_when_google_fails_fills_nothing_and_says_so(owner_client, poll, connection, fake_google):
    page(owner_client, poll)  # a cached answer must not be used instead
    fake_google.failure = (503, "backendError")

    response = fill(owner_client, poll, follow=True)

    assert FILL_FAILED in response.content.decode()
    assert not AvailabilitySpan.objects.exists()


def test_fill_with_a_dead_grant_asks_to_reconnect_and_fills_nothing(owner_client, poll, user, fake_google):
    connect_google(user, problem=GoogleCalendarConnection.Problem.RECONNECT, problem_at=datetime.now(UTC))

    response = fill(owner_client, poll, follow=True)

    assert "Reconnect Google Calendar, then try again." in response.content.decode()
    assert not AvailabilitySpan.objects.exists()


def test_no_fill_button_while_no_calendar_counts_as_busy(owner_client, poll, user, fake_google):
    connect_google(user, busy_calendars=[])

    content = page(owner_client, poll)

    assert "Fill from my calendar" not in content
    assert "No calendar counts as busy yet" in content


def test_fill_needs_a_connected_calendar(owner_client, poll, fake_google):
    response = fill(owner_client, poll, follow=True)

    assert "Connect a calendar first" in response.content.decode()
    assert not AvailabilitySpan.objects.exists()


def test_fill_with_htmx_swaps_the_grid_and_refreshes_the_heat_map(owner_client, poll, connection, htmx_headers):
    response = fill(owner_client, poll, data={}, headers=htmx_headers("my-grid"))

    content = response.content.decode()
    assert content.lstrip().startswith('<div id="my-grid"')
    assert content.count('data-level="2"') == 30
    assert "Filled 30 free times (15 hours)" in content  # the messages, swapped out of band
    assert response["HX-Trigger"] == '{"grid:saved": {}}'


def test_fill_without_javascript_returns_to_the_poll_in_the_same_timezone(owner_client, poll, connection):
    response = owner_client.post(reverse("scheduling:poll_fill", args=[poll.pk]) + "?tz=Asia/Tokyo")

    assert response.status_code == 302
    assert response["Location"] == poll.get_absolute_url() + "?tz=Asia%2FTokyo"


def test_anonymous_visitor_is_sent_to_login_to_fill(client, poll):
    response = fill(client, poll)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_another_user_cannot_fill_someone_elses_poll(client, poll, other_user, fake_google):
    connect_google(other_user)
    client.force_login(other_user)
    assert fill(client, poll).status_code == 404
    assert not AvailabilitySpan.objects.exists()
